"""Adding, moving and cancelling due work, inside the calling service's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.scheduling import PENDING, DueWork
from bot.scheduling import wake

_PENDING_ONLY = text("state = 'pending'")


async def schedule(session: AsyncSession, kind: str, subject_id: int, due_at: datetime) -> None:
    """Add, or move, THE pending row for (kind, subject_id): there is at most one.

    Moving a row also releases any claim on it, so a process in the middle of handling the old
    due time finds the row changed and leaves it for the new one.
    """
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError("due_at must be timezone-aware")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    moved = {
        "due_at": due_at,
        "available_at": due_at,
        "attempts": 0,
        "claimed_by": None,
        "claimed_until": None,
        "reason": None,
    }
    statement = insert(DueWork).values(kind=kind, subject_id=subject_id, state=PENDING, **moved)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "subject_id"], index_where=_PENDING_ONLY, set_=moved
        )
    )
    wake.note(session, due_at)


async def cancel(session: AsyncSession, kind: str, subject_id: int) -> None:
    """Forget the pending row for (kind, subject_id), if there is one."""
    await session.execute(
        delete(DueWork).where(
            DueWork.kind == kind, DueWork.subject_id == subject_id, DueWork.state == PENDING
        )
    )
