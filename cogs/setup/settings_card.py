"""/setup show: the server's Steady settings as one embed, and the wording other /setup replies
share with it."""

from __future__ import annotations

import discord

from bot.services.settings import GuildSettingsView

# Discord shows a command with default_member_permissions only to members holding those
# permissions; a role gets to see it only through the server's own integration settings.
ROLE_VISIBILITY = (
    "open **Server Settings → Integrations → Steady**, choose `/setup`, and under Roles & "
    "Members add the role (or allow it per command)."
)


def channel_text(channel_id: int | None) -> str:
    return f"<#{channel_id}>" if channel_id else "not set"


def settings_embed(view: GuildSettingsView) -> discord.Embed:
    embed = discord.Embed(title="Steady settings", colour=discord.Colour.teal())
    embed.add_field(
        name="Timezone",
        value=view.timezone or f"not set (using the default, {view.effective_timezone})",
        inline=False,
    )
    embed.add_field(
        name="Moderator role",
        value=(
            f"<@&{view.moderator_role_id}>. Steady treats its members as moderators; for "
            f"them to see `/setup` in Discord, {ROLE_VISIBILITY}"
            if view.moderator_role_id
            else "not set (members with Manage Server are moderators)"
        ),
        inline=False,
    )
    embed.add_field(
        name="Milestones",
        value=(
            f"channel {channel_text(view.milestones_channel_id)}, at "
            f"{view.celebration_hour:02d}:00 local, ladder {view.milestone_ladder or 'default'}"
        ),
        inline=False,
    )
    return embed
