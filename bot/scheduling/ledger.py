"""Adding, moving and cancelling due work, inside the calling service's own transaction.

Lock order (`bot.scheduling.locks`): lock the subject's domain row before calling `schedule` or
`cancel`, so a command and the runner handling the same item never wait for each other in a
circle. A handler already holds its subject.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.scheduling import PENDING, DueWork
from bot.scheduling import wake

_PENDING_ONLY = text("state = 'pending'")
MAX_KEY = 64
MAX_PAYLOAD_BYTES = 1024


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
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError("due_at must be timezone-aware")
    if len(key) > MAX_KEY:
        raise ValueError(f"a work key has at most {MAX_KEY} characters")
    stored = dict(payload) if payload is not None else None
    if stored is not None and len(json.dumps(stored).encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a work payload holds at most {MAX_PAYLOAD_BYTES} bytes of JSON")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    moved = {
        "due_at": due_at,
        "available_at": due_at,
        "attempts": 0,
        "claimed_by": None,
        "claimed_until": None,
        "reason": None,
        "guild_id": guild_id,
        "payload": stored,
    }
    statement = insert(DueWork).values(
        kind=kind, subject_id=subject_id, key=key, state=PENDING, **moved
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "subject_id", "key"], index_where=_PENDING_ONLY, set_=moved
        )
    )
    wake.note(session, due_at)


async def cancel(
    session: AsyncSession, kind: str, subject_id: int, *, key: str | None = None
) -> int:
    """Forget the subject's pending rows of this kind (only the one with `key`, if given);
    how many there were."""
    statement = delete(DueWork).where(
        DueWork.kind == kind, DueWork.subject_id == subject_id, DueWork.state == PENDING
    )
    if key is not None:
        statement = statement.where(DueWork.key == key)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
