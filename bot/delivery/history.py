"""Finding, in a channel's recent messages, one a retry may already have posted (pure).

Discord de-duplicates a nonce for a few minutes only, and does not echo it in the channel's
history, so after that window an uncertain message is recognised by what it carries: our own
author, posted after the uncertain attempt began, with the same content, the same embeds'
titles and descriptions, and the same component ids (an outbox message's buttons carry its row
id), and not already recorded as the message of another outbox row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake_at(when: datetime) -> int:
    """The smallest snowflake id of an instant (for `after=`)."""
    ms = int(when.astimezone(UTC).timestamp() * 1000)
    return max(0, ms - DISCORD_EPOCH_MS) << 22


def _custom_ids(components: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for component in components or []:
        if not isinstance(component, Mapping):
            continue
        if "custom_id" in component:
            found.append(str(component["custom_id"]))
        found.extend(_custom_ids(component.get("components") or ()))
    return found


def fingerprint(payload: Mapping[str, Any]) -> tuple[object, ...]:
    embeds = tuple(
        (str(e.get("title") or ""), str(e.get("description") or ""))
        for e in payload.get("embeds") or []
    )
    return (
        str(payload.get("content") or ""),
        embeds,
        tuple(_custom_ids(payload.get("components") or ())),
    )


def find_posted(
    payload: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    *,
    author_id: int,
    taken: set[int],
) -> int | None:
    """The id of the oldest message in `messages` that is this payload as we posted it."""
    wanted = fingerprint(payload)
    for message in sorted(messages, key=lambda m: int(m["id"])):
        author = message.get("author") or {}
        if int(author.get("id", 0)) != author_id or int(message["id"]) in taken:
            continue
        if fingerprint(message) == wanted:
            return int(message["id"])
    return None
