"""/checkin (the form or the direct form), /checkins … (schedule, history, sharing) and /sos."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import InvalidInput
from bot.services.checkins.chart import render_chart
from bot.services.checkins.prompts import ScheduleView
from cogs.checkins.deferral import deferred_while
from cogs.checkins.form import CheckinForm, stand_down_view
from cogs.checkins.replies import (
    checkin_reply,
    crisis_card,
    history_text,
    mentee_text,
    sos_reply,
)

if TYPE_CHECKING:
    from bot.app import SteadyBot


def schedule_text(view: ScheduleView) -> str:
    if view.at is None:
        return "Your check-in reminders are off. You can still check in any time with `/checkin`."
    paused = f", paused through {view.paused_through}" if view.paused_through else ""
    upcoming = (
        f" The next one is {discord.utils.format_dt(view.next_prompt, 'F')}."
        if view.next_prompt
        else ""
    )
    return (
        f"I'll send you a check-in reminder by DM at **{view.at}** ({view.zone}), "
        f"**{view.days}**{paused}.{upcoming}"
    )


class CheckinCog(commands.Cog):
    checkins = app_commands.Group(
        name="checkins", description="Your check-in reminders, history and sharing", guild_only=True
    )

    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot

    @app_commands.command(name="checkin", description="Check in: how you're doing today")
    @app_commands.guild_only()
    @app_commands.describe(
        mood="1 very low … 5 very good (leave out to open the form)",
        craving="0 none … 10 the strongest",
        note="Anything you'd like to add (only you, and your mentor if you share notes, see it)",
        support="I'd like someone to reach out",
    )
    async def checkin(
        self,
        interaction: discord.Interaction[SteadyBot],
        mood: int | None = None,
        craving: int | None = None,
        note: str | None = None,
        support: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if mood is None and craving is None and note is None and support is None:
            await interaction.response.send_modal(CheckinForm(interaction.guild_id))
            return
        if mood is None or craving is None:
            raise InvalidInput(
                "Please give both `mood` (1-5) and `craving` (0-10), or run `/checkin` on its "
                "own to open the form."
            )
        # Answered at once: when many members check in together, storing and alerting may take
        # longer than Discord's 3 seconds (a bad value is still explained, in the follow-up).
        result = await deferred_while(
            interaction,
            self.bot.services.checkins.submissions.submit(
                interaction.guild_id,
                interaction.user.id,
                mood=mood,
                craving=craving,
                note=note,
                support=support,
            ),
        )
        content, embeds = checkin_reply(result)
        view = stand_down_view(result.raised.alert_id) if result.raised else discord.utils.MISSING
        await interaction.followup.send(content, embeds=embeds, view=view, ephemeral=True)

    @app_commands.command(name="sos", description="Ask for help now: a supporter is alerted")
    @app_commands.guild_only()
    @app_commands.describe(note="Anything you'd like them to know (optional)")
    async def sos(
        self, interaction: discord.Interaction[SteadyBot], note: str | None = None
    ) -> None:
        assert interaction.guild_id is not None
        result = await deferred_while(
            interaction,
            self.bot.services.checkins.submissions.sos(
                interaction.guild_id, interaction.user.id, note=note
            ),
        )
        assert result.raised is not None
        await interaction.followup.send(
            sos_reply(result),
            embeds=[crisis_card(result.crisis_lines)],
            view=stand_down_view(result.raised.alert_id),
            ephemeral=True,
        )

    @checkins.command(name="schedule", description="A daily DM reminder at your local time")
    @app_commands.describe(
        time="Local time as HH:MM, e.g. 20:00", days="daily, weekdays, or days like mon,wed,fri"
    )
    async def schedule(
        self, interaction: discord.Interaction[SteadyBot], time: str, days: str | None = None
    ) -> None:
        assert interaction.guild_id is not None
        view = await self.bot.services.checkins.prompts.set_schedule(
            interaction.guild_id, interaction.user.id, time=time, days=days
        )
        await interaction.response.send_message(schedule_text(view), ephemeral=True)

    @checkins.command(name="pause", description="No reminders until a date")
    @app_commands.describe(until="The last day without reminders, YYYY-MM-DD")
    async def pause(self, interaction: discord.Interaction[SteadyBot], until: str) -> None:
        assert interaction.guild_id is not None
        view = await self.bot.services.checkins.prompts.pause(
            interaction.guild_id, interaction.user.id, until=until
        )
        await interaction.response.send_message(schedule_text(view), ephemeral=True)

    @checkins.command(name="resume", description="Start your reminders again")
    async def resume(self, interaction: discord.Interaction[SteadyBot]) -> None:
        assert interaction.guild_id is not None
        view = await self.bot.services.checkins.prompts.resume(
            interaction.guild_id, interaction.user.id
        )
        await interaction.response.send_message(schedule_text(view), ephemeral=True)

    @checkins.command(name="off", description="Stop your check-in reminders")
    async def off(self, interaction: discord.Interaction[SteadyBot]) -> None:
        assert interaction.guild_id is not None
        view = await self.bot.services.checkins.prompts.off(
            interaction.guild_id, interaction.user.id
        )
        await interaction.response.send_message(schedule_text(view), ephemeral=True)

    @checkins.command(name="history", description="A chart of your mood and craving")
    @app_commands.describe(days="How many days, 7 to 90 (default 30)")
    async def history(
        self, interaction: discord.Interaction[SteadyBot], days: int | None = None
    ) -> None:
        assert interaction.guild_id is not None
        result = await self.bot.services.checkins.insights.history(
            interaction.guild_id, interaction.user.id, days=days
        )
        if not result.points:
            await interaction.response.send_message(history_text(result), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        points = [(p.at, p.mood, p.craving) for p in result.points]
        png = await asyncio.to_thread(render_chart, points, days=result.days)
        await interaction.followup.send(
            history_text(result),
            file=discord.File(io.BytesIO(png), filename="checkins.png"),
            ephemeral=True,
        )

    @checkins.command(name="sharing", description="What your mentor and sponsor may see")
    @app_commands.describe(mentor="none (default), scores, or scores-and-notes")
    async def sharing(
        self,
        interaction: discord.Interaction[SteadyBot],
        mentor: Literal["none", "scores", "scores-and-notes"],
    ) -> None:
        assert interaction.guild_id is not None
        chosen = await self.bot.services.checkins.insights.set_sharing(
            interaction.guild_id, interaction.user.id, mentor
        )
        words = {
            "none": "Your mentor and sponsor see nothing of your check-ins.",
            "scores": "Your mentor and sponsor may see your scores, not your notes.",
            "scores-and-notes": "Your mentor and sponsor may see your scores and your notes.",
        }
        await interaction.response.send_message(
            f"{words[chosen]} You can change this any time.", ephemeral=True
        )

    @checkins.command(name="mentee", description="A mentee's shared check-ins")
    @app_commands.describe(member="Someone you mentor or sponsor")
    async def mentee(
        self, interaction: discord.Interaction[SteadyBot], member: discord.Member
    ) -> None:
        assert interaction.guild_id is not None
        result = await self.bot.services.checkins.insights.mentee(
            interaction.guild_id, interaction.user.id, member.id
        )
        await interaction.response.send_message(mentee_text(member, result), ephemeral=True)
