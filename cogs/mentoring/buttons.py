"""The persistent buttons of mentoring DMs: Accept and Decline on an offer, and "Find me a new
mentor" after a mentor ended a pairing. Their custom_ids carry what a click needs (see
bot/services/mentoring/buttons.py), so they work after any restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.services.mentoring.buttons import ACCEPT_PREFIX, DECLINE_PREFIX, REQUEST_AGAIN_PREFIX
from bot.tree import explain, send_error

if TYPE_CHECKING:
    from bot.app import SteadyBot


def _label(item: discord.ui.Item[Any], default: str) -> str:
    return item.label if isinstance(item, discord.ui.Button) and item.label else default


class _OfferButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"$^"):
    prefix = ""
    default_label = ""
    style = discord.ButtonStyle.primary

    def __init__(self, offer_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or self.default_label,
                style=self.style,
                custom_id=f"{self.prefix}{offer_id}",
            )
        )
        self.offer_id = offer_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> _OfferButton:
        return cls(int(match["offer_id"]), _label(item, cls.default_label))


class AcceptOffer(_OfferButton, template=re.escape(ACCEPT_PREFIX) + r"(?P<offer_id>[0-9]+)"):
    prefix = ACCEPT_PREFIX
    default_label = "Accept"

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        answer = await interaction.client.services.mentoring.answers.accept(
            self.offer_id, interaction.user.id
        )
        await interaction.response.send_message(answer.text, ephemeral=True)


class DeclineOffer(_OfferButton, template=re.escape(DECLINE_PREFIX) + r"(?P<offer_id>[0-9]+)"):
    prefix = DECLINE_PREFIX
    default_label = "Decline"
    style = discord.ButtonStyle.secondary

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        answer = await interaction.client.services.mentoring.answers.decline(
            self.offer_id, interaction.user.id
        )
        await interaction.response.send_message(answer.text, ephemeral=True)


class RequestAgain(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(REQUEST_AGAIN_PREFIX) + r"(?P<guild_id>[0-9]+):(?P<kind>mentor|sponsor)",
):
    def __init__(self, guild_id: int, kind: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or f"Find me a new {kind}",
                style=discord.ButtonStyle.primary,
                custom_id=f"{REQUEST_AGAIN_PREFIX}{guild_id}:{kind}",
            )
        )
        self.guild_id = guild_id
        self.kind = kind

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RequestAgain:
        kind = match["kind"]
        return cls(int(match["guild_id"]), kind, _label(item, f"Find me a new {kind}"))

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        try:
            outcome = await interaction.client.services.mentoring.requests.request(
                self.guild_id, interaction.user.id, kind=self.kind
            )
        except Exception as error:
            # Shown kindly (a member error) or as an incident code, as any command's error is.
            await send_error(interaction, explain(interaction, error))
            return
        await interaction.response.send_message(outcome.text, ephemeral=True)


MENTORING_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AcceptOffer,
    DeclineOffer,
    RequestAgain,
)
