"""The meeting buttons in reminder posts and DMs, working after any restart."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.services.meetings.messages import GOING, NOT_GOING, RSVP_PREFIX, SELF_REPORT_PREFIX

if TYPE_CHECKING:
    from bot.app import SteadyBot


def _when(raw: str) -> datetime:
    return datetime.fromtimestamp(int(raw), tz=UTC)


def _template(prefix: str, choices: str) -> str:
    return re.escape(prefix) + rf"(?P<meeting>[0-9]+):(?P<at>[0-9]+):(?P<choice>[{choices}])"


class _OccurrenceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Never matches: only the subclasses below, each with its own prefix, are registered.
    template=r"(?!)",
):
    """A button about one occurrence of a meeting, answering with one letter. Its custom id holds
    everything, so it keeps working after a restart."""

    prefix: ClassVar[str]
    labels: ClassVar[dict[str, str]]

    def __init__(self, meeting_id: int, at: str, choice: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.labels[choice],
                custom_id=f"{self.prefix}{meeting_id}:{at}:{choice}",
            )
        )
        self.meeting_id, self.at, self.choice = meeting_id, at, choice

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["meeting"]), match["at"], match["choice"])


class RsvpButton(_OccurrenceButton, template=_template(RSVP_PREFIX, "gn")):
    prefix = RSVP_PREFIX
    labels: ClassVar[dict[str, str]] = {"g": "Going", "n": "Can't make it"}

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        reply = await interaction.client.services.meetings.rsvp(
            self.meeting_id,
            _when(self.at),
            interaction.user.id,
            GOING if self.choice == "g" else NOT_GOING,
        )
        await interaction.response.send_message(reply, ephemeral=True)


class SelfReportButton(_OccurrenceButton, template=_template(SELF_REPORT_PREFIX, "yn")):
    prefix = SELF_REPORT_PREFIX
    labels: ClassVar[dict[str, str]] = {"y": "I was there", "n": "I couldn't make it"}

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        reply = await interaction.client.services.meetings.self_report(
            self.meeting_id, _when(self.at), interaction.user.id, self.choice == "y"
        )
        await interaction.response.send_message(reply, ephemeral=True)
