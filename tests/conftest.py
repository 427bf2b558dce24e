from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from bot.db import Database
from bot.security.notes import KEYS_ENV, generate_key
from bot.simulator import Simulator
from tests.databases import DatabaseFactory, backend_name


def pytest_configure(config: pytest.Config) -> None:
    # On PostgreSQL Steady refuses to start without STEADY_ENCRYPTION_KEYS (on SQLite a key file
    # is made beside the database): every bot the tests start shares one throwaway key.
    if backend_name() == "postgresql" and not os.environ.get(KEYS_ENV):
        os.environ[KEYS_ENV] = generate_key()


def pytest_report_header() -> str:
    return f"steady database backend: {backend_name()}"


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFactory:
    return DatabaseFactory(tmp_path_factory.mktemp("databases"))


@pytest.fixture
async def database_url(database_factory: DatabaseFactory) -> AsyncIterator[URL]:
    """A fresh database at the newest schema, private to the test."""
    url = await database_factory.new()
    yield url
    await database_factory.drop(url)


@pytest.fixture
async def database(database_url: URL) -> AsyncIterator[Database]:
    db = Database.connect(database_url)
    yield db
    await db.dispose()


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A running local Discord, fresh for each test."""
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
def tmp_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if backend_name() == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (STEADY_TEST_DATABASE_URL)")
    for item in items:
        if item.get_closest_marker("postgres_only") is not None:
            item.add_marker(skip)
