"""/mentors: moderators vet applications, see mentors' load, remove, pair directly and match
the whole waitlist at once. Every command checks the moderator in Steady's own code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from bot.services.mentoring import MentoringService
from bot.services.mentoring.applications import Application
from bot.services.mentoring.batch import PREVIEW_PAIRS, BatchPreview
from cogs.confirm import ConfirmView
from cogs.mentoring.member import TEXT, who

if TYPE_CHECKING:
    from bot.app import SteadyBot

Interaction = discord.Interaction["SteadyBot"]
COLOUR = discord.Colour.blurple()


def _application_line(a: Application) -> str:
    parts = [f"{who(a.user_id)} — {a.kind}, up to {a.capacity}"]
    if a.focus:
        parts.append(f"focus: {', '.join(a.focus)}")
    parts.append(f"languages: {', '.join(a.languages)}")
    if a.availability:
        parts.append(f"hours: {a.availability.replace(',', ', ')}")
    line = "; ".join(parts)
    return line + (f"\n> {a.about}" if a.about else "")


def preview_embed(preview: BatchPreview) -> discord.Embed:
    embed = discord.Embed(title="Waitlist matching preview", colour=COLOUR)
    embed.description = (
        f"**{len(preview.pairs)}** of {preview.waiting} waiting requests matched to "
        f"{preview.free_places} free places; average score {preview.average:.0f}.\n"
        "Sending asks each mentor through the normal offer, with Accept and Decline."
    )
    shown = [
        f"{who(p.requester_id)} → {who(p.mentor_id)} ({p.points})"
        for p in preview.pairs[:PREVIEW_PAIRS]
    ]
    if shown:
        embed.add_field(name="First pairs", value="\n".join(shown), inline=False)
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class MentorsCog(
    commands.GroupCog, group_name="mentors", group_description="Mentoring, for moderators"
):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def service(self) -> MentoringService:
        return self.bot.services.mentoring

    @app_commands.command(name="pending", description="Applications waiting for a decision")
    @moderator_only()
    async def pending(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        applications = await self.service.vetting.pending(interaction.guild_id, interaction.user.id)
        text = "\n".join(_application_line(a) for a in applications)
        await interaction.response.send_message(
            text[:1900] if text else "No applications are waiting.", ephemeral=True
        )

    @app_commands.command(name="approve", description="Approve a mentor or sponsor application")
    @moderator_only()
    async def approve(self, interaction: Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        done = await self.service.vetting.approve(
            interaction.guild_id, interaction.user.id, member.id
        )
        await interaction.response.send_message(
            f"{member.mention} is approved as a {done.kind}; they've been told.", ephemeral=True
        )

    @app_commands.command(name="reject", description="Turn down an application, kindly")
    @app_commands.describe(reason="Shown to the applicant (optional)")
    @moderator_only()
    async def reject(
        self, interaction: Interaction, member: discord.Member, reason: TEXT | None = None
    ) -> None:
        assert interaction.guild_id is not None
        await self.service.vetting.reject(
            interaction.guild_id, interaction.user.id, member.id, reason
        )
        await interaction.response.send_message(
            f"{member.mention}'s application is declined; they've been told kindly.",
            ephemeral=True,
        )

    @app_commands.command(name="list", description="Approved mentors with their load")
    @moderator_only()
    async def list_(
        self, interaction: Interaction, kind: Literal["mentor", "sponsor"] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        mentors = await self.service.vetting.listing(interaction.guild_id, kind)
        lines = [
            f"{who(a.user_id)} — {a.kind}, {a.load} of {a.capacity}"
            + (", paused" if a.paused else "")
            for a in mentors
        ]
        await interaction.response.send_message(
            "\n".join(lines)[:1900] or "No approved mentors yet.", ephemeral=True
        )

    @app_commands.command(name="remove", description="End a mentor's role and their pairings")
    @app_commands.describe(reason="Shown to the mentor (optional)")
    @moderator_only()
    async def remove(
        self, interaction: Interaction, member: discord.Member, reason: TEXT | None = None
    ) -> None:
        assert interaction.guild_id is not None
        ended = await self.service.vetting.remove(
            interaction.guild_id, interaction.user.id, member.id, reason
        )
        await interaction.response.send_message(
            f"{member.mention} is no longer a mentor. {ended} pairing(s) ended; each mentee was "
            "told kindly and put at the front of the waitlist.",
            ephemeral=True,
        )

    @app_commands.command(name="assign", description="Pair a member with a mentor directly")
    @app_commands.describe(override="Pair even if the mentor isn't approved, is paused or full")
    @moderator_only()
    async def assign(
        self,
        interaction: Interaction,
        mentee: discord.Member,
        mentor: discord.Member,
        kind: Literal["mentor", "sponsor"] | None = None,
        override: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        pair = await self.service.requests.assign(
            interaction.guild_id, interaction.user.id, mentee.id, mentor.id, kind, override=override
        )
        await interaction.response.send_message(
            f"{mentee.mention} and {mentor.mention} are paired ({pair.kind}); both were told.",
            ephemeral=True,
        )

    @app_commands.command(
        name="match-waitlist", description="Match the whole waitlist at once, with a preview"
    )
    @moderator_only()
    async def match_waitlist(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self.service.batch.preview(interaction.guild_id)
        if not preview.pairs:
            await interaction.followup.send(
                f"Nobody on the waitlist ({preview.waiting}) fits a free place right now.",
                ephemeral=True,
            )
            return
        pairs = preview.pairs

        async def send(click: Interaction) -> None:
            assert click.guild_id is not None
            sent = await self.service.batch.send(click.guild_id, click.user.id, pairs)
            await click.response.edit_message(
                content=f"Sent {sent} offers. Each mentor can accept or decline; a decline or "
                "an expiry moves that request on to the next candidate.",
                embed=None,
                view=None,
            )

        await interaction.followup.send(
            embed=preview_embed(preview),
            view=ConfirmView(
                interaction, send, again="/mentors match-waitlist", confirm_label="Send offers"
            ),
            ephemeral=True,
        )
