"""Persistent components: buttons in outbox messages that work after any restart.

discord.py routes a click to a `DynamicItem` by matching its custom_id against the class's
template, so no view has to be kept in memory per message; the bot registers these classes
in `setup_hook` (`add_dynamic_items`), before the gateway delivers any click.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery.buttons import ACK_PREFIX

if TYPE_CHECKING:
    from bot.app import SteadyBot


class AckButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(ACK_PREFIX) + r"(?P<outbox_id>[0-9]+)",
):
    def __init__(self, outbox_id: int, label: str = "Got it") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"{ACK_PREFIX}{outbox_id}",
            )
        )
        self.outbox_id = outbox_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AckButton:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "Got it"
        return cls(int(match["outbox_id"]), label)

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        message_id = interaction.message.id if interaction.message is not None else None
        reply = await interaction.client.acknowledgements.acknowledge(
            self.outbox_id, interaction.user.id, message_id
        )
        await interaction.response.send_message(reply, ephemeral=True)


# Registered by the bot at start; features with their own persistent buttons add theirs here.
PERSISTENT_ITEMS: list[type[discord.ui.DynamicItem[Any]]] = [AckButton]
