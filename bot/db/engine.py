"""Engine creation with the per-backend settings Steady relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db.sqlite_driver import one_trip_dbapi
from bot.db.write_turns import Urgency

# Marks a connection whose transaction only reads, so SQLite need not take the write lock.
READ_ONLY = "steady_read_only"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# PostgreSQL connections per process (kept, and more while busy), one pool per urgency
# (bot/db/database.py), so urgent work never waits for a connection behind less urgent work:
# ordinary work; members' urgent requests (a crowd of alerts is recorded side by side: each is
# slowed by everything else the process does, so more of them at once); the outbox's urgent
# lane (10 senders, its claims and the pacer's leases). At most 44 per process.
POOLS: dict[Urgency, tuple[int, int]] = {
    Urgency.NORMAL: (10, 10),
    Urgency.REQUEST: (4, 8),
    Urgency.DELIVERY: (4, 8),
}
POOL_SIZE, POOL_OVERFLOW = POOLS[Urgency.NORMAL]


def create_engine(
    url: URL, *, echo: bool = False, urgency: Urgency = Urgency.NORMAL
) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    size, overflow = POOLS[urgency]
    # hide_parameters: a failed statement's message must not carry a member's note into the logs.
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=size,
        max_overflow=overflow,
    )


def _sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        module=one_trip_dbapi(),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would BEGIN lazily (DEFERRED) and a read-then-write
        # transaction would then fail with "database is locked" instead of waiting; take control.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA synchronous=NORMAL",
            # What a member erased, or a note's text once encrypted, is zeroed where it was
            # rather than left in the file's free space. Debian's build does this by default;
            # said here so that it holds with every build.
            "PRAGMA secure_delete=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Write transactions start IMMEDIATE: they queue on busy_timeout up front rather than
        # failing when a read lock cannot be upgraded halfway through.
        # Reads run in autocommit: each statement sees one consistent snapshot, and skipping
        # BEGIN/COMMIT saves two trips through aiosqlite's thread on the busiest commands.
        if not connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
