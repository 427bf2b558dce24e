"""The moderators' audit log: one function every moderator action writes through, in the
transaction of the action itself, so the log never misses one that happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.audit import AuditLog


async def record_action(
    session: AsyncSession,
    *,
    guild_id: int,
    actor_id: int,
    action: str,
    at: datetime,
    target_id: int | None = None,
    count: int | None = None,
) -> None:
    """`actor_id` did `action` (a short machine name such as "mentors.approve"), to
    `target_id` if it concerns one member, `count` things where that is the point (an
    erasure's rows). Never content, a note or a reason."""
    if not action or len(action) > 64:
        raise ValueError("action must be a short machine name (1 to 64 characters)")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    session.add(
        AuditLog(
            guild_id=guild_id,
            actor_id=actor_id,
            action=action,
            target_id=target_id,
            count=count,
            at=at,
        )
    )
