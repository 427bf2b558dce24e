"""Bringing a database to the newest schema from inside the running event loop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from bot.db.database import Database

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(_PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(_PROJECT_ROOT / "migrations"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def migrate_url(url: URL) -> None:
    """Bring the database at `url` to head with a connection of its own."""
    database = Database.connect(url)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()


async def upgrade_to_head(database: Database) -> None:
    await _run(database, lambda cfg: command.upgrade(cfg, "head"))


async def upgrade_to(database: Database, revision: str) -> None:
    await _run(database, lambda cfg: command.upgrade(cfg, revision))


def down_revision_of(revision: str) -> str:
    """The revision just before `revision` (one parent: the chain is linear)."""
    script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    if script is None or not isinstance(script.down_revision, str):
        raise LookupError(f"no single revision before {revision}")
    return script.down_revision


async def downgrade_to(database: Database, revision: str) -> None:
    await _run(database, lambda cfg: command.downgrade(cfg, revision))


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _run(database: Database, action: Callable[[Config], object]) -> None:

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        action(cfg)

    async with database.engine.begin() as connection:
        await connection.run_sync(run)
