"""/sobriety: recovery counters counted in the member's own time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.sobriety import CounterCard, History, SobrietyService
from cogs.confirm import ConfirmView

if TYPE_CHECKING:
    from bot.app import SteadyBot

Interaction = discord.Interaction["SteadyBot"]
COLOUR = discord.Colour.teal()
_CELEBRATE = {
    "channel": "posted in the milestones channel",
    "dm": "sent to you by DM",
    "off": "recorded quietly, not announced",
}
_VISIBILITY = {"private": "you only", "members": "members who ask"}


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def card_embed(card: CounterCard, *, own: bool) -> discord.Embed:
    embed = discord.Embed(title=f"{card.label}: {_days(card.days)}", colour=COLOUR)
    since = f"since {card.start_date:%-d %B %Y}"
    if card.start_time is not None:
        since += f" ({card.start_time:%H:%M})"
    embed.description = f"{card.span.describe()} {since}."
    embed.add_field(
        name="Next milestone",
        value=f"{_days(card.next_milestone)} on {card.next_milestone_date:%A %-d %B %Y}",
        inline=False,
    )
    if own:
        embed.add_field(
            name="Your whole journey",
            value=f"{_days(card.journey_days)} across all your streaks",
            inline=False,
        )
        embed.add_field(
            name="Privacy",
            value=f"Visible to {_VISIBILITY[card.visibility]}. Milestones: "
            f"{_CELEBRATE[card.celebrate]}. Change with `/sobriety privacy`.",
            inline=False,
        )
        embed.set_footer(text=f"Days roll over at midnight in {card.zone}. Only you see this.")
    return embed


def history_embed(history: History) -> discord.Embed:
    lines = []
    for streak in history.streaks:
        if streak.end_date is None:
            lines.append(f"**Now**: since {streak.start_date:%Y-%m-%d} — {_days(streak.days)}")
        else:
            lines.append(
                f"{streak.start_date:%Y-%m-%d} → {streak.end_date:%Y-%m-%d} — {_days(streak.days)}"
            )
    # Newest first, and trimmed to stay inside Discord's description limit.
    shown = list(reversed(lines))[:60]
    embed = discord.Embed(title=f"{history.label}: your journey", colour=COLOUR)
    embed.description = "\n".join(shown)
    if len(lines) > len(shown):
        embed.description += f"\n…and {len(lines) - len(shown)} earlier streaks"
    embed.add_field(name="Longest streak", value=_days(history.longest))
    embed.add_field(name="Total journey", value=_days(history.journey_days))
    embed.set_footer(text="Every day counts, in every streak. Only you see this.")
    return embed


class SobrietyCog(
    commands.GroupCog, group_name="sobriety", group_description="Your recovery counters"
):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def service(self) -> SobrietyService:
        return self.bot.services.sobriety

    async def _own_labels(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        labels = await self.service.labels(interaction.guild_id, interaction.user.id)
        needle = current.casefold()
        return [
            app_commands.Choice(name=name, value=name)
            for name in labels
            if needle in name.casefold()
        ][:25]

    @app_commands.command(name="set", description="Start or backdate a recovery counter")
    @app_commands.describe(
        date="The day your streak began, as YYYY-MM-DD",
        label="A name for this counter, e.g. alcohol (default: sobriety)",
        time="Optional time of day it began, as HH:MM",
    )
    @app_commands.guild_only()
    async def set_(
        self,
        interaction: Interaction,
        date: app_commands.Range[str, 1, 40],
        label: app_commands.Range[str, 1, 100] | None = None,
        time: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        card = await self.service.set_counter(
            interaction.guild_id, interaction.user.id, date, label, time
        )
        await interaction.response.send_message(
            "Your counter is set. I'll celebrate your milestones the way you choose.",
            embed=card_embed(card, own=True),
            ephemeral=True,
        )

    @set_.autocomplete("label")
    async def _set_label(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._own_labels(interaction, current)

    @app_commands.command(
        name="show", description="Show your counter, or another member's if they share it"
    )
    @app_commands.describe(
        label="Which counter", member="Another member whose shared counter to see"
    )
    @app_commands.guild_only()
    async def show(
        self,
        interaction: Interaction,
        label: app_commands.Range[str, 1, 100] | None = None,
        member: discord.Member | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if member is not None and member.id != interaction.user.id:
            card = await self.service.show_other(interaction.guild_id, member.id, label)
            if card is None:
                await interaction.response.send_message(
                    f"{member.display_name}'s counter is private. That's their choice to make, "
                    "and a good one to respect.",
                    ephemeral=True,
                )
                return
            embed = card_embed(card, own=False)
            embed.set_author(name=member.display_name)
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        cards = await self.service.show_own(interaction.guild_id, interaction.user.id, label)
        held = [
            f"🎉 I couldn't reach you earlier, so here it is: you reached "
            f"**{_days(card.held_milestone)}** ({card.label}). Congratulations!"
            for card in cards
            if card.held_milestone is not None
        ]
        await interaction.response.send_message(
            "\n".join(held) or None,
            embeds=[card_embed(card, own=True) for card in cards],
            ephemeral=True,
        )

    @show.autocomplete("label")
    async def _show_label(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._own_labels(interaction, current)

    @app_commands.command(
        name="reset", description="Start a new streak after a relapse; your history is kept"
    )
    @app_commands.describe(
        label="Which counter", date="The new start date, YYYY-MM-DD (default: today)"
    )
    @app_commands.guild_only()
    async def reset(
        self,
        interaction: Interaction,
        label: app_commands.Range[str, 1, 100] | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        plan = await self.service.plan_reset(guild_id, user_id, label, date)

        async def confirmed(click: Interaction) -> None:
            # Exactly what the member confirmed, even if midnight passed in between.
            done = await self.service.reset(
                guild_id,
                user_id,
                plan.label,
                plan.new_start.isoformat(),
                streak_number=plan.streak_number,
            )
            await click.response.edit_message(
                content=(
                    "Thank you for being honest with yourself. That takes real courage.\n\n"
                    f"Your new **{done.label}** streak starts {done.new_start:%A %-d %B}. "
                    f"The {_days(done.previous_days)} before it still count: they're kept in "
                    "`/sobriety history`, and your whole journey is "
                    f"{_days(done.journey_days)}.\n\n"
                    "Recovery isn't a straight line. If today is hard, your mentor is there for "
                    "you, and `/crisis` lists people you can reach right now."
                ),
                embed=None,
                view=None,
            )

        await interaction.response.send_message(
            f"Start a new **{plan.label}** streak from {plan.new_start:%Y-%m-%d}? "
            f"Your current streak of {_days(plan.ending_days)} will be kept in your history.",
            view=ConfirmView(user_id, confirmed, confirm_label="Confirm"),
            ephemeral=True,
        )

    @reset.autocomplete("label")
    async def _reset_label(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._own_labels(interaction, current)

    @app_commands.command(name="history", description="Every streak of a counter, privately")
    @app_commands.describe(label="Which counter")
    @app_commands.guild_only()
    async def history(
        self, interaction: Interaction, label: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        history = await self.service.history(interaction.guild_id, interaction.user.id, label)
        await interaction.response.send_message(embed=history_embed(history), ephemeral=True)

    @history.autocomplete("label")
    async def _history_label(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._own_labels(interaction, current)

    @app_commands.command(
        name="privacy", description="Who can see a counter and how milestones reach you"
    )
    @app_commands.describe(
        label="Which counter",
        visibility="private: only you; members: members who ask with /sobriety show",
        celebrate="channel: the milestones channel; dm: privately; off: recorded silently",
    )
    @app_commands.guild_only()
    async def privacy(
        self,
        interaction: Interaction,
        label: app_commands.Range[str, 1, 100] | None = None,
        visibility: Literal["private", "members"] | None = None,
        celebrate: Literal["channel", "dm", "off"] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        card = await self.service.set_privacy(
            interaction.guild_id, interaction.user.id, label, visibility, celebrate
        )
        text = (
            f"**{card.label}** is visible to {_VISIBILITY[card.visibility]}. Milestones: "
            f"{_CELEBRATE[card.celebrate]}."
        )
        if card.celebrate == "channel":
            guild = await self.bot.services.settings.guild(interaction.guild_id)
            text += (
                " Channel celebrations show your name and the number of days to everyone "
                "who can read that channel (never the label, your dates or your history)."
            )
            if guild.milestones_channel_id is None:
                text += (
                    " This server hasn't chosen a milestones channel yet, so until it does "
                    "they come to you by DM."
                )
        await interaction.response.send_message(text, ephemeral=True)

    @privacy.autocomplete("label")
    async def _privacy_label(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._own_labels(interaction, current)

    @app_commands.command(name="remove", description="Delete a counter and its history")
    @app_commands.describe(label="Which counter to delete")
    @app_commands.guild_only()
    async def remove(
        self, interaction: Interaction, label: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        history = await self.service.history(guild_id, user_id, label)

        async def confirmed(click: Interaction) -> None:
            removed = await self.service.remove(guild_id, user_id, label)
            await click.response.edit_message(
                content=f"“{removed}” and its history are deleted.", embed=None, view=None
            )

        await interaction.response.send_message(
            f"Delete **{history.label}** ({_days(history.streaks[-1].days)}) and all of its "
            "history? "
            "This can't be undone.",
            view=ConfirmView(user_id, confirmed, confirm_label="Delete", danger=True),
            ephemeral=True,
        )

    @remove.autocomplete("label")
    async def _remove_label(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._own_labels(interaction, current)


async def setup(bot: SteadyBot) -> None:
    await bot.add_cog(SobrietyCog(bot))
