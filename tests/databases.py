"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when STEADY_TEST_DATABASE_URL
points at a server (`make test` starts a throwaway one).

Each backend is migrated once into a template; every test then gets its own copy, so tests are
isolated and do not pay for migrations each time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from bot.db.migrate import migrate_url

POSTGRES_ENV = "STEADY_TEST_DATABASE_URL"
_TEMPLATE = "steady_template"


def postgres_server() -> URL | None:
    raw = os.environ.get(POSTGRES_ENV)
    return make_url(raw) if raw else None


def backend_name() -> str:
    return "postgresql" if postgres_server() else "sqlite"


def _dsn(url: URL, database: str) -> str:
    return url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)


class DatabaseFactory:
    """Hands out empty, migrated databases of the backend under test."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._server = postgres_server()
        self._created: list[str] = []
        self._template_ready = False

    def _prepare_template(self) -> None:
        if self._template_ready:
            return
        if self._server is None:
            asyncio.run(migrate_url(self._sqlite_url(self._workdir / "template.db")))
        else:
            asyncio.run(self._pg_template())
        self._template_ready = True

    async def _pg_template(self) -> None:
        assert self._server is not None
        admin = await asyncpg.connect(_dsn(self._server, "postgres"))
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {_TEMPLATE}")
        finally:
            await admin.close()
        await migrate_url(self._server.set(database=_TEMPLATE))

    @staticmethod
    def _sqlite_url(path: Path) -> URL:
        return make_url(f"sqlite+aiosqlite:///{path}")

    async def new(self) -> URL:
        await asyncio.to_thread(self._prepare_template)
        name = f"t_{uuid.uuid4().hex[:12]}"
        if self._server is None:
            path = self._workdir / f"{name}.db"
            shutil.copyfile(self._workdir / "template.db", path)
            return self._sqlite_url(path)
        admin = await asyncpg.connect(_dsn(self._server, "postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
        finally:
            await admin.close()
        self._created.append(name)
        return self._server.set(database=name)

    async def empty(self) -> URL:
        """A database with no schema at all, for migration tests."""
        name = f"e_{uuid.uuid4().hex[:12]}"
        if self._server is None:
            return self._sqlite_url(self._workdir / f"{name}.db")
        admin = await asyncpg.connect(_dsn(self._server, "postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        self._created.append(name)
        return self._server.set(database=name)

    async def drop(self, url: URL) -> None:
        if self._server is None or url.database not in self._created:
            return
        admin = await asyncpg.connect(_dsn(self._server, "postgres"))
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)")
        finally:
            await admin.close()
        self._created.remove(url.database)
