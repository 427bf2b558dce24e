"""Claiming due rows and running their kinds' handlers: the ledger's half of `run_due`.

Two steps, so that a process that dies mid-way loses nothing and two processes never handle
one row:

1. Claim: one short write transaction marks a batch of due rows as ours until a lease ends
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent claimers take different rows and wait
   for nothing; on SQLite the transaction is `BEGIN IMMEDIATE`, so claimers simply queue). A
   claim moves `available_at` to the lease's end: if we die, the row becomes claimable again.
2. Handle (PostgreSQL): each item in its own transaction, a few side by side, taking locks in
   the order of
   `bot.scheduling.locks`: the kind's `lock_subject` (the domain row), then the item's due_work
   row, marked finished only if it is still claimed by us and unchanged (a command that moved or
   cancelled it in the meantime wins: the item is skipped), then the handler. One failing item
   rolls back only its own transaction; its row is then put back for a retry (or marked FAILED
   after its attempts, and the kind's `on_failure` plans the next occurrence) in another.
   Handle (SQLite, which has no row locks and serialises writers, so cannot deadlock): groups of
   items share a transaction, each row marked (if still ours and unchanged) when its turn comes,
   each handler in a savepoint; a failed item is un-marked and recorded in the same transaction.

Stopping (`stop`, or the pass being cancelled when shutdown runs out of grace) releases the
claimed items not yet handled at once, so another process need not wait for the lease.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database, Urgency
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
GONE = "subject gone"
_SKIPPED, _FAILED = "skipped", "failed"
# PostgreSQL: items of a batch handled at once, each in its own transaction and connection.
ITEM_CONCURRENCY = 4
# SQLite: items sharing one transaction (each in a savepoint); the write lock is held that long.
SQLITE_ITEMS_PER_TRANSACTION = 50


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
    skipped: int = 0  # moved, cancelled or taken over since the claim
    gone: int = 0  # the subject no longer existed
    released: int = 0  # claimed but given back unhandled (stopping)
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Claimed:
    """A row as this worker claimed it; handling re-checks that it is still so."""

    id: int
    kind: str
    subject_id: int
    key: str
    guild_id: int | None
    payload: Mapping[str, Any] | None
    due_at: datetime
    attempts: int


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
        """Finish the item in hand, release the rest of the batch, claim no more: shutdown."""
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
            try:
                for _ in range(MAX_BATCHES_PER_RUN):
                    if self._stopping:
                        break
                    now = self._clock.now()
                    claimed = await self.claim(now)
                    if not claimed:
                        break
                    stats.claimed += len(claimed)
                    await self.handle_claimed(claimed, now, stats)
                else:
                    log.warning(
                        "run_due stopped after %d batches; the rest waits", MAX_BATCHES_PER_RUN
                    )
            finally:
                self.last_run = stats

    async def claim(self, now: datetime, limit: int | None = None) -> list[Claimed]:
        """Claim up to `limit` due rows for this worker: urgent kinds' first, then the rest,
        earliest first within each."""
        names = self.kinds.names()
        if not names:
            return []
        size = limit or self.batch_size
        urgent = self.kinds.urgent_names()
        found: list[Any] = []
        # Urgent kinds (an escalation step, on an alert's way to a human) are claimed in an
        # urgent transaction of their own, ahead of ordinary writers (bot/db/write_turns.py); a
        # look first, so that a claim that would find nothing takes nobody's turn. Two probes of
        # the (state, kind, available_at) index rather than one sort by urgency: the cost stays
        # with the due rows taken, not with all the due rows.
        if urgent and await self._any_due(urgent, now):
            found = await self._claim_rows(urgent, now, size, Urgency.REQUEST)
        others = [name for name in names if name not in urgent]
        # Urgent rows found are handled at once: claiming ordinary ones too would queue them
        # behind every ordinary writer. The next batch takes the rest.
        if others and not found:
            found = await self._claim_rows(others, now, size, Urgency.NORMAL)
        return [
            Claimed(
                id=row.id,
                kind=row.kind,
                subject_id=row.subject_id,
                key=row.key,
                guild_id=row.guild_id,
                payload=row.payload,
                due_at=row.due_at,
                attempts=row.attempts + 1,
            )
            for row in found
        ]

    async def _any_due(self, names: list[str], now: datetime) -> bool:
        async with self._db.read(Urgency.REQUEST) as session:
            found = await session.scalar(
                select(DueWork.id)
                .where(
                    DueWork.state == PENDING,
                    DueWork.available_at <= now,
                    DueWork.kind.in_(names),
                )
                .limit(1)
            )
        return found is not None

    async def _claim_rows(
        self, names: list[str], now: datetime, limit: int, urgency: Urgency
    ) -> list[Any]:
        async with self._db.transaction(urgency) as session:
            found = await self._due(session, names, now, limit)
            if not found:
                return []
            until = now + self._lease
            await session.execute(
                update(DueWork)
                .where(DueWork.id.in_([row.id for row in found]))
                .values(
                    claimed_by=self.worker,
                    claimed_until=until,
                    available_at=until,
                    attempts=DueWork.attempts + 1,
                )
            )
        return found

    def _urgency(self, kind: str) -> Urgency:
        """Urgent kinds' items run in urgent transactions too: a step waits behind no crowd."""
        return Urgency.REQUEST if kind in self.kinds.urgent_names() else Urgency.NORMAL

    def _is_of(self, urgency: Urgency, claim: Claimed) -> bool:
        return self._urgency(claim.kind) == urgency

    @staticmethod
    async def _due(session: AsyncSession, names: list[str], now: datetime, limit: int) -> list[Any]:
        due = (
            select(
                DueWork.id,
                DueWork.kind,
                DueWork.subject_id,
                DueWork.key,
                DueWork.guild_id,
                DueWork.payload,
                DueWork.due_at,
                DueWork.attempts,
            )
            .where(
                DueWork.state == PENDING,
                DueWork.available_at <= now,
                DueWork.kind.in_(names),
            )
            .order_by(DueWork.available_at, DueWork.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await session.execute(due)).all())

    async def handle_claimed(self, claimed: list[Claimed], now: datetime, stats: RunStats) -> None:
        """Handle a claimed batch; whatever is left unhandled when this stops (shutdown, or the
        task is cancelled) is released at once.

        PostgreSQL: each item in its own transaction, a few at a time (each holds only its own
        subject's locks, so they cannot deadlock each other). SQLite: writers are serialised
        and cannot deadlock, so items share a transaction in small groups, each item in its own
        savepoint; this keeps the per-commit cost off every item.
        """
        finished: set[int] = set()
        try:
            if self._db.dialect == "sqlite":
                rest = claimed
                while rest and not self._stopping:
                    # A group shares one urgency (the claim puts urgent kinds' items first).
                    urgency = self._urgency(rest[0].kind)
                    group = list(
                        itertools.takewhile(
                            partial(self._is_of, urgency), rest[:SQLITE_ITEMS_PER_TRANSACTION]
                        )
                    )
                    rest = rest[await self._handle_group(group, now, stats, finished, urgency) :]
            else:
                queue = iter(claimed)

                async def work() -> None:
                    for claim in queue:
                        if self._stopping:
                            return
                        await self._handle_alone(claim, now, stats)
                        finished.add(claim.id)

                workers = [asyncio.create_task(work()) for _ in range(ITEM_CONCURRENCY)]
                try:
                    await asyncio.gather(*workers)
                finally:
                    # Cancelled (shutdown past its grace): a cancelled gather returns before
                    # its workers have unwound, and a worker's transaction still rolling back
                    # holds its row locked, so the release below (SKIP LOCKED) would leave
                    # that row claimed until its lease ran out. Wait for them first.
                    for worker in workers:
                        worker.cancel()
                    await asyncio.wait(workers)
        finally:
            rest = [claim for claim in claimed if claim.id not in finished]
            if rest:
                stats.released += await self._release(rest)

    async def _handle_alone(self, claim: Claimed, now: datetime, stats: RunStats) -> None:
        kind, verdict, item = self._prepare(claim, now)
        urgency = self._urgency(claim.kind)
        try:
            async with self._db.transaction(urgency) as session:
                outcome = await self._run(session, kind, claim, item, verdict, now)
        except Exception as exc:
            # Only this item's transaction is rolled back: its row is pending and claimed by us
            # again, and the others' work stands.
            self._count_error(stats, claim)
            try:
                async with self._db.transaction(urgency) as session:
                    await self._record_failure(session, kind, claim, item, exc, now)
            except Exception:
                log.exception(
                    "recording the failure of %s row %d failed; it is retried after its lease",
                    claim.kind,
                    claim.id,
                )
            return
        self._count(stats, outcome, verdict, item)

    async def _handle_group(
        self,
        group: list[Claimed],
        now: datetime,
        stats: RunStats,
        finished: set[int],
        urgency: Urgency = Urgency.NORMAL,
    ) -> int:
        """SQLite only: the group shares a transaction; each item's row is marked when its turn
        comes (so an item an earlier handler of the group cancelled or moved is skipped), then
        the item runs in a savepoint. SQLite has no row locks (the transaction holds the one
        write lock), so marking before `lock_subject` cannot invert the lock order, and the mark
        stays outside the savepoint: a write inside every savepoint would cost SQLite a
        statement journal per item.

        The group commits early, after the item in hand, when another writer of the process is
        waiting (the dispatcher recording a send, a member's command): holding the one write
        lock for a whole group of real handlers (a prompt's takes about 6 ms on a busy machine,
        so 0.3 s a group) starved them, and a prompt wave's sends fell behind Discord's rate
        while its ledger pass ran. Returns how
        many of the group's items it took; the caller starts the next group after them."""
        outcomes: list[tuple[Claimed, str, Verdict, DueItem]] = []
        async with self._db.transaction(urgency) as session:
            for claim in group:
                kind, verdict, item = self._prepare(claim, now)
                if self._stopping or (outcomes and self._db.writers_waiting()):
                    break  # stopping: the rest is released with the unstarted
                if not await self._take_in_group(session, claim, now, *_marks(verdict, now, claim)):
                    outcomes.append((claim, _SKIPPED, verdict, item))
                    continue
                try:
                    async with session.begin_nested():
                        outcome = await self._run_taken(session, kind, claim, item, verdict)
                except Exception as exc:
                    self._count_error(stats, claim)
                    async with session.begin_nested():
                        await self._untake(session, claim)
                        await self._record_failure(session, kind, claim, item, exc, now)
                    outcome = _FAILED
                outcomes.append((claim, outcome, verdict, item))
        for claim, outcome, verdict, item in outcomes:
            finished.add(claim.id)
            if outcome != _FAILED:
                self._count(stats, outcome, verdict, item)
        return len(outcomes)

    async def _take_in_group(
        self,
        session: AsyncSession,
        claim: Claimed,
        now: datetime,
        state: str,
        outcome: str,
        reason: str | None,
    ) -> bool:
        """SQLite: `_take` as one Core statement on the connection (the ORM's bulk-update path
        costs more than the item itself with a light handler). A row moved since the claim has
        lost its holder, a cancelled one is gone: the holder alone tells."""
        table = cast(Table, DueWork.__table__)
        connection = await session.connection()
        result = await connection.execute(
            update(table)
            .where(
                table.c.id == claim.id,
                table.c.state == PENDING,
                table.c.claimed_by == self.worker,
            )
            .values(_finished(now, state, outcome, reason))
        )
        return _count(result) == 1

    async def _run_taken(
        self,
        session: AsyncSession,
        kind: WorkKind[Any],
        claim: Claimed,
        item: DueItem,
        verdict: Verdict,
    ) -> str:
        subject = await kind.lock_subject(session, item)
        if subject is None:
            await session.execute(
                update(DueWork)
                .where(DueWork.id == claim.id)
                .values(outcome=GONE, state=DONE, reason=None)
            )
            return GONE
        if verdict is Verdict.STALE:
            if kind.on_drop is not None:
                await kind.on_drop(session, item, subject)
        else:
            await kind.handle(session, item, subject)
        return verdict.value

    async def _untake(self, session: AsyncSession, claim: Claimed) -> None:
        """Undo an item's mark so its failure is recorded as for a lone item. Should a pending row
        for the same (kind, subject, key) exist meanwhile (only one may), that row replaces
        this one (as if it had been moved) and this one stays finished, marked "moved"."""
        replaced = await session.scalar(
            select(DueWork.id).where(
                DueWork.kind == claim.kind,
                DueWork.subject_id == claim.subject_id,
                DueWork.key == claim.key,
                DueWork.state == PENDING,
            )
        )
        if replaced is not None:
            await session.execute(
                update(DueWork).where(DueWork.id == claim.id).values(outcome="moved")
            )
            return
        await session.execute(
            update(DueWork)
            .where(DueWork.id == claim.id)
            .values(
                state=PENDING,
                outcome=None,
                reason=None,
                finished_at=None,
                claimed_by=self.worker,
            )
        )

    def _prepare(self, claim: Claimed, now: datetime) -> tuple[WorkKind[Any], Verdict, DueItem]:
        kind = self.kinds.get(claim.kind)
        assert kind is not None  # claim() only takes registered kinds
        verdict = judge(kind, claim.due_at, now)
        return kind, verdict, _item(claim, now, late=verdict is not Verdict.ON_TIME)

    async def _run(
        self,
        session: AsyncSession,
        kind: WorkKind[Any],
        claim: Claimed,
        item: DueItem,
        verdict: Verdict,
        now: datetime,
    ) -> str:
        """One item, in the lock order: its subject, then its own row, then the handler."""
        subject = await kind.lock_subject(session, item)
        if subject is None:
            outcome, state, reason = GONE, DONE, None
        elif verdict is Verdict.STALE:
            outcome, state = verdict.value, DROPPED
            reason = f"stale: {_age(now - claim.due_at)} late"
        else:
            outcome, state, reason = verdict.value, DONE, None
        if not await self._take(session, claim, now, state, outcome, reason):
            return _SKIPPED
        if subject is None:
            return GONE
        if verdict is Verdict.STALE:
            if kind.on_drop is not None:
                await kind.on_drop(session, item, subject)
        else:
            await kind.handle(session, item, subject)
        return outcome

    @staticmethod
    def _count_error(stats: RunStats, claim: Claimed) -> None:
        stats.errors += 1
        log.exception("handler for %s (row %d) failed", claim.kind, claim.id)

    @staticmethod
    def _count(stats: RunStats, outcome: str, verdict: Verdict, item: DueItem) -> None:
        if outcome == _SKIPPED:
            stats.skipped += 1
            return
        if outcome == GONE:
            stats.gone += 1
            return
        log.debug("handled %s row %d (%s)", item.kind, item.id, verdict.value)
        stats.handled += 1
        stats.outcomes[verdict.value] = stats.outcomes.get(verdict.value, 0) + 1
        if verdict is Verdict.STALE:
            stats.dropped += 1
        elif item.late:
            stats.late += 1

    def _still_ours(self, claim: Claimed) -> Any:
        # Moving a row (`ledger.schedule`) clears the claim and sets a new due time; another
        # worker taking it over after our lease changes the holder and the attempts.
        return (
            (DueWork.id == claim.id)
            & (DueWork.state == PENDING)
            & (DueWork.claimed_by == self.worker)
            & (DueWork.attempts == claim.attempts)
            & (DueWork.due_at == claim.due_at)
        )

    async def _take(
        self,
        session: AsyncSession,
        claim: Claimed,
        now: datetime,
        state: str,
        outcome: str,
        reason: str | None,
    ) -> bool:
        """Lock the item's row and mark it finished, if it is still ours and unchanged."""
        result = await session.execute(
            update(DueWork)
            .where(self._still_ours(claim))
            .values(_finished(now, state, outcome, reason))
        )
        return _count(result) == 1

    async def _record_failure(
        self,
        session: AsyncSession,
        kind: WorkKind[Any],
        claim: Claimed,
        item: DueItem,
        exc: Exception,
        now: datetime,
    ) -> None:
        """Put the row back for a retry, or mark it FAILED after its attempts and let the kind
        plan its next occurrence (in the lock order again: subject first). The class name only:
        an exception's text may quote member data."""
        values: dict[str, object] = {
            "reason": f"error: {type(exc).__name__}"[:200],
            "claimed_by": None,
            "claimed_until": None,
        }
        final = claim.attempts >= MAX_ATTEMPTS
        if final:
            values.update(state=FAILED, outcome="failed", finished_at=now)
        else:
            retry_at = now + backoff(claim.attempts, self._rng, RETRY_BASE, RETRY_CAP)
            values.update(available_at=retry_at)
        subject = await kind.lock_subject(session, item)
        result = await session.execute(
            update(DueWork).where(self._still_ours(claim)).values(**values)
        )
        if _count(result) != 1 or not final:
            return  # a retry is planned, or the row was moved or cancelled meanwhile
        if kind.on_failure is not None and subject is not None:
            try:
                async with session.begin_nested():
                    await kind.on_failure(session, item, subject)
            except Exception:
                log.exception(
                    "the failure hook of %s (row %d) failed; the daily rebuild repairs",
                    claim.kind,
                    claim.id,
                )

    async def _release(self, rest: list[Claimed]) -> int:
        """Give claimed, unhandled rows back at once: claimable now, the attempt not counted."""
        try:
            async with self._db.transaction() as session:
                # SKIP LOCKED: a row a command is moving right now is left to it (the move
                # clears our claim anyway), and the rows are never locked in a circle with it.
                ours = (
                    select(DueWork.id)
                    .where(
                        DueWork.id.in_([claim.id for claim in rest]),
                        DueWork.state == PENDING,
                        DueWork.claimed_by == self.worker,
                    )
                    .with_for_update(skip_locked=True)
                )
                result = await session.execute(
                    update(DueWork)
                    .where(DueWork.id.in_(ours.scalar_subquery()))
                    .execution_options(synchronize_session=False)
                    .values(
                        claimed_by=None,
                        claimed_until=None,
                        available_at=self._clock.now(),
                        attempts=DueWork.attempts - 1,
                    )
                )
        except Exception:
            log.exception("releasing %d claimed rows failed; their lease runs out", len(rest))
            return 0
        released = _count(result)
        log.info("released %d claimed timed-work rows unhandled", released)
        return released


def _marks(verdict: Verdict, now: datetime, claim: Claimed) -> tuple[str, str, str | None]:
    """The state, outcome and reason an item's row is finished with (before its handler)."""
    if verdict is Verdict.STALE:
        return DROPPED, verdict.value, f"stale: {_age(now - claim.due_at)} late"
    return DONE, verdict.value, None


def _item(claim: Claimed, now: datetime, *, late: bool) -> DueItem:
    return DueItem(
        id=claim.id,
        kind=claim.kind,
        subject_id=claim.subject_id,
        key=claim.key,
        guild_id=claim.guild_id,
        payload=claim.payload,
        due_at=claim.due_at,
        now=now,
        late=late,
        attempts=claim.attempts,
    )


def _finished(now: datetime, state: str, outcome: str, reason: str | None) -> dict[str, object]:
    """What taking an item writes, on either path: its end state, and no holder any more."""
    return {
        "state": state,
        "outcome": outcome,
        "reason": reason,
        "finished_at": now,
        "claimed_by": None,
        "claimed_until": None,
    }


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
