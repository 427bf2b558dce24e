"""Writing messages to the outbox, inside the transaction of the state change that causes them.

Nothing here talks to Discord: the dispatcher sends committed rows later, retrying until they
are delivered or known to be undeliverable.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.outbox import PENDING, OutboxMessage
from bot.scheduling import wake

log = logging.getLogger(__name__)

# The next-attempt time of a message to send as soon as possible. Not the clock's now: services
# pass no clock into `enqueue`, and "before anything else" is what is meant.
AS_SOON_AS_POSSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
# Components may carry this in a custom_id; `enqueue` replaces it with the outbox row's id, so
# a persistent button can find its message again after a restart.
OUTBOX_ID = "{outbox_id}"


@dataclass(frozen=True)
class Target:
    kind: Literal["channel", "dm"]
    id: int  # a channel or thread id, or a user id for a DM

    def __post_init__(self) -> None:
        if self.kind not in ("channel", "dm"):
            raise ValueError(f"unknown target kind {self.kind!r}")


@dataclass(frozen=True)
class OutgoingMessage:
    """A message in Discord's JSON shapes (embeds and components as dicts)."""

    content: str | None = None
    embeds: tuple[dict[str, Any], ...] = ()
    components: tuple[dict[str, Any], ...] = ()
    # Users this message really pings. Nobody else is (no roles, no @everyone): Steady never
    # pings beyond the people a message is for.
    mention_users: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.content and not self.embeds and not self.components:
            raise ValueError("an outgoing message needs content, an embed or a component")

    def payload(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "embeds": [dict(e) for e in self.embeds],
            "components": [dict(c) for c in self.components],
            "mention_users": list(self.mention_users),
        }


UndeliverableHandler = Callable[[AsyncSession, int | None, str], Awaitable[None]]


class UndeliverableHandlers:
    """What each purpose does with a message that cannot be delivered (called in the
    transaction that marks the row failed or dead)."""

    def __init__(self) -> None:
        self._handlers: dict[str, UndeliverableHandler] = {}

    def register(self, purpose: str, handler: UndeliverableHandler) -> None:
        self._handlers[purpose] = handler

    def get(self, purpose: str) -> UndeliverableHandler | None:
        return self._handlers.get(purpose)


# Features register at import or build time; the bot's dispatcher uses this instance.
undeliverable_handlers = UndeliverableHandlers()


def on_undeliverable(purpose: str, handler: UndeliverableHandler) -> None:
    """Call `handler(session, subject_id, reason)` when a `purpose` message cannot be delivered:
    a DM refused with no usable fallback, or the row going dead."""
    undeliverable_handlers.register(purpose, handler)


async def enqueue(
    session: AsyncSession,
    *,
    target: Target,
    message: OutgoingMessage,
    purpose: str,
    subject_id: int | None = None,
    guild_id: int | None = None,
    fallback: Target | None = None,
    public: bool = False,
    not_before: datetime | None = None,
) -> int:
    """Add a message to send; its outbox id.

    `purpose` is a short machine name such as "milestone.dm" (shown in /setup status; never
    personal content). `fallback` receives the message when a DM is refused; unless `public`,
    a fallback channel is only used if it is private (a private thread, or a channel @everyone
    cannot see). `not_before` holds the message back until then.
    """
    if not purpose or len(purpose) > 64:
        raise ValueError("purpose must be a short machine name (1 to 64 characters)")
    if not_before is not None and (not_before.tzinfo is None or not_before.utcoffset() is None):
        raise ValueError("not_before must be timezone-aware")
    row = OutboxMessage(
        purpose=purpose,
        subject_id=subject_id,
        guild_id=guild_id,
        target_kind=target.kind,
        target_id=target.id,
        fallback_kind=fallback.kind if fallback else None,
        fallback_id=fallback.id if fallback else None,
        public=public,
        payload=message.payload(),
        state=PENDING,
        attempts=0,
        next_attempt_at=not_before or AS_SOON_AS_POSSIBLE,
    )
    session.add(row)
    await session.flush()
    if any(OUTBOX_ID in str(c) for c in message.components):
        row.payload = {
            **row.payload,
            "components": list(_fill_outbox_id(message.components, row.id)),
        }
        await session.flush()
    wake.note(session, not_before)
    return row.id


def _fill_outbox_id(components: Iterable[Any], outbox_id: int) -> Iterable[Any]:
    for component in components:
        yield _fill(component, outbox_id)


def _fill(value: Any, outbox_id: int) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, outbox_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, outbox_id) for v in value]
    if isinstance(value, str):
        return value.replace(OUTBOX_ID, str(outbox_id))
    return value
