from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from bot.db import Database
from bot.db.models import GuildSettings, MemberSettings

WRITERS = 50


async def test_fifty_concurrent_read_then_write_transactions_all_succeed(
    database: Database,
) -> None:
    """Each writer reads the shared counter row and writes it back: no lock errors, no lost
    updates (which a DEFERRED SQLite transaction, or no row lock on PostgreSQL, would cause)."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=1, moderator_role_id=0, updated_at=now))

    async def writer(n: int) -> None:
        async with database.transaction() as session:
            row = (
                await session.scalars(
                    select(GuildSettings).where(GuildSettings.guild_id == 1).with_for_update()
                )
            ).one()
            await asyncio.sleep(0)  # let the others run between the read and the write
            row.moderator_role_id = (row.moderator_role_id or 0) + 1
            session.add(MemberSettings(guild_id=1, user_id=n, timezone="UTC", updated_at=now))

    results = await asyncio.gather(*(writer(n) for n in range(WRITERS)), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    async with database.read() as session:
        guild = await session.get(GuildSettings, 1)
        members = (await session.scalars(select(MemberSettings))).all()
    assert guild is not None
    assert guild.moderator_role_id == WRITERS
    assert len(members) == WRITERS
