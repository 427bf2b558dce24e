"""Operations on one thread or scheduled event go out one after another, in the order queued.

Unlike a message's sends, they have no nonce and no order of their own on Discord's side: a
move of an event to 19:00 that meets a 503 and is retried after a later move to 20:00 puts the
event back to 19:00. So an operation on a thing that still has an unfinished one queued waits
(WAITING) behind it and is released when that one is finished (done, failed or dead, or
withdrawn); an edit queued right behind an edit of the same kind that nobody has begun is
merged into it (the latest value of each field wins), as message edits are coalesced.

"The same thing" is its Discord id when known (an event's `external_id`, a thread's
`target_id`), or else the outbox row that creates it (`ref_id`), and both together once that
row has made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.outbox import PENDING, SENT, WAITING, OutboxMessage

THREAD_OPS = frozenset({"thread.edit", "thread.add_member", "thread.delete"})
EVENT_OPS = frozenset({"event.edit", "event.delete"})
CREATES = frozenset({"thread.create", "event.create"})
EDITS = frozenset({"thread.edit", "event.edit"})


def family(operation: str) -> frozenset[str] | None:
    if operation in THREAD_OPS:
        return THREAD_OPS
    if operation in EVENT_OPS:
        return EVENT_OPS
    return None


async def same_thing(
    session: AsyncSession, operation: str, thing_id: int | None, creator_id: int | None
) -> ColumnElement[bool]:
    """Rows of `operation`'s family acting on the thing `thing_id`, or made by `creator_id`."""
    ops = family(operation)
    assert ops is not None
    if creator_id is None and thing_id is not None:
        creator_id = await session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.operation.in_(CREATES),
                OutboxMessage.state == SENT,
                OutboxMessage.external_id == thing_id,
            )
        )
    if thing_id is None and creator_id is not None:
        thing_id = await session.scalar(
            select(OutboxMessage.external_id).where(
                OutboxMessage.id == creator_id, OutboxMessage.state == SENT
            )
        )
    known = OutboxMessage.target_id if ops is THREAD_OPS else OutboxMessage.external_id
    which: list[ColumnElement[bool]] = []
    if thing_id is not None:
        which.append(known == thing_id)
    if creator_id is not None:
        which.append(OutboxMessage.ref_id == creator_id)
    return OutboxMessage.operation.in_(ops) & (or_(*which) if which else false())


async def queue_behind(
    session: AsyncSession,
    operation: str,
    params: dict[str, Any],
    thing_id: int | None,
    creator_id: int | None,
) -> tuple[str, int | None]:
    """Where a new operation on a thing goes: ("merged", id of the edit it joined), ("wait",
    None) behind an unfinished one, or ("go", None) when nothing is ahead of it."""
    ahead = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                await same_thing(session, operation, thing_id, creator_id),
                OutboxMessage.state.in_([PENDING, WAITING]),
            )
            .order_by(OutboxMessage.id)
            .with_for_update()
        )
    ).all()
    if not ahead:
        return "go", None
    last = ahead[-1]
    if (
        operation in EDITS
        and last.operation == operation
        and last.claimed_by is None
        and not _archive_flips(last.payload, params)
    ):
        last.payload = {**last.payload, **params}
        await session.flush()
        return "merged", last.id
    return "wait", None


def _archive_flips(pending: dict[str, Any], params: dict[str, Any]) -> bool:
    """An archived thread takes no other change until it is unarchived, so "unarchive (and
    lock)" followed by "archive" must stay two requests: merged, the latest value would win
    and the thread would never be unarchived to be locked."""
    return (
        "archived" in pending and "archived" in params and pending["archived"] != params["archived"]
    )


async def release_next(session: AsyncSession, done: OutboxMessage, now: datetime) -> None:
    """`done`, the operation at the head of its thing's queue, is finished or withdrawn: the
    next one may go. (One that was itself waiting releases nothing: the head is still ahead.)"""
    if family(done.operation) is None:
        return
    thing_id = done.target_id or None if done.operation in THREAD_OPS else done.external_id
    following = await session.scalar(
        select(OutboxMessage)
        .where(
            await same_thing(session, done.operation, thing_id, done.ref_id),
            OutboxMessage.state == WAITING,
            OutboxMessage.id != done.id,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update()
    )
    if following is None:
        return
    following.state, following.next_attempt_at = PENDING, now


async def release_next_made_by(
    session: AsyncSession, creator: OutboxMessage, now: datetime
) -> None:
    """`creator` has made its thread or event: the first operation waiting for it may go."""
    first = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.ref_id == creator.id, OutboxMessage.state == WAITING)
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update()
    )
    if first is not None:
        first.state, first.next_attempt_at = PENDING, now
