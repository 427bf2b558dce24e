"""The one way to read a member's data on someone else's behalf: it writes the access log.

Call `record_access` in the same transaction as the read, so the log can never miss a read that
happened (and never records one that rolled back). The member sees these rows with
`/privacy access-log`; `what` is a short machine name, never content.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.privacy import AccessLogEntry


async def record_access(
    session: AsyncSession, *, guild_id: int, owner_id: int, viewer_id: int, what: str, at: datetime
) -> None:
    """Note that `viewer_id` read `what` of `owner_id`'s data. A member reading their own data
    is not an access by someone else and is not logged."""
    if not what or len(what) > 64:
        raise ValueError("what must be a short machine name (1 to 64 characters)")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be timezone-aware")
    if viewer_id == owner_id:
        return
    session.add(
        AccessLogEntry(guild_id=guild_id, owner_id=owner_id, viewer_id=viewer_id, what=what, at=at)
    )
