"""Discord JSON for the components features put in outbox messages (no discord import).

Buttons sent from the outbox must keep working after a restart, so their custom_id is a stable
template carrying the ids they need; the matching `discord.ui.DynamicItem` is registered when
the bot starts (bot/delivery/components.py).
"""

from __future__ import annotations

from typing import Any

from bot.delivery.outbox import OUTBOX_ID

ACK_PREFIX = "steady:ack:"
PRIMARY = 1
SECONDARY = 2


def action_row(*components: dict[str, Any]) -> dict[str, Any]:
    if not 1 <= len(components) <= 5:
        raise ValueError("an action row holds 1 to 5 buttons")
    return {"type": 1, "components": list(components)}


def ack_button(label: str = "Got it", *, style: int = PRIMARY) -> dict[str, Any]:
    """A button whose first click is recorded on the outbox row and reported to the purpose's
    acknowledgement handler (`bot.delivery.acks.on_acknowledged`)."""
    return {"type": 2, "style": style, "label": label, "custom_id": ACK_PREFIX + OUTBOX_ID}
