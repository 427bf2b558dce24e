"""The "Daily check-in" form, and the Try again button that reopens it with what was typed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from bot.domain.checkins.inputs import MAX_NOTE, MOOD_WORDS
from bot.errors import InvalidInput
from cogs.checkins.alert_buttons import OkNowButton
from cogs.checkins.deferral import deferred_while
from cogs.checkins.replies import checkin_reply

if TYPE_CHECKING:
    from bot.app import SteadyBot

RETRY_SECONDS = 15 * 60
PROMPT_TEMPLATE = r"steady:checkins:prompt:(?P<guild>[0-9]+)"


@dataclass(frozen=True, slots=True)
class Typed:
    mood: str | None = None
    craving: str = ""
    note: str = ""
    support: bool = False


class CheckinForm(ui.Modal, title="Daily check-in"):
    def __init__(self, guild_id: int, typed: Typed | None = None) -> None:
        super().__init__(custom_id="steady:checkins:form", timeout=RETRY_SECONDS)
        self.guild_id = guild_id
        typed = typed or Typed()
        self.mood: ui.Label[CheckinForm] = ui.Label(
            text="How is your mood?",
            description="1 is very low, 5 is very good",
            component=ui.RadioGroup(
                custom_id="mood",
                options=[
                    discord.RadioGroupOption(
                        label=f"{n} ({MOOD_WORDS[n]})", value=str(n), default=typed.mood == str(n)
                    )
                    for n in range(1, 6)
                ],
            ),
        )
        self.craving: ui.Label[CheckinForm] = ui.Label(
            text="Craving (0-10)",
            description="0 is none at all, 10 is the strongest",
            component=ui.TextInput(
                custom_id="craving", max_length=4, default=typed.craving or None
            ),
        )
        self.note: ui.Label[CheckinForm] = ui.Label(
            text="Anything you'd like to add?",
            component=ui.TextInput(
                custom_id="note",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=MAX_NOTE,
                default=typed.note or None,
            ),
        )
        self.support: ui.Label[CheckinForm] = ui.Label(
            text="I'd like someone to reach out",
            component=ui.Checkbox(custom_id="support", default=typed.support),
        )
        for item in (self.mood, self.craving, self.note, self.support):
            self.add_item(item)

    def typed(self) -> Typed:
        mood, craving, note, support = (
            self.mood.component,
            self.craving.component,
            self.note.component,
            self.support.component,
        )
        assert isinstance(mood, ui.RadioGroup)
        assert isinstance(craving, ui.TextInput)
        assert isinstance(note, ui.TextInput)
        assert isinstance(support, ui.Checkbox)
        return Typed(mood.value, craving.value, note.value, support.value)

    async def on_submit(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        typed = self.typed()
        # Answered at once (see /checkin): the check-in itself may take longer under load.
        try:
            result = await deferred_while(
                interaction,
                interaction.client.services.checkins.submissions.submit(
                    self.guild_id,
                    interaction.user.id,
                    mood=typed.mood or "",
                    craving=typed.craving,
                    note=typed.note,
                    support=typed.support,
                ),
            )
        except InvalidInput as error:
            await interaction.followup.send(
                f"{error.message}\nNothing was saved yet; press **Try again** to fix it.",
                view=RetryView(self.guild_id, typed),
                ephemeral=True,
            )
            return
        content, embeds = checkin_reply(result)
        view = stand_down_view(result.raised.alert_id) if result.raised else discord.utils.MISSING
        await interaction.followup.send(content, embeds=embeds, view=view, ephemeral=True)


class RetryView(ui.View):
    """Kept in memory for a while: what was typed is not stored anywhere else."""

    def __init__(self, guild_id: int, typed: Typed) -> None:
        super().__init__(timeout=RETRY_SECONDS)
        self.guild_id = guild_id
        self.typed = typed

    @ui.button(label="Try again", style=discord.ButtonStyle.primary)
    async def again(
        self, interaction: discord.Interaction[SteadyBot], _button: ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(CheckinForm(self.guild_id, self.typed))


def stand_down_view(alert_id: int) -> ui.View:
    view = ui.View(timeout=None)
    view.add_item(OkNowButton(alert_id))
    return view


class PromptButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PROMPT_TEMPLATE):
    """The **Check in** button on a scheduled DM prompt: opens the form for that server."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Check in",
                style=discord.ButtonStyle.primary,
                custom_id=f"steady:checkins:prompt:{guild_id}",
            )
        )
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PromptButton:
        return cls(int(match["guild"]))

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        await interaction.response.send_modal(CheckinForm(self.guild_id))
