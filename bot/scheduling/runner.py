"""Claiming due rows and running their kinds' handlers: the ledger's half of `run_due`.

Two steps, so that a process that dies mid-way loses nothing and two processes never handle
one row:

1. Claim: one short write transaction marks a batch of due rows as ours until a lease ends
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent claimers take different rows; on
   SQLite the transaction is `BEGIN IMMEDIATE`, so claimers simply queue). A claim moves
   `available_at` to the lease's end: if we die, the row becomes claimable again then.
2. Handle: one transaction re-reads the batch, keeps only rows still claimed by us (a row moved
   by `schedule`, cancelled, or taken over after our lease ran out is skipped), and runs each
   handler in a savepoint, in the same transaction that marks its row finished.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.scheduling import DONE, DROPPED, FAILED, PENDING, DueWork
from bot.scheduling.kinds import DueItem, KindRegistry, Verdict, WorkKind, judge

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH_SIZE = 200
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
# A handler that keeps scheduling work due at once would otherwise keep run_due busy forever.
MAX_BATCHES_PER_RUN = 500


def worker_name() -> str:
    """Who holds a claim: host, process and a per-instance suffix (two bots may share a PID)."""
    return f"{socket.gethostname()[:32]}:{uuid.uuid4().hex[:12]}"


def backoff(attempts: int, rng: random.Random, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential back-off with jitter (between half and all of the step), capped."""
    step = min(cap, base * (1 << min(30, max(0, attempts - 1))))
    return step * (0.5 + rng.random() / 2)


