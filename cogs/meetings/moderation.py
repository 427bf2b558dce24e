"""/meeting commands for moderators: create, edit, cancel one session, delete, export."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from bot.services.meetings import MeetingOptions, MeetingService, VoiceChoice
from cogs.confirm import ConfirmView
from cogs.meetings.render import card_embed, ts
from cogs.timezone import timezone_autocomplete

if TYPE_CHECKING:
    from bot.app import SteadyBot

Interaction = discord.Interaction["SteadyBot"]
Text = app_commands.Range[str, 1, 200]
Long = app_commands.Range[str, 1, 1000]

OPTION_HELP = {
    "title": "The meeting's name, e.g. Tuesday evening group (up to 100 characters)",
    "weekdays": "daily, weekdays, or days like mon,wed,fri",
    "time": "Start time as HH:MM (24-hour) in the meeting's timezone",
    "timezone": "IANA timezone such as America/New_York (default: the server's)",
    "duration": "Minutes, 15 to 480 (default 60)",
    "starts": "First date, YYYY-MM-DD (default today)",
    "ends": "Last date, YYYY-MM-DD (default: no end)",
    "channel": "Text channel for reminder posts",
    "voice": "Voice or stage channel where it happens",
    "location": "Where it happens, for in-person or external meetings (up to 100 characters)",
    "description": "A few words about the group",
    "reminders": "When to post reminders before it starts, like 24h,1h,10m (default 1h)",
    "role": "A role pinged in the channel reminders",
}


async def meeting_titles(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    titles = await interaction.client.services.meetings.titles(interaction.guild_id, current)
    return [app_commands.Choice(name=title, value=title) for title in titles]


def _voice(channel: discord.abc.GuildChannel | None) -> VoiceChoice | None:
    if channel is None:
        return None
    if isinstance(channel, discord.StageChannel):
        return VoiceChoice(channel.id, "stage")
    if isinstance(channel, discord.VoiceChannel):
        return VoiceChoice(channel.id, "voice")
    return VoiceChoice(channel.id, "other")


class ModeratorCommands(commands.Cog):
    """Mixed into the /meeting group cog (discord.py collects commands along the MRO; this
    class is never added as a cog itself). Each command checks in Steady's own code that the
    member is a moderator."""

    bot: SteadyBot

    @property
    def service(self) -> MeetingService:
        return self.bot.services.meetings

    # -- moderators -------------------------------------------------------------------------

    @app_commands.command(name="create", description="Schedule a recurring group (moderators)")
    @app_commands.describe(**OPTION_HELP)
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @moderator_only()
    async def create(
        self,
        interaction: Interaction,
        title: Text,
        weekdays: Text,
        time: Text,
        timezone: Text | None = None,
        duration: int | None = None,
        starts: Text | None = None,
        ends: Text | None = None,
        channel: discord.TextChannel | None = None,
        voice: discord.abc.GuildChannel | None = None,
        location: Text | None = None,
        description: Long | None = None,
        reminders: Text | None = None,
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        card = await self.service.create(
            interaction.guild_id,
            interaction.user.id,
            MeetingOptions(
                title=title,
                weekdays=weekdays,
                time=time,
                timezone=timezone,
                duration=duration,
                starts=starts,
                ends=ends,
                channel_id=channel.id if channel else None,
                voice=_voice(voice),
                location=location,
                description=description,
                reminders=reminders,
                role_id=role.id if role else None,
            ),
        )
        await interaction.response.send_message(
            f"**{card.title}** is scheduled. The next five sessions:\n"
            + "\n".join(ts(at) for at in card.next_five),
            embed=card_embed(card),
            ephemeral=True,
        )

    @app_commands.command(name="edit", description="Change a meeting (moderators)")
    @app_commands.describe(meeting="Which meeting", **OPTION_HELP)
    @app_commands.autocomplete(meeting=meeting_titles, timezone=timezone_autocomplete)
    @moderator_only()
    async def edit(
        self,
        interaction: Interaction,
        meeting: Text,
        title: Text | None = None,
        weekdays: Text | None = None,
        time: Text | None = None,
        timezone: Text | None = None,
        duration: int | None = None,
        starts: Text | None = None,
        ends: Text | None = None,
        channel: discord.TextChannel | None = None,
        voice: discord.abc.GuildChannel | None = None,
        location: Text | None = None,
        description: Long | None = None,
        reminders: Text | None = None,
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        done = await self.service.edit(
            interaction.guild_id,
            interaction.user.id,
            meeting,
            MeetingOptions(
                title=title,
                weekdays=weekdays,
                time=time,
                timezone=timezone,
                duration=duration,
                starts=starts,
                ends=ends,
                channel_id=channel.id if channel else None,
                voice=_voice(voice),
                location=location,
                description=description,
                reminders=reminders,
                role_id=role.id if role else None,
            ),
        )
        text = f"**{done.card.title}** is updated."
        if done.moved_from is not None:
            text += (
                f" The next session moved from {ts(done.moved_from)}; "
                f"{done.told} subscriber{'' if done.told == 1 else 's'} will be told."
            )
        await interaction.response.send_message(text, embed=card_embed(done.card), ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel one session (moderators)")
    @app_commands.describe(
        meeting="Which meeting",
        date="The session's date, YYYY-MM-DD",
        reason="Optional, shown to members",
    )
    @app_commands.autocomplete(meeting=meeting_titles)
    @moderator_only()
    async def cancel(
        self, interaction: Interaction, meeting: Text, date: Text, reason: Text | None = None
    ) -> None:
        assert interaction.guild_id is not None
        done = await self.service.cancel(
            interaction.guild_id, interaction.user.id, meeting, date, reason
        )
        await interaction.response.send_message(
            f"The session of **{done.title}** on {ts(done.occurrence)} is cancelled. "
            f"{done.told} subscriber{'' if done.told == 1 else 's'} will be told, and its "
            "reminders won't go out.",
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="Delete a meeting (moderators)")
    @app_commands.describe(meeting="Which meeting")
    @app_commands.autocomplete(meeting=meeting_titles)
    @moderator_only()
    async def delete(self, interaction: Interaction, meeting: Text) -> None:
        assert interaction.guild_id is not None
        guild_id, actor_id = interaction.guild_id, interaction.user.id
        meeting_id, title = await self.service.find_for_delete(guild_id, meeting)

        async def confirmed(click: Interaction) -> None:
            removed = await self.service.delete(guild_id, actor_id, meeting_id)
            text = (
                f"**{removed}** is deleted, and its Discord event removed. Past attendance is kept."
                if removed is not None
                else "That meeting was already deleted."
            )
            await click.response.edit_message(content=text, embed=None, view=None)

        await interaction.response.send_message(
            f"Delete **{title}**? Its reminders, subscriptions and Discord event go; members' "
            "past attendance is kept.",
            view=ConfirmView(
                interaction,
                confirmed,
                again="/meeting delete",
                confirm_label="Delete",
                danger=True,
            ),
            ephemeral=True,
        )

    @app_commands.command(
        name="attendance-export", description="Attendance of a meeting as CSV (moderators)"
    )
    @app_commands.describe(
        meeting="Which meeting", from_="First date, YYYY-MM-DD", to="Last date, YYYY-MM-DD"
    )
    @app_commands.rename(from_="from")
    @app_commands.autocomplete(meeting=meeting_titles)
    @moderator_only()
    async def attendance_export(
        self,
        interaction: Interaction,
        meeting: Text,
        from_: Text | None = None,
        to: Text | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        name, data = await self.service.export(
            interaction.guild_id, interaction.user.id, meeting, from_, to
        )
        await interaction.response.send_message(
            "Attendance for this meeting (member ids; keep it private).",
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=True,
        )
