"""/mentor: applying to mentor or sponsor, asking for a match, status, ending, pausing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.matching_input import suggest_focus
from bot.services.mentoring import MentoringService
from bot.services.mentoring.requests import Status
from cogs.confirm import ConfirmView

if TYPE_CHECKING:
    from bot.app import SteadyBot

Interaction = discord.Interaction["SteadyBot"]
Kind = Literal["mentor", "sponsor"]
COLOUR = discord.Colour.blurple()
# Longer than the services allow, so that an over-long text gets Steady's own explanation
# rather than being cut off by the client.
TEXT = app_commands.Range[str, 1, 1000]


def who(user_id: int) -> str:
    return f"<@{user_id}>"


async def focus_autocomplete(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    settings = await interaction.client.services.mentoring.settings.view(interaction.guild_id)
    return [
        app_commands.Choice(name=text[:100], value=text[:100])
        for text in suggest_focus(current, settings.focus_list)
    ]


def status_embed(status: Status) -> discord.Embed:
    embed = discord.Embed(title="Your mentoring", colour=COLOUR)
    supporters = [f"your {p.kind}: {who(p.mentor_id)}" for p in status.mentors]
    embed.add_field(name="Support", value="\n".join(supporters) or "no mentor or sponsor yet")
    if status.mentees:
        embed.add_field(
            name="Your mentees",
            value="\n".join(f"{who(p.mentee_id)} ({p.kind})" for p in status.mentees),
            inline=False,
        )
    if status.requests:
        lines = [
            f"a {r.kind}: "
            + (
                "asked someone who fits; waiting for their answer"
                if r.state == "offered"
                else "waiting for someone who fits to become free"
            )
            for r in status.requests
        ]
        embed.add_field(name="Your open request", value="\n".join(lines), inline=False)
    application = status.application
    if application is not None:
        line = f"{application.kind}, {application.state}, up to {application.capacity} people"
        if application.paused:
            until = application.paused_until
            line += ", paused" + (f" until {discord.utils.format_dt(until, 'D')}" if until else "")
        embed.add_field(name="Your application", value=line, inline=False)
    embed.set_footer(text="Only you see this.")
    return embed


@app_commands.guild_only()
class MentorCog(commands.GroupCog, group_name="mentor", group_description="Mentors and sponsors"):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def service(self) -> MentoringService:
        return self.bot.services.mentoring

    @app_commands.command(name="apply", description="Offer to mentor or sponsor members here")
    @app_commands.describe(
        kind="Mentor, or sponsor (needs the server's minimum sober time)",
        capacity="How many people you can support at once (1-10, default 2)",
        focus="Areas you can help with, comma separated",
        languages="Languages you speak, by name or code, e.g. English, es",
        availability="Your local hours, e.g. 18:00-22:00 (several, comma separated)",
        about="A few words shown to the people you're offered to (up to 300 characters)",
    )
    @app_commands.autocomplete(focus=focus_autocomplete)
    async def apply(
        self,
        interaction: Interaction,
        kind: Kind,
        capacity: app_commands.Range[int, 1, 10] | None = None,
        focus: TEXT | None = None,
        languages: TEXT | None = None,
        availability: TEXT | None = None,
        about: TEXT | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        result = await self.service.applications.apply(
            interaction.guild_id,
            interaction.user.id,
            kind=kind,
            capacity=capacity,
            raw_focus=focus,
            raw_languages=languages,
            raw_availability=availability,
            raw_about=about,
        )
        if result.application.state == "approved":
            text = "Your details are updated. Thank you for mentoring here."
        elif result.updated:
            text = "Your application is updated; the moderators will look at it soon."
        else:
            text = (
                f"Thank you for offering to be a {kind}. The moderators will look at your "
                "application, and I'll message you when they decide."
            )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="request", description="Ask for a mentor or sponsor")
    @app_commands.describe(
        kind="A mentor (default) or a sponsor",
        focus="What you'd like support with, comma separated",
        language="The language you'd like to talk in",
        note="A few words shown only to the mentors you're offered to",
    )
    @app_commands.autocomplete(focus=focus_autocomplete)
    async def request(
        self,
        interaction: Interaction,
        kind: Kind | None = None,
        focus: TEXT | None = None,
        language: TEXT | None = None,
        note: TEXT | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        outcome = await self.service.requests.request(
            interaction.guild_id,
            interaction.user.id,
            kind=kind,
            raw_focus=focus,
            raw_language=language,
            raw_note=note,
        )
        await interaction.response.send_message(outcome.text, ephemeral=True)

    @app_commands.command(name="status", description="Your mentor, mentees and requests")
    async def status(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        status = await self.service.requests.status(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(embed=status_embed(status), ephemeral=True)

    @app_commands.command(name="end", description="End a mentoring pairing")
    @app_commands.describe(member="Your mentor, sponsor or mentee (needed if you have several)")
    async def end(self, interaction: Interaction, member: discord.Member | None = None) -> None:
        assert interaction.guild_id is not None
        user_id = interaction.user.id
        plan = await self.service.requests.plan_end(
            interaction.guild_id, user_id, member.id if member else None
        )

        async def confirmed(click: Interaction) -> None:
            await self.service.requests.end(plan.pair_id, user_id)
            await click.response.edit_message(
                content=f"Your pairing with {who(plan.other_id)} has ended. They've been told "
                "kindly, without a reason. Thank you for the time you shared.",
                view=None,
            )

        role = f"your {plan.kind}" if plan.as_mentee else f"your mentee ({plan.kind})"
        await interaction.response.send_message(
            f"End your pairing with {who(plan.other_id)}, {role}?",
            view=ConfirmView(
                interaction,
                confirmed,
                again="/mentor end",
                confirm_label="End pairing",
                danger=True,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="pause", description="Stop getting new mentoring offers for now")
    @app_commands.describe(until="Resume by itself on this date, YYYY-MM-DD (optional)")
    async def pause(
        self, interaction: Interaction, until: app_commands.Range[str, 1, 40] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        result = await self.service.pauses.pause(interaction.guild_id, interaction.user.id, until)
        when = (
            f" until {discord.utils.format_dt(result.paused_until, 'D')}"
            if result.paused_until
            else ""
        )
        await interaction.response.send_message(
            f"New offers are paused{when}. Your current pairings continue; `/mentor resume` "
            "restarts offers any time.",
            ephemeral=True,
        )

    @app_commands.command(name="resume", description="Get new mentoring offers again")
    async def resume(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        await self.service.pauses.resume(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            "Welcome back: you may get new mentoring offers again.", ephemeral=True
        )