@dataclass
class RunStats:
    claimed: int = 0
    handled: int = 0
    late: int = 0
    dropped: int = 0
    errors: int = 0
    skipped: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class LedgerRunner:
    """The due-work ledger as `TimedWork`: `next_due` for the wake-up, `run_due` to work."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        kinds: KindRegistry,
        *,
        worker: str | None = None,
        lease: timedelta = LEASE,
        batch_size: int = BATCH_SIZE,
        rng: random.Random | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self.kinds = kinds
        self.worker = worker or worker_name()
        self._lease = lease
        self.batch_size = batch_size
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)
        # One pass at a time in this process: run_due waits for a pass the wake-up job began,
        # so that when it returns everything due has really been handled.
        self._lock = asyncio.Lock()
        self.last_run = RunStats()
        self._stopping = False

    def stop(self) -> None:
        """Finish the batch in hand, claim no more: for shutdown."""
        self._stopping = True

    async def next_due(self) -> datetime | None:
        names = self.kinds.names()
        if not names:
            return None
        async with self._db.read() as session:
            # One probe of the (state, kind, available_at) index per kind: the cost does not
            # grow with the table, nor with rows of kinds another process handles.
            earliest: list[datetime] = []
            for name in names:
                found = await session.scalar(
                    select(func.min(DueWork.available_at)).where(
                        DueWork.state == PENDING, DueWork.kind == name
                    )
                )
                if found is not None:
                    earliest.append(found)
        return min(earliest, default=None)

    async def run_due(self) -> None:
        async with self._lock:
            stats = RunStats()
            for _ in range(MAX_BATCHES_PER_RUN):
                if self._stopping:
                    break
                now = self._clock.now()
                claimed = await self.claim(now)
                if not claimed:
                    break
                stats.claimed += len(claimed)
                await self._handle(claimed, now, stats)
            else:
                log.warning("run_due stopped after %d batches; the rest waits", MAX_BATCHES_PER_RUN)
            self.last_run = stats

    async def claim(self, now: datetime, limit: int | None = None) -> list[int]:
        """Claim up to `limit` due rows for this worker; their ids, earliest first."""
        names = self.kinds.names()
        if not names:
            return []
        async with self._db.transaction() as session:
            due = (
                select(DueWork.id)
                .where(
                    DueWork.state == PENDING,
                    DueWork.available_at <= now,
                    DueWork.kind.in_(names),
                )
                .order_by(DueWork.available_at, DueWork.id)
                .limit(limit or self.batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list((await session.scalars(due)).all())
            if ids:
                until = now + self._lease
                await session.execute(
                    update(DueWork)
                    .where(DueWork.id.in_(ids))
                    .values(
                        claimed_by=self.worker,
                        claimed_until=until,
                        available_at=until,
                        attempts=DueWork.attempts + 1,
                    )
                )
        return ids

    async def _handle(self, ids: list[int], now: datetime, stats: RunStats) -> None:
        async with self._db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        DueWork.id,
                        DueWork.kind,
                        DueWork.subject_id,
                        DueWork.due_at,
                        DueWork.attempts,
                    )
                    .where(
                        DueWork.id.in_(ids),
                        DueWork.state == PENDING,
                        DueWork.claimed_by == self.worker,
                    )
                    .order_by(DueWork.due_at, DueWork.id)
                    .with_for_update()
                )
            ).all()
            stats.skipped += len(ids) - len(rows)
            judged: list[tuple[_Row, WorkKind, Verdict]] = []
            for found in rows:
                kind = self.kinds.get(found.kind)
                assert kind is not None  # claim() only takes registered kinds
                judged.append((_Row(*found), kind, judge(kind, found.due_at, now)))
            await self._mark_finished(session, judged, now)
            for row, kind, verdict in judged:
                await self._run_handler(session, row, kind, verdict, now, stats)

    async def _mark_finished(
        self,
        session: AsyncSession,
        judged: list[tuple[_Row, WorkKind, Verdict]],
        now: datetime,
    ) -> None:
        """Mark the batch finished before any handler runs (one statement per outcome), so that
        a handler may schedule the next item of the same (kind, subject) without moving this
        one. A handler that fails puts its row back."""
        groups: dict[Verdict, list[int]] = {}
        for row, _kind, verdict in judged:
            groups.setdefault(verdict, []).append(row.id)
        for verdict, group in groups.items():
            await session.execute(
                update(DueWork)
                .where(DueWork.id.in_(group))
                .values(
                    state=DROPPED if verdict is Verdict.STALE else DONE,
                    outcome=verdict.value,
                    finished_at=now,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
        for row, _kind, verdict in judged:
            if verdict is Verdict.STALE:
                await session.execute(
                    update(DueWork)
                    .where(DueWork.id == row.id)
                    .values(reason=f"stale: {_age(now - row.due_at)} late")
                )

    async def _run_handler(
        self,
        session: AsyncSession,
        row: _Row,
        kind: WorkKind,
        verdict: Verdict,
        now: datetime,
        stats: RunStats,
    ) -> None:
        item = DueItem(
            id=row.id,
            kind=row.kind,
            subject_id=row.subject_id,
            due_at=row.due_at,
            now=now,
            late=verdict is not Verdict.ON_TIME,
        )
        try:
            # A savepoint per item: one failing handler does not undo the others' work.
            async with session.begin_nested():
                if verdict is Verdict.STALE:
                    if kind.on_drop is not None:
                        await kind.on_drop(session, item)
                else:
                    await kind.handle(session, item)
            log.debug("handled %s row %d (%s)", item.kind, item.id, verdict.value)
        except Exception as exc:
            # Record why (the class name only: an exception's text may quote member data) and
            # retry later, or give up after MAX_ATTEMPTS claims.
            stats.errors += 1
            log.exception("handler for %s (row %d) failed", item.kind, item.id)
            values: dict[str, object] = {"reason": f"error: {type(exc).__name__}"[:200]}
            if row.attempts >= MAX_ATTEMPTS:
                values.update(state=FAILED, outcome="failed", finished_at=now)
            else:
                retry_at = now + backoff(row.attempts, self._rng, RETRY_BASE, RETRY_CAP)
                values.update(state=PENDING, outcome=None, finished_at=None, available_at=retry_at)
            await session.execute(update(DueWork).where(DueWork.id == row.id).values(**values))
            return
        stats.handled += 1
        stats.outcomes[verdict.value] = stats.outcomes.get(verdict.value, 0) + 1
        if verdict is Verdict.STALE:
            stats.dropped += 1
        elif item.late:
            stats.late += 1


@dataclass(frozen=True)
class _Row:
    id: int
    kind: str
    subject_id: int
    due_at: datetime
    attempts: int


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
