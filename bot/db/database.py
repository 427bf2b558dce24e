"""`Database`: the engine plus the only way services open a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import READ_ONLY, create_engine
from bot.db.write_turns import Urgency, WriteTurns

__all__ = ["Database", "Urgency"]


class Database:
    def __init__(self, engine: AsyncEngine, urgent_engine: AsyncEngine | None = None) -> None:
        self.engine = engine
        # PostgreSQL: urgent work has a small pool of its own, so a support alert's transaction
        # never waits for a connection behind a crowd of ordinary ones (the main pool hands
        # them out first come first served). SQLite's queue is the write turns below instead.
        self.urgent_engine = urgent_engine or engine
        self._sessions = {
            False: async_sessionmaker(engine, expire_on_commit=False),
            True: async_sessionmaker(self.urgent_engine, expire_on_commit=False),
        }
        self._read_sessions = {
            urgent: async_sessionmaker(
                chosen.execution_options(**{READ_ONLY: True}), expire_on_commit=False
            )
            for urgent, chosen in ((False, engine), (True, self.urgent_engine))
        }
        # SQLite: this process's writers take turns (bot/db/write_turns.py), urgent ones first.
        self._write_turns: tuple[asyncio.AbstractEventLoop, WriteTurns] | None = None
        self._turn_holder: asyncio.Task[object] | None = None

    @classmethod
    def connect(cls, url: URL) -> Database:
        if url.get_backend_name() == "sqlite":
            return cls(create_engine(url))
        return cls(create_engine(url), create_engine(url, urgent=True))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self, urgency: Urgency = Urgency.NORMAL) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises.
        Pass an `urgency` only for work a person waits on to reach a human (see
        bot/db/write_turns.py): it goes ahead of ordinary writers."""
        sessions = self._sessions[urgency > Urgency.NORMAL]
        turns = self._turns()
        task = asyncio.current_task()
        if turns is None or task is None or self._turn_holder is task:
            async with sessions() as session, session.begin():
                yield session
            return
        await turns.acquire(urgency)
        self._turn_holder = task
        try:
            async with sessions() as session, session.begin():
                yield session
        finally:
            self._turn_holder = None
            turns.release()

    def writers_waiting(self, urgency: Urgency | None = None) -> int:
        """SQLite: how many of this process's writers wait for their turn (of one urgency, or
        all); always 0 on PostgreSQL, where they queue for connections instead."""
        turns = self._turns()
        return 0 if turns is None else turns.waiting(urgency)

    def _turns(self) -> WriteTurns | None:
        """SQLite: the turns writers queue on (one per event loop; tests run several)."""
        if self.dialect != "sqlite":
            return None
        loop = asyncio.get_running_loop()
        if self._write_turns is None or self._write_turns[0] is not loop:
            self._write_turns = (loop, WriteTurns())
        return self._write_turns[1]

    @asynccontextmanager
    async def read(self, urgency: Urgency = Urgency.NORMAL) -> AsyncIterator[AsyncSession]:
        """A session that only reads. On SQLite it runs in autocommit, each statement reading
        one consistent snapshot without waiting for writers; group reads that must agree with
        each other into one statement. An urgent read (PostgreSQL) uses the urgent pool."""
        async with self._read_sessions[urgency > Urgency.NORMAL]() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.urgent_engine is not self.engine:
            await self.urgent_engine.dispose()
