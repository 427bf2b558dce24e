from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from bot.db import Database
from bot.db.models import GuildSettings


async def test_aware_instants_come_back_as_utc(database: Database) -> None:
    tokyo_evening = datetime(2026, 3, 1, 21, 30, tzinfo=timezone(timedelta(hours=9)))
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=1, updated_at=tokyo_evening))
    async with database.read() as session:
        stored = (await session.scalars(select(GuildSettings.updated_at))).one()
    assert stored == tokyo_evening
    assert stored.tzinfo is UTC
    assert stored.hour == 12


async def test_naive_datetimes_are_refused_and_nothing_is_written(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime refused"):
        async with database.transaction() as session:
            session.add(GuildSettings(guild_id=1, updated_at=datetime(2026, 3, 1, 12)))
    async with database.read() as session:
        assert (await session.scalars(select(GuildSettings))).all() == []


async def test_instants_compare_in_time_order_across_offsets(database: Database) -> None:
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    later_but_east = (base + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=14)))
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=1, updated_at=base))
        session.add(GuildSettings(guild_id=2, updated_at=later_but_east))
    async with database.read() as session:
        after = await session.scalars(
            select(GuildSettings.guild_id).where(GuildSettings.updated_at > base)
        )
        assert after.all() == [2]
