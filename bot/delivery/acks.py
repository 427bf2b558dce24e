"""Recording the click on an outbox message's acknowledge button (no discord import)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.outbox import OutboxMessage

# (session, subject_id, user_id) → the reply shown to the clicker, or None for the default.
AckHandler = Callable[[AsyncSession, int | None, int], Awaitable[str | None]]

FIRST = "Thanks, noted."
AGAIN = "Already noted, thank you."
GONE = "This message is too old to answer now."
NOT_YET = "Steady is still confirming this message; please try again in a minute."

_handlers: dict[str, AckHandler] = {}


def on_acknowledged(purpose: str, handler: AckHandler) -> None:
    """Call `handler` (in the transaction that records it) on the first acknowledgement of a
    `purpose` message."""
    _handlers[purpose] = handler


class Acknowledgements:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def acknowledge(self, outbox_id: int, user_id: int, message_id: int | None) -> str:
        """Record a click on the button of outbox row `outbox_id`, in Discord message
        `message_id`. The click counts only if that message is the one the row was sent as:
        on SQLite an id can be used again after old rows are pruned, and an old button must
        not acknowledge someone else's new message."""
        try:
            async with self._db.transaction() as session:
                # Read without a lock: the handler locks the feature's rows first and the
                # outbox row is locked after them (bot/scheduling/locks.py), as a command that
                # locks the feature's row and then edits or cancels this one does.
                row = await session.get(OutboxMessage, outbox_id, populate_existing=True)
                if row is None:
                    return GONE  # pruned after its retention time
                if row.sent_message_id is None:
                    return NOT_YET  # sent, but not marked yet (a retry after a crash will)
                if message_id is None or row.sent_message_id != message_id:
                    return GONE  # a button of an older message whose row is gone
                if row.acknowledged_at is not None:
                    return AGAIN
                purpose, subject_id = row.purpose, row.subject_id
                session.expunge(row)
                handler = _handlers.get(purpose)
                reply = await handler(session, subject_id, user_id) if handler else None
                # The first click counts: another one recorded meanwhile undoes this one.
                marked = await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == outbox_id,
                        OutboxMessage.sent_message_id == message_id,
                        OutboxMessage.acknowledged_at.is_(None),
                    )
                    .values(acknowledged_at=self._clock.now(), acknowledged_by=user_id)
                    .execution_options(synchronize_session=False)
                )
                if not getattr(marked, "rowcount", 0):
                    raise _AlreadyNoted
        except _AlreadyNoted:
            return AGAIN
        return reply or FIRST


class _AlreadyNoted(Exception):
    """Someone else's click was recorded first: roll this one (and its handler) back."""
