"""Alembic environment: async engine, batch mode on SQLite, type comparison on."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import bot.db.models  # noqa: F401  (registers every table on the metadata)
from bot.config import config_file_from_env, load_settings
from bot.db.base import Base
from bot.db.engine import create_engine

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = (
        config.get_main_option("sqlalchemy.url")
        or load_settings(config_file_from_env()).database_url
    )
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(url))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Steady passes its own open connection (bot/db/migrate.py) so that migrating from inside the
# running event loop does not need a second loop; the alembic CLI opens its own.
_given: Connection | None = config.attributes.get("connection")
if context.is_offline_mode():
    run_migrations_offline()
elif _given is not None:
    _run_on(_given)
else:
    asyncio.run(_run_online())
