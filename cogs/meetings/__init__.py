"""/meeting: recurring groups in their own timezone, with reminders, RSVPs and attendance; and
/setup meetings."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import is_moderator
from cogs import confirm
from cogs.meetings.buttons import RsvpButton, SelfReportButton
from cogs.meetings.listeners import MeetingListeners, hook_interest
from cogs.meetings.moderation import ModeratorCommands, meeting_titles
from cogs.meetings.render import (
    attendance_text,
    card_embed,
    mine_text,
    ts,
    upcoming_text,
)
from cogs.meetings.setup_command import attach_setup_command

if TYPE_CHECKING:
    from bot.app import SteadyBot

Interaction = discord.Interaction["SteadyBot"]
Text = app_commands.Range[str, 1, 200]


@app_commands.guild_only()
class MeetingCog(
    ModeratorCommands, commands.GroupCog, group_name="meeting", group_description="Group meetings"
):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

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
    attach_setup_command(bot)
