"""`Database`: the engine plus the only way services open a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import READ_ONLY, create_engine


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        # SQLite has one write lock, and its busy handler is not fair: a writer that commits and
        # begins again at once (the ledger's groups of a long pass) keeps winning it, while
        # another (an alert's commit, the dispatcher's claim) sleeps and retries until the pass
        # ends. So this process's writers take turns here, first come first served.
        self._write_turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._turn_holder: asyncio.Task[object] | None = None
        self._queued = 0  # writers waiting for their turn

    @classmethod
    def connect(cls, url: URL) -> Database:
        return cls(create_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        turns = self._turns()
        task = asyncio.current_task()
        if turns is None or task is None or self._turn_holder is task:
            async with self._sessions() as session, session.begin():
                yield session
            return
        self._queued += 1
        try:
            await turns.acquire()
        finally:
            self._queued -= 1
        try:
            self._turn_holder = task
            async with self._sessions() as session, session.begin():
                yield session
        finally:
            self._turn_holder = None
            turns.release()

    @property
    def writers_waiting(self) -> bool:
        """Whether another writer of this process waits for its turn (SQLite; always False on
        PostgreSQL, whose writers do not queue here): a long run of writes can then commit
        early and let it in."""
        return self._queued > 0

    def _turns(self) -> asyncio.Lock | None:
        """SQLite: the lock writers queue on (one per event loop; tests run several)."""
        if self.dialect != "sqlite":
            return None
        loop = asyncio.get_running_loop()
        if self._write_turns is None or self._write_turns[0] is not loop:
            self._write_turns = (loop, asyncio.Lock())
        return self._write_turns[1]

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads. On SQLite it runs in autocommit, each statement reading
        one consistent snapshot without waiting for writers; group reads that must agree with
        each other into one statement."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
