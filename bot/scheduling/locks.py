"""The one lock order for timed work and the commands that change it, and helpers that keep it.

Every transaction that touches timed work locks rows in this order, and never locks (SELECT …
FOR UPDATE, UPDATE, DELETE) an existing row of an earlier class after one of a later class:

1. domain rows, coarsest first: a server's settings, a member's settings, then the feature's
   own rows (a counter, an alert, an offer); several rows of one table in id order;
2. due_work rows (`ledger.schedule`, `ledger.cancel`, the runner's mark of its own row);
3. outbox rows.

Inserting new rows takes no lock another transaction waits for in this sense, so a handler may
insert celebrations and enqueue messages. Two transactions that follow the order can wait for
each other but never in a circle, so PostgreSQL never has to abort one as a deadlock (on SQLite
write transactions are serialised by `BEGIN IMMEDIATE` and cannot deadlock at all).

How each side keeps it:
- The runner claims due rows in a short committed transaction that waits for nothing (`SKIP
  LOCKED`), then handles each item in its own transaction: the kind's `lock_subject` (class 1),
  then the item's due_work row, re-checked as still claimed by this worker and unchanged (class
  2; a command that moved or cancelled it wins and the item is skipped), then the handler, which
  already holds its subject and re-checks its state under that lock. (On SQLite, which has no
  row locks, a small group of items shares one transaction and their rows are marked first.)
- A command locks its domain row with `lock_row` (or `relock` for a row it already loaded)
  before it calls `ledger.schedule` or `ledger.cancel`. An UPDATE of the row that is flushed
  before the ledger call also holds the lock, but an explicit lock also makes the command's
  checks see the row as it is now rather than as it was read.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.kinds import DueItem, LockSubject

M = TypeVar("M")


async def lock_row(session: AsyncSession, model: type[M], row_id: Any) -> M | None:
    """The row with this primary key, locked for the rest of the transaction and re-read (the
    identity map may hold an older copy); None if it no longer exists."""
    return await session.get(model, row_id, with_for_update=True, populate_existing=True)


async def relock(session: AsyncSession, instance: object) -> None:
    """Lock a row the transaction has already loaded, and refresh it to what is committed now.
    Call before changing it: unflushed changes to `instance` are discarded."""
    await session.refresh(instance, with_for_update=True)


def row(model: type[M]) -> LockSubject[M]:
    """`lock_subject` for a kind whose subject id is the primary key of one `model` row."""

    async def lock(session: AsyncSession, item: DueItem) -> M | None:
        return await lock_row(session, model, item.subject_id)

    return lock


async def nothing_to_lock(session: AsyncSession, item: DueItem) -> int:
    """`lock_subject` for a kind whose handler changes no existing domain row that a command
    also changes (it only reads and inserts): the subject is its id."""
    return item.subject_id
