"""Adding, moving and cancelling due work, inside the calling service's own transaction.

Lock order (`bot.scheduling.locks`): lock the subject's domain row before calling `schedule` or
`cancel`, so a command and the runner handling the same item never wait for each other in a
circle. A handler already holds its subject.

`schedule_many` and `cancel_many` do the same for many subjects at once (start-up, a daily
rebuild planning thousands of meetings) in one statement each, with the same guarantee.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.scheduling import PENDING, DueWork
from bot.scheduling import wake

_PENDING_ONLY = text("state = 'pending'")
# `due_work.state = 'pending'` spelled out, not bound: the one-pending-row index is partial
# (WHERE state = 'pending'), and PostgreSQL's generic plan for a prepared `state = $1` (asyncpg
# prepares and caches every statement) cannot use it, so after a few runs a lookup by (kind,
# subject) would walk every pending row of the kind. Use it in such lookups.
IS_PENDING = DueWork.state == literal_column("'pending'")
MAX_KEY = 64
MAX_PAYLOAD_BYTES = 1024
_TABLE = cast(Table, DueWork.__table__)  # declared as a FromClause; it is the Table
# What scheduling again overwrites on THE pending row (and so what a new row starts with).
_MOVED = (
    "due_at",
    "available_at",
    "attempts",
    "claimed_by",
    "claimed_until",
    "reason",
    "guild_id",
    "payload",
)


@dataclass(frozen=True, slots=True)
class Planned:
    """One item for `schedule_many`: the arguments `schedule` takes."""

    kind: str
    subject_id: int
    due_at: datetime
    key: str = ""
    guild_id: int | None = None
    payload: Mapping[str, Any] | None = None


def _stored(payload: Mapping[str, Any] | None) -> dict[str, Any] | None:
    stored = dict(payload) if payload is not None else None
    if stored is not None and len(json.dumps(stored).encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a work payload holds at most {MAX_PAYLOAD_BYTES} bytes of JSON")
    return stored


def _row(item: Planned, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The row's values, once the item is checked (the same checks for one and for many)."""
    if item.due_at.tzinfo is None or item.due_at.utcoffset() is None:
        raise ValueError("due_at must be timezone-aware")
    if len(item.key) > MAX_KEY:
        raise ValueError(f"a work key has at most {MAX_KEY} characters")
    return {
        "kind": item.kind,
        "subject_id": item.subject_id,
        "key": item.key,
        "state": PENDING,
        "due_at": item.due_at,
        "available_at": item.due_at,
        "attempts": 0,
        "claimed_by": None,
        "claimed_until": None,
        "reason": None,
        "guild_id": item.guild_id,
        "payload": stored,
    }


def _upsert(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT on the one-pending-row index: a new row, or the pending one moved.
    Moving a row also releases any claim on it, so a process in the middle of handling the old
    due time finds the row changed and leaves it for the new one."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=["kind", "subject_id", "key"],
        index_where=_PENDING_ONLY,
        set_={column: statement.excluded[column] for column in _MOVED},
    )


async def schedule(
    session: AsyncSession,
    kind: str,
    subject_id: int,
    due_at: datetime,
    *,
    key: str = "",
    guild_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Add, or move, THE pending row for (kind, subject_id, key): there is at most one.

    `key` tells apart several pending items of one subject (a meeting occurrence's reminders:
    "60", "15"); `guild_id` is the server the work belongs to (per-server status, erasure);
    `payload` is a small JSON object (at most 1 KiB, ids and options only, never personal
    content). Moving a row also releases any claim on it, so a process in the middle of
    handling the old due time finds the row changed and leaves it for the new one.
    """
    await schedule_many(
        session, [Planned(kind, subject_id, due_at, key=key, guild_id=guild_id, payload=payload)]
    )


async def schedule_many(session: AsyncSession, items: Iterable[Planned]) -> int:
    """`schedule` for every item, in one statement: each (kind, subject_id, key) ends with one
    pending row, added or moved. An item named twice counts once, the later one winning, as
    calling `schedule` in order would. The subjects are locked by the caller (lock order).
    How many distinct items were scheduled."""
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    # Several items often share one payload object (a meeting occurrence's reminders): it is
    # copied and measured once, not once per row. The original is kept beside its copy so
    # its id cannot be reused by another payload while this runs.
    payloads: dict[int, tuple[Mapping[str, Any] | None, dict[str, Any] | None]] = {}
    for item in items:
        seen = payloads.get(id(item.payload))
        if seen is None or seen[0] is not item.payload:
            seen = payloads[id(item.payload)] = (item.payload, _stored(item.payload))
        rows[(item.kind, item.subject_id, item.key)] = _row(item, seen[1])
    if not rows:
        return 0
    # One row per conflict target: PostgreSQL refuses to update the same row twice in one
    # statement, so the duplicates were collapsed above.
    await session.execute(_upsert(session), list(rows.values()))
    wake.note(session, min(row["due_at"] for row in rows.values()))
    return len(rows)


async def cancel(
    session: AsyncSession, kind: str, subject_id: int, *, key: str | None = None
) -> int:
    """Forget the subject's pending rows of this kind (only the one with `key`, if given);
    how many there were."""
    statement = delete(DueWork).where(
        DueWork.kind == kind, DueWork.subject_id == subject_id, IS_PENDING
    )
    if key is not None:
        statement = statement.where(DueWork.key == key)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def cancel_many(
    session: AsyncSession, kinds: Sequence[str], subject_ids: Sequence[int]
) -> None:
    """`cancel` of every kind for every subject (all keys), in one statement.

    Run as one DELETE per (kind, subject) in a single executemany rather than one DELETE with
    `subject_id IN (…)`: with IN lists SQLite's planner walks the (state, kind) index, every
    pending row of the kind, so planning all meetings in batches cost the square of their
    number; an exact (kind, subject) finds its rows through the one-pending-row index."""
    pairs = [{"k": kind, "s": subject_id} for kind in kinds for subject_id in subject_ids]
    if not pairs:
        return
    statement = delete(_TABLE).where(
        _TABLE.c.kind == bindparam("k"),
        _TABLE.c.subject_id == bindparam("s"),
        _TABLE.c.state == literal_column("'pending'"),
    )
    await session.execute(statement, pairs)
