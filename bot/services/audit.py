"""Recording moderators' actions in the audit log: who, what, to whom and when, never content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditLog


def record(
    session: AsyncSession,
    *,
    guild_id: int,
    actor_id: int,
    action: str,
    at: datetime,
    target_id: int | None = None,
) -> None:
    """Add an audit row to the caller's transaction, so it commits with the action itself.

    `action` is a short machine name such as "mentors.approve"; reasons and notes are never
    recorded here.
    """
    if not action or len(action) > 64:
        raise ValueError("an audit action is a short machine name (1 to 64 characters)")
    session.add(
        AuditLog(guild_id=guild_id, actor_id=actor_id, action=action, target_id=target_id, at=at)
    )
