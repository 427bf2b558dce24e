"""The server's matching lock: one transaction at a time decides who in a server is offered what.

Every transaction that can leave a request waiting (an offer made, expired, declined or
undeliverable) or can give a waiting request somewhere to go (a mentor approved, resumed or
removed, a pairing ended) takes it first, before it locks any other mentoring row or reads the
pool or the waitlist. Without it two such transactions on PostgreSQL (READ COMMITTED) each read
before the other commits: an offer expiring found the resuming mentor still paused and left its
request waiting, while the resume found that request still offered, so nobody served it until
the next serve. Holding the lock, the later transaction's reads see the earlier one's commit.

The lock is the server's `mentoring_settings` row. It comes before mentoring's own rows (offers,
then requests, then profiles, then pairs) in every transaction. Other features' rows may come
before it (an erasure locks the member's settings, counters and check-ins first; a timezone
change its settings and celebrations), so the rule that keeps this free of deadlocks is the
other way round: while holding it, never lock another feature's rows or any settings row (the
paths that hold it only read them). `bump_pool` writes the same row, so a transaction holding
the lock bumps the pool without a further wait. On SQLite the write transaction already
holds the database's write lock, so this only makes sure the row exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MentoringSettings


async def lock_matching(
    session: AsyncSession, guild_id: int, now: datetime, *, create: bool = True
) -> None:
    """Take the server's matching lock for the rest of the transaction, making its row on first
    use. Without `create`, a server that has no row (nobody ever configured mentoring or
    applied to mentor, so there is no pool and nobody to serve) is left without one: the row's
    existence tells `/setup status` that the server uses mentoring."""
    held = select(MentoringSettings.guild_id).where(MentoringSettings.guild_id == guild_id)
    if await session.scalar(held.with_for_update()) is not None or not create:
        return
    # A server whose mentoring nobody configured or applied to yet: make its row (with the
    # defaults), then lock it. A concurrent first use waits here for the other insert.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(MentoringSettings)
        .values(guild_id=guild_id, updated_at=now)
        .on_conflict_do_nothing(index_elements=["guild_id"])
    )
    await session.scalar(held.with_for_update())


async def guild_of(session: AsyncSession, model: Any, row_id: int) -> int | None:
    """The server of one mentoring row (an offer, a pair, a profile), read without a lock so
    that the matching lock can be taken before the row's own; a row's server never changes.
    None if the row is gone."""
    found: int | None = await session.scalar(select(model.guild_id).where(model.id == row_id))
    return found
