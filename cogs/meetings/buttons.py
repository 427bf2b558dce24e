"""The meeting buttons in reminder posts and DMs, working after any restart."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.services.meetings.messages import GOING, NOT_GOING, RSVP_PREFIX, SELF_REPORT_PREFIX

if TYPE_CHECKING:
    from bot.app import SteadyBot


def _when(raw: str) -> datetime:
    return datetime.fromtimestamp(int(raw), tz=UTC)


class RsvpButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(RSVP_PREFIX) + r"(?P<meeting>[0-9]+):(?P<at>[0-9]+):(?P<answer>[gn])",
):
    def __init__(self, meeting_id: int, at: str, answer: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Going" if answer == "g" else "Can't make it",
                custom_id=f"{RSVP_PREFIX}{meeting_id}:{at}:{answer}",
            )
        )
        self.meeting_id, self.at, self.answer = meeting_id, at, answer

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RsvpButton:
        return cls(int(match["meeting"]), match["at"], match["answer"])

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        reply = await interaction.client.services.meetings.rsvp(
            self.meeting_id,
            _when(self.at),
            interaction.user.id,
            GOING if self.answer == "g" else NOT_GOING,
        )
        await interaction.response.send_message(reply, ephemeral=True)


class SelfReportButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(SELF_REPORT_PREFIX) + r"(?P<meeting>[0-9]+):(?P<at>[0-9]+):(?P<was>[yn])",
):
    def __init__(self, meeting_id: int, at: str, was: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="I was there" if was == "y" else "I couldn't make it",
                custom_id=f"{SELF_REPORT_PREFIX}{meeting_id}:{at}:{was}",
            )
        )
        self.meeting_id, self.at, self.was = meeting_id, at, was

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SelfReportButton:
        return cls(int(match["meeting"]), match["at"], match["was"])

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        reply = await interaction.client.services.meetings.self_report(
            self.meeting_id, _when(self.at), interaction.user.id, self.was == "y"
        )
        await interaction.response.send_message(reply, ephemeral=True)
