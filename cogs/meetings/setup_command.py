"""/setup meetings: the voice minutes that count as attending, registered on the setup cog's
group (like /setup checkins) so that the /setup package does not grow with every feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.checks import moderator_only
from bot.domain.meeting_attendance import MAX_PRESENCE_MINUTES, MIN_PRESENCE_MINUTES
from bot.services.meetings.server_settings import MeetingSettingsView

if TYPE_CHECKING:
    from bot.app import SteadyBot

PresenceMinutes = app_commands.Range[int, MIN_PRESENCE_MINUTES, MAX_PRESENCE_MINUTES]


def _minutes(count: int) -> str:
    return f"{count} minute{'' if count == 1 else 's'}"


def presence_text(view: MeetingSettingsView) -> str:
    default = " (the default)" if view.is_default else ""
    return (
        f"Members in a meeting's voice channel for at least **{_minutes(view.presence_minutes)}**"
        f"{default} of a session count as attending."
    )


async def add_meetings_settings(bot: SteadyBot, guild_id: int, embed: discord.Embed) -> None:
    """/setup show: the meetings settings beside the server's others."""
    view = await bot.services.meetings.server_settings.view(guild_id)
    embed.add_field(
        name="Meetings",
        value=presence_text(view) + " Change it with `/setup meetings presence-minutes:`.",
        inline=False,
    )


@app_commands.command(
    name="meetings", description="Meeting settings: the voice minutes that count as attending"
)
@app_commands.rename(presence_minutes="presence-minutes")
@app_commands.describe(
    presence_minutes=(
        f"Minutes in a meeting's voice channel that count as attending "
        f"({MIN_PRESENCE_MINUTES}-{MAX_PRESENCE_MINUTES}, default 10)"
    )
)
@moderator_only()
async def setup_meetings(
    interaction: discord.Interaction[SteadyBot], presence_minutes: PresenceMinutes | None = None
) -> None:
    assert interaction.guild_id is not None
    settings = interaction.client.services.meetings.server_settings
    if presence_minutes is None:
        # Nothing to change: say what is set and how to change it, rather than refuse.
        view = await settings.view(interaction.guild_id)
        await interaction.response.send_message(
            presence_text(view) + " To change it: `/setup meetings presence-minutes:`.",
            ephemeral=True,
        )
        return
    view = await settings.set_presence_minutes(
        interaction.guild_id, interaction.user.id, presence_minutes
    )
    await interaction.response.send_message(
        presence_text(view) + " Sessions that end from now on are counted this way; "
        "attendance already recorded stays as it was.",
        ephemeral=True,
    )


def attach_setup_command(bot: SteadyBot) -> None:
    setup = bot.tree.get_command("setup")
    if not isinstance(setup, app_commands.Group):
        raise RuntimeError("cogs.setup must be loaded before cogs.meetings")
    setup.add_command(setup_meetings)
