"""Persistent buttons in mentoring messages, as Discord JSON (no discord import).

Each custom_id carries what its click needs, so the buttons work after any restart; the cog
registers `DynamicItem`s with the same templates.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.buttons import PRIMARY, SECONDARY, action_row

ACCEPT_PREFIX = "steady:mentoring:accept:"
DECLINE_PREFIX = "steady:mentoring:decline:"
# "Find me a new mentor" after a mentor ended the pairing, in a DM (which has no server), so it
# carries the server and the kind to ask for again: steady:mentoring:again:<guild>:<kind>.
REQUEST_AGAIN_PREFIX = "steady:mentoring:again:"


def _button(label: str, custom_id: str, style: int, *, disabled: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {"type": 2, "style": style, "label": label, "custom_id": custom_id}
    if disabled:
        button["disabled"] = True
    return button


def offer_buttons(offer_id: int, *, disabled: bool = False) -> dict[str, Any]:
    """Accept and Decline; `disabled` once the offer has closed (kept, greyed, so the DM still
    shows what it was)."""
    return action_row(
        _button("Accept", f"{ACCEPT_PREFIX}{offer_id}", PRIMARY, disabled=disabled),
        _button("Decline", f"{DECLINE_PREFIX}{offer_id}", SECONDARY, disabled=disabled),
    )


def request_again_button(guild_id: int, kind: str) -> dict[str, Any]:
    label = "Find me a new sponsor" if kind == "sponsor" else "Find me a new mentor"
    return action_row(_button(label, f"{REQUEST_AGAIN_PREFIX}{guild_id}:{kind}", PRIMARY))
