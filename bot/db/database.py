"""`Database`: the engine plus the only way services open a transaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import READ_ONLY, create_engine
from bot.db.write_turns import REQUESTS_AT_ONCE, OrdinaryGate, Urgency, WriteTurns

__all__ = ["Database", "Urgency"]


class Database:
    def __init__(
        self, engine: AsyncEngine, urgent_engines: Mapping[Urgency, AsyncEngine] | None = None
    ) -> None:
        self.engine = engine
        # PostgreSQL: each urgency has a pool of its own (bot/db/engine.py), so a support
        # alert's transaction never waits for a connection behind a crowd of ordinary ones (a
        # pool hands them out first come first served), nor the dispatcher's claim of its DM
        # behind a crowd of alerts being recorded. SQLite's queue is the write turns instead.
        self.engines = {u: (urgent_engines or {}).get(u, engine) for u in Urgency}
        self._sessions = {
            u: async_sessionmaker(chosen, expire_on_commit=False)
            for u, chosen in self.engines.items()
        }
        self._read_sessions = {
            u: async_sessionmaker(
                chosen.execution_options(**{READ_ONLY: True}), expire_on_commit=False
            )
            for u, chosen in self.engines.items()
        }
        # SQLite: this process's writers take turns (bot/db/write_turns.py), urgent ones first.
        self._write_turns: tuple[asyncio.AbstractEventLoop, WriteTurns] | None = None
        self._turn_holder: asyncio.Task[object] | None = None
        # PostgreSQL: fewer ordinary transactions at once while urgent ones are under way.
        self._gate: tuple[asyncio.AbstractEventLoop, OrdinaryGate] | None = None
        # PostgreSQL: members' urgent requests recorded a few at a time (REQUESTS_AT_ONCE).
        self._requests: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._let_in: set[asyncio.Task[object]] = set()  # inside an ordinary transaction

    @classmethod
    def connect(cls, url: URL) -> Database:
        if url.get_backend_name() == "sqlite":
            return cls(create_engine(url))
        urgent = {u: create_engine(url, urgency=u) for u in Urgency if u > Urgency.NORMAL}
        return cls(create_engine(url), urgent)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(
        self, urgency: Urgency = Urgency.NORMAL, *, gated: bool = True
    ) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises.
        Pass an `urgency` only for work a person waits on to reach a human (see
        bot/db/write_turns.py): it goes ahead of ordinary writers. On PostgreSQL, `gated=False`
        neither waits at the ordinary gate nor holds ordinary transactions back: for short
        upkeep that must not queue behind a crowd (the pacer's renewals)."""
        sessions = self._sessions[urgency]
        turns = self._turns()
        task = asyncio.current_task()
        if turns is None:
            async with contextlib.AsyncExitStack() as stack:
                if gated:
                    await stack.enter_async_context(self._gated(urgency))
                session = await stack.enter_async_context(sessions())
                await stack.enter_async_context(session.begin())
                yield session
            return
        if task is None or self._turn_holder is task:
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

    def _ordinary_gate(self) -> OrdinaryGate:
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, OrdinaryGate())
        return self._gate[1]

    def _request_slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._requests is None or self._requests[0] is not loop:
            self._requests = (loop, asyncio.Semaphore(REQUESTS_AT_ONCE))
        return self._requests[1]

    @asynccontextmanager
    async def _gated(self, urgency: Urgency) -> AsyncIterator[None]:
        """PostgreSQL: through the ordinary gate (bot/db/write_turns.py)."""
        gate = self._ordinary_gate()
        task = asyncio.current_task()
        if urgency > Urgency.NORMAL:
            # Only while its transaction is in flight (or waits for a connection): not while its
            # work waits on Discord, which would hold every ordinary one to a few for seconds.
            holder = task if task is not None and task not in self._let_in else None
            gate.urgent_began()  # waiting for its slot counts: ordinary ones are held meanwhile
            try:
                # A transaction inside one under way in this task takes no slot: it would wait
                # for the one its own outer transaction holds.
                async with contextlib.AsyncExitStack() as slot:
                    if holder is not None and urgency == Urgency.REQUEST:
                        await slot.enter_async_context(self._request_slots())
                    if holder is not None:
                        self._let_in.add(holder)
                    try:
                        yield
                    finally:
                        if holder is not None:
                            self._let_in.discard(holder)
            finally:
                gate.urgent_ended()
            return
        if task is None or task in self._let_in:
            # A transaction opened inside one already under way (ordinary or urgent) in this
            # task: waiting at a gate that its own outer transaction keeps closed could deadlock.
            yield
            return
        await gate.enter()
        self._let_in.add(task)
        try:
            yield
        finally:
            self._let_in.discard(task)
            gate.leave()

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
        each other into one statement. An urgent read (PostgreSQL) uses its urgency's pool."""
        async with self._read_sessions[urgency]() as session, session.begin():
            yield session

    async def forget_freed_pages(self) -> None:
        """After rows were rewritten whose old content must not stay in the file (notes that
        were text, encrypted in place): on SQLite the write-ahead log is copied into the
        database and emptied, so the old versions of those pages leave both files (the new
        versions hold zeros where the old cells were: `secure_delete`, bot/db/engine.py).
        PostgreSQL keeps old row versions until it vacuums; nothing is done there."""
        if self.dialect != "sqlite":
            return
        # Outside a transaction (READ_ONLY: no BEGIN), as a checkpoint must be.
        async with self.engine.execution_options(**{READ_ONLY: True}).connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def dispose(self) -> None:
        for engine in {id(e): e for e in self.engines.values()}.values():
            await engine.dispose()
