"""/meeting: recurring groups in their own timezone, with reminders, RSVPs and attendance."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import is_moderator, moderator_only
from bot.services.meetings import MeetingOptions, MeetingService, VoiceChoice
from cogs import confirm
from cogs.confirm import ConfirmView
from cogs.meetings.buttons import RsvpButton, SelfReportButton
from cogs.meetings.listeners import MeetingListeners, hook_interest
from cogs.meetings.render import (
    attendance_text,
    card_embed,
    mine_text,
    ts,
    upcoming_text,
)
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


@app_commands.guild_only()
class MeetingCog(commands.GroupCog, group_name="meeting", group_description="Group meetings"):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

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

    # -- everyone ---------------------------------------------------------------------------

    @app_commands.command(name="list", description="Meetings in the next 7 days")
    async def list_(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        found = await self.service.upcoming(interaction.guild_id)
        await interaction.response.send_message(upcoming_text(found), ephemeral=True)

    @app_commands.command(name="info", description="About one meeting")
    @app_commands.describe(meeting="Which meeting")
    @app_commands.autocomplete(meeting=meeting_titles)
    async def info(self, interaction: Interaction, meeting: Text) -> None:
        assert interaction.guild_id is not None
        card = await self.service.info(interaction.guild_id, meeting)
        await interaction.response.send_message(embed=card_embed(card), ephemeral=True)

    @app_commands.command(name="mine", description="Meetings you subscribed to")
    async def mine(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        found = await self.service.mine(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(mine_text(found), ephemeral=True)

    @app_commands.command(name="subscribe", description="Get your own DM reminders")
    @app_commands.describe(meeting="Which meeting", before='When, like "1h" or "24h,1h"')
    @app_commands.autocomplete(meeting=meeting_titles)
    async def subscribe(
        self, interaction: Interaction, meeting: Text, before: Text | None = None
    ) -> None:
        assert interaction.guild_id is not None
        done = await self.service.subscribe(
            interaction.guild_id, interaction.user.id, meeting, before
        )
        upcoming = f" The next session is {ts(done.next_start)}." if done.next_start else ""
        await interaction.response.send_message(
            f"You'll get a DM {done.reminders} before each session of **{done.title}**." + upcoming,
            ephemeral=True,
        )

    @app_commands.command(name="unsubscribe", description="Stop your DM reminders")
    @app_commands.describe(meeting="Which meeting")
    @app_commands.autocomplete(meeting=meeting_titles)
    async def unsubscribe(self, interaction: Interaction, meeting: Text) -> None:
        assert interaction.guild_id is not None
        title = await self.service.unsubscribe(interaction.guild_id, interaction.user.id, meeting)
        text = (
            f"No more reminders for **{title}**."
            if title is not None
            else "You weren't subscribed to that meeting, so nothing changed."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="calendar", description="Add meetings to your phone's calendar")
    @app_commands.describe(meeting="One meeting (default: all of them)")
    @app_commands.autocomplete(meeting=meeting_titles)
    async def calendar(self, interaction: Interaction, meeting: Text | None = None) -> None:
        assert interaction.guild_id is not None
        data = await self.service.calendar(interaction.guild_id, meeting)
        await interaction.response.send_message(
            "Open this file to add the meetings to your calendar; cancelled sessions are left out.",
            file=discord.File(io.BytesIO(data), filename="meetings.ics"),
            ephemeral=True,
        )

    @app_commands.command(name="attendance", description="Your attendance at groups")
    @app_commands.describe(
        member="Another member (moderators)",
        meeting="One meeting",
        days="How many days back (default 30)",
    )
    @app_commands.autocomplete(meeting=meeting_titles)
    async def attendance(
        self,
        interaction: Interaction,
        member: discord.Member | None = None,
        meeting: Text | None = None,
        days: int = 30,
    ) -> None:
        assert interaction.guild_id is not None
        moderator = await is_moderator(interaction)
        view = await self.service.attendance(
            interaction.guild_id,
            interaction.user.id,
            moderator=moderator,
            member_id=member.id if member else None,
            raw_meeting=meeting,
            days=days,
        )
        own = view.member_id == interaction.user.id
        await interaction.response.send_message(attendance_text(view, own=own), ephemeral=True)


async def setup(bot: SteadyBot) -> None:
    confirm.install(bot)
    # Before the gateway connects (extensions load in setup_hook): clicks on posts sent before
    # a restart are routed.
    bot.add_dynamic_items(RsvpButton, SelfReportButton)
    hook_interest(bot)
    await bot.add_cog(MeetingCog(bot))
    await bot.add_cog(MeetingListeners(bot))
