"""Telling the running process, after a commit, that something new is due (maybe sooner).

A service's transaction does not know which bot process it runs in, so `ledger.schedule` and
`outbox.enqueue` note the earliest instant on the session and, once the transaction commits,
every subscribed listener (normally one per bot) hears about it. Nothing is announced for a
transaction that rolls back: the row it would have added does not exist.

Only the outermost transaction counts. SQLAlchemy also fires `after_commit` when a SAVEPOINT is
released and `after_rollback` when one is rolled back; the note belongs to the whole transaction,
so a savepoint's end neither announces it (its rows are not committed yet) nor forgets it (one
failed `begin_nested()` must not drop the wake-up for the rest of the transaction's work). A note
made inside a savepoint that then rolls back is kept: at worst a wake-up that finds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

Listener = Callable[[datetime | None], None]
_KEY = "steady_wake_at"
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def note(session: AsyncSession, when: datetime | None) -> None:
    """Announce `when` (None: as soon as possible) after `session`'s transaction commits."""
    info = session.sync_session.info
    if _KEY not in info:
        info[_KEY] = when
        # Registered once per session and left in place: removing a listener while SQLAlchemy
        # dispatches the event mutates the deque it iterates over.
        if not event.contains(session.sync_session, "after_commit", _after_commit):
            event.listen(session.sync_session, "after_commit", _after_commit)
            event.listen(session.sync_session, "after_soft_rollback", _after_rollback)
    else:
        earlier: datetime | None = info[_KEY]
        info[_KEY] = None if when is None or earlier is None else min(earlier, when)


def _after_commit(session: Session) -> None:
    if _KEY not in session.info or session.in_nested_transaction():
        return  # nothing noted, or only a SAVEPOINT was released: the transaction goes on
    when = session.info.pop(_KEY)
    for listener in list(_listeners):
        try:
            listener(when)
        except Exception:
            # A failed wake-up must not fail a committed transaction: the sweep catches up.
            log.exception("a wake-up listener failed")


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    # `after_soft_rollback` fires for every level; only the outermost rollback undoes the rows.
    if previous.parent is None and not previous.nested:
        session.info.pop(_KEY, None)
