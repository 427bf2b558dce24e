"""Helpers for PostgreSQL concurrency tests: hold one timed handler inside its transaction,
and wait (polling, never a fixed sleep) until other transactions queue behind its locks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.scheduling.kinds import DueItem, WorkKind


async def wait_until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Poll a condition (not a fixed sleep): fails the test if it does not hold within 20 s."""
    async with asyncio.timeout(20):
        # What we wait for is another backend's lock wait: there is no in-process event.
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


class Gate:
    """Holds the handler of one subject until let go, so others queue behind its locks."""

    def __init__(self, subject_id: int) -> None:
        self.subject_id = subject_id
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def wrap(self, kind: WorkKind[Any]) -> WorkKind[Any]:
        original = kind.handle

        async def held(session: AsyncSession, item: DueItem, subject: Any) -> None:
            if item.subject_id == self.subject_id:
                self.entered.set()
                await self.release.wait()
            await original(session, item, subject)

        return replace(kind, handle=held)


async def waiting_on_locks(database: Database) -> int:
    """How many of this database's backends are waiting for a lock right now."""
    async with database.read() as session:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )
        return int(found or 0)
