"""A member's check-in row: created on first use and locked before anything of theirs changes,
so one member's check-ins, /sos and schedule commands are serialised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.checkins import CheckinMember


async def locked_member(
    session: AsyncSession, guild_id: int, user_id: int, now: datetime
) -> CheckinMember:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CheckinMember).values(
        guild_id=guild_id, user_id=user_id, sharing="none", updated_at=now
    )
    # One round trip: the row is created if missing, else "updated" to itself, which locks it
    # on PostgreSQL as FOR UPDATE would (SQLite's single writer serialises anyway).
    row = (
        await session.scalars(
            statement.on_conflict_do_update(
                index_elements=["guild_id", "user_id"],
                set_={"user_id": statement.excluded.user_id},
            ).returning(CheckinMember),
            execution_options={"populate_existing": True},
        )
    ).one()
    return row


async def member_row(session: AsyncSession, guild_id: int, user_id: int) -> CheckinMember | None:
    return await session.scalar(
        select(CheckinMember).where(
            CheckinMember.guild_id == guild_id, CheckinMember.user_id == user_id
        )
    )
