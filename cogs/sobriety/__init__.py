"""/sobriety: recovery counters counted in the member's own time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.sobriety import ResetPlan, SobrietyService
from cogs import confirm
from cogs.confirm import ConfirmView
from cogs.sobriety.render import (
    CELEBRATE,
    VISIBILITY,
    card_embed,
    days,
    held_line,
    history_embed,
    reset_done,
    restart_question,
    set_reply,
)

if TYPE_CHECKING:
    from bot.app import SteadyBot

Interaction = discord.Interaction["SteadyBot"]


async def own_labels(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The member's own counter labels containing what they typed."""
    if interaction.guild_id is None:
        return []
    labels = await interaction.client.services.sobriety.labels(
        interaction.guild_id, interaction.user.id
    )
    needle = current.casefold()
    return [
        app_commands.Choice(name=name, value=name) for name in labels if needle in name.casefold()
    ][:25]


# Guild-only as a whole group: discord.py ignores guild_only() on a group's subcommands, and
# every counter belongs to a server.
@app_commands.guild_only()
class SobrietyCog(
    commands.GroupCog, group_name="sobriety", group_description="Your recovery counters"
):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def service(self) -> SobrietyService:
        return self.bot.services.sobriety

    @app_commands.command(name="set", description="Start or backdate a recovery counter")
    @app_commands.describe(
        date="The day your streak began, as YYYY-MM-DD",
        label="A name for this counter, e.g. alcohol (default: sobriety)",
        time="Optional time of day it began, as HH:MM",
    )
    @app_commands.autocomplete(label=own_labels)
    async def set_(
        self,
        interaction: Interaction,
        date: app_commands.Range[str, 1, 40],
        label: app_commands.Range[str, 1, 100] | None = None,
        time: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        done = await self.service.set_counter(
            interaction.guild_id, interaction.user.id, date, label, time
        )
        if isinstance(done, ResetPlan):
            await self._ask_to_restart(interaction, done, again="/sobriety set")
            return
        await interaction.response.send_message(
            set_reply(done), embed=card_embed(done.card, own=True), ephemeral=True
        )

    @app_commands.command(
        name="show", description="Show your counter, or another member's if they share it"
    )
    @app_commands.describe(
        label="Which counter", member="Another member whose shared counter to see"
    )
    @app_commands.autocomplete(label=own_labels)
    async def show(
        self,
        interaction: Interaction,
        label: app_commands.Range[str, 1, 100] | None = None,
        member: discord.Member | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if member is not None and member.id != interaction.user.id:
            card = await self.service.show_other(
                interaction.guild_id, member.id, label, viewer_id=interaction.user.id
            )
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
        held = [held_line(card) for card in cards if card.held_milestone is not None]
        await interaction.response.send_message(
            "\n\n".join(held) or None,
            embeds=[card_embed(card, own=True) for card in cards],
            ephemeral=True,
        )
        # Only now that the member has them: a reply that failed keeps them held. Tracked, so a
        # shutdown right after the reply waits for it.
        if any(card.held_milestone is not None for card in cards):
            await self.bot.track(self.service.clear_held(cards))

    @app_commands.command(
        name="reset", description="Start a new streak after a relapse; your history is kept"
    )
    @app_commands.describe(
        label="Which counter", date="The new start date, YYYY-MM-DD (default: today)"
    )
    @app_commands.autocomplete(label=own_labels)
    async def reset(
        self,
        interaction: Interaction,
        label: app_commands.Range[str, 1, 100] | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        plan = await self.service.plan_reset(interaction.guild_id, interaction.user.id, label, date)
        await self._ask_to_restart(interaction, plan, again="/sobriety reset")

    async def _ask_to_restart(self, interaction: Interaction, plan: ResetPlan, again: str) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id

        async def confirmed(click: Interaction) -> None:
            # Exactly what the member confirmed, even if midnight passed in between.
            done = await self.service.reset(
                guild_id,
                user_id,
                plan.label,
                plan.new_start.isoformat(),
                streak_number=plan.streak_number,
                start_time=plan.start_time,
            )
            await click.response.edit_message(
                content=reset_done(
                    done.label,
                    f"{done.new_start:%A %-d %B}",
                    done.previous_days,
                    done.journey_days,
                ),
                embed=None,
                view=None,
            )

        await interaction.response.send_message(
            restart_question(plan, correcting=again == "/sobriety set"),
            view=ConfirmView(interaction, confirmed, again=again, confirm_label="Confirm"),
            ephemeral=True,
        )

    @app_commands.command(name="history", description="Every streak of a counter, privately")
    @app_commands.describe(label="Which counter")
    @app_commands.autocomplete(label=own_labels)
    async def history(
        self, interaction: Interaction, label: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        history = await self.service.history(interaction.guild_id, interaction.user.id, label)
        await interaction.response.send_message(embed=history_embed(history), ephemeral=True)

    @app_commands.command(
        name="privacy", description="Who can see a counter and how milestones reach you"
    )
    @app_commands.describe(
        label="Which counter",
        visibility="private: only you; members: members who ask with /sobriety show",
        celebrate="channel: the milestones channel; dm: privately; off: recorded silently",
    )
    @app_commands.autocomplete(label=own_labels)
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
            f"**{card.label}** is visible to {VISIBILITY[card.visibility]}. Milestones: "
            f"{CELEBRATE[card.celebrate]}."
        )
        if card.visibility == "members":
            text += (
                " Any member of this server who asks with `/sobriety show member:` sees this "
                "counter's label, start date, day count and next milestone (never your history "
                "or your other counters)."
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

    @app_commands.command(name="remove", description="Delete a counter and its history")
    @app_commands.describe(label="Which counter to delete")
    @app_commands.autocomplete(label=own_labels)
    async def remove(
        self, interaction: Interaction, label: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        plan = await self.service.plan_remove(guild_id, user_id, label)

        async def confirmed(click: Interaction) -> None:
            removed = await self.service.remove(guild_id, user_id, label)
            await click.response.edit_message(
                content=f"“{removed}” and its history are deleted.", embed=None, view=None
            )

        streaks = f"{plan.streaks} streak{'' if plan.streaks == 1 else 's'}"
        await interaction.response.send_message(
            f"Delete **{plan.label}** and all of its history: {days(plan.journey_days)} across "
            f"{streaks}? This can't be undone.",
            view=ConfirmView(
                interaction,
                confirmed,
                again="/sobriety remove",
                confirm_label="Delete",
                danger=True,
            ),
            ephemeral=True,
        )


async def setup(bot: SteadyBot) -> None:
    confirm.install(bot)
    await bot.add_cog(SobrietyCog(bot))
