from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from bot.db import Database
from bot.db.base import Base
from bot.db.migrate import (
    current_revision,
    down_revision_of,
    downgrade_to,
    head_revision,
    upgrade_to,
    upgrade_to_head,
)
from tests.databases import DatabaseFactory


@pytest.fixture
async def empty_database(database_factory: DatabaseFactory) -> AsyncIterator[Database]:
    url: URL = await database_factory.empty()
    db = Database.connect(url)
    yield db
    await db.dispose()
    await database_factory.drop(url)


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


async def test_upgrade_down_to_base_and_up_again(empty_database: Database) -> None:
    await upgrade_to_head(empty_database)
    assert await current_revision(empty_database) == head_revision()
    assert await _tables(empty_database) == set(Base.metadata.tables)

    await downgrade_to(empty_database, "base")
    assert await current_revision(empty_database) is None
    assert await _tables(empty_database) == set()

    await upgrade_to_head(empty_database)
    assert await _tables(empty_database) == set(Base.metadata.tables)


async def test_upgrading_twice_is_harmless(empty_database: Database) -> None:
    await upgrade_to_head(empty_database)
    await upgrade_to_head(empty_database)
    assert await current_revision(empty_database) == head_revision()


async def test_models_and_migrations_agree(database: Database) -> None:
    """What `alembic check` reports: nothing pending between the models and the migrations."""
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert diff == []


async def test_erasure_counts_move_from_the_action_name_to_their_column_and_back(
    empty_database: Database,
) -> None:
    """0010: audit rows written as "privacy.erasure:<n>" keep their count, now in `count`;
    other actions are untouched; a downgrade writes the old form again."""
    rows = [("privacy.erasure:12", 1), ("settings.timezone", 2), ("privacy.erasure:1", 3)]
    before = down_revision_of("0010")
    await upgrade_to(empty_database, before)
    async with empty_database.transaction() as session:
        for action, row_id in rows:
            await session.execute(
                text(
                    "INSERT INTO audit_log (id, guild_id, actor_id, action, target_id, at) "
                    "VALUES (:id, 1, 0, :action, NULL, :at)"
                ),
                {"id": row_id, "action": action, "at": datetime(2026, 11, 30, tzinfo=UTC)},
            )
    await upgrade_to_head(empty_database)
    async with empty_database.read() as session:
        moved = (
            await session.execute(text("SELECT action, count FROM audit_log ORDER BY id"))
        ).all()
    assert [tuple(row) for row in moved] == [
        ("privacy.erasure", 12),
        ("settings.timezone", None),
        ("privacy.erasure", 1),
    ]

    await downgrade_to(empty_database, before)
    async with empty_database.read() as session:
        back = (await session.scalars(text("SELECT action FROM audit_log ORDER BY id"))).all()
    assert back == [action for action, _ in rows]
