"""The APScheduler wiring: one date job at the earliest due time, re-armed by commits, a sweep,
and a pass that runs when the job fires. Real scheduler, real database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock, SystemClock
from bot.db import Database
from bot.db.models import DueWork
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem, KindRegistry, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.scheduling.runner import LedgerRunner
from bot.scheduling.side_by_side import SideBySide
from bot.scheduling.wakeups import MAINTENANCE_JOB, REBUILD_JOB, SWEEP_JOB, WAKE_JOB, WakeUps

T0 = datetime(2099, 3, 1, 12, tzinfo=UTC)  # far ahead of real time: nothing fires by itself


class Host:
    def __init__(self, runner: LedgerRunner) -> None:
        self.runner = runner
        self.passes = 0
        self.ran = asyncio.Event()

    async def next_wakeup(self) -> datetime | None:
        return await self.runner.next_due()

    async def run_due(self) -> None:
        await self.runner.run_due()
        self.passes += 1
        self.ran.set()


async def _noop(session: AsyncSession, item: DueItem, subject: int) -> None:
    return None


def scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True}
    )


@asynccontextmanager
async def running(
    host: Host,
    clock: ManualClock | SystemClock,
    *,
    start: bool = True,
    rebuild: Callable[[], Awaitable[None]] | None = None,
    maintenance: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[tuple[WakeUps, AsyncIOScheduler]]:
    """A started scheduler and WakeUps for `host`; both stopped afterwards."""
    jobs = scheduler()
    jobs.start()
    wakeups = WakeUps(jobs, host, clock, rebuild=rebuild, maintenance=maintenance)
    try:
        if start:
            await wakeups.start()
        yield wakeups, jobs
    finally:
        await wakeups.stop()
        jobs.shutdown(wait=False)


async def test_armed_at_the_earliest_due_time_and_re_armed_by_sooner_commits(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    host = Host(
        LedgerRunner(database, clock, KindRegistry([WorkKind("ping", nothing_to_lock, _noop)]))
    )
    async with running(host, clock) as (wakeups, jobs):
        assert jobs.get_job(WAKE_JOB) is None  # nothing pending
        assert jobs.get_job(SWEEP_JOB) is not None

        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, T0 + timedelta(hours=5))
        await asyncio.sleep(0)  # the commit hook hands over to the loop
        assert wakeups.armed_at == T0 + timedelta(hours=5)

        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 2, T0 + timedelta(hours=2))
            await ledger.schedule(session, "ping", 3, T0 + timedelta(hours=9))
        await asyncio.sleep(0)
        job = jobs.get_job(WAKE_JOB)
        assert job is not None
        assert job.next_run_time == T0 + timedelta(hours=2)

        async with database.transaction() as session:  # later work leaves the job alone
            await ledger.schedule(session, "ping", 4, T0 + timedelta(hours=3))
        await asyncio.sleep(0)
        assert wakeups.armed_at == T0 + timedelta(hours=2)


async def test_work_already_due_at_start_is_caught_up_at_once(database: Database) -> None:
    clock = SystemClock()  # APScheduler fires in real time
    now = clock.now()
    async with database.transaction() as session:
        await ledger.schedule(session, "ping", 1, now - timedelta(hours=8))  # due while down
        await ledger.schedule(session, "ping", 2, now + timedelta(days=1))
    runner = LedgerRunner(database, clock, KindRegistry([WorkKind("ping", nothing_to_lock, _noop)]))
    host = Host(runner)
    # Armed at once for what came due while the process was down.
    async with running(host, clock) as (wakeups, _jobs):
        await asyncio.wait_for(host.ran.wait(), timeout=10)
        assert runner.last_run.handled == 1
        assert runner.last_run.late == 1
    assert wakeups.armed_at == now + timedelta(days=1)  # and re-armed for what is left


async def test_an_enqueued_message_wakes_the_process_at_once(database: Database) -> None:
    clock = SystemClock()
    host = Host(LedgerRunner(database, clock, KindRegistry()))
    async with running(host, clock):
        async with database.transaction() as session:
            await enqueue(
                session,
                target=Target("channel", 1),
                message=OutgoingMessage(content="hello"),
                purpose="test.now",
            )
        await asyncio.wait_for(host.ran.wait(), timeout=10)


class GatedHost(Host):
    """A host whose next_wakeup answers from the database, then waits until let go: a commit
    can land between its read and the arming, as it can between two awaits in production."""

    def __init__(self, runner: LedgerRunner) -> None:
        super().__init__(runner)
        self.gated = False
        self.has_read = asyncio.Event()
        self.go_on = asyncio.Event()

    async def next_wakeup(self) -> datetime | None:
        found = await self.runner.next_due()
        if self.gated:
            self.has_read.set()
            await self.go_on.wait()
        return found


async def test_a_sooner_commit_during_the_re_arming_read_is_not_lost(database: Database) -> None:
    clock = ManualClock(T0)
    host = GatedHost(
        LedgerRunner(database, clock, KindRegistry([WorkKind("ping", nothing_to_lock, _noop)]))
    )
    async with running(host, clock) as (wakeups, jobs):
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, T0 + timedelta(hours=5))
        await asyncio.sleep(0)
        assert wakeups.armed_at == T0 + timedelta(hours=5)

        host.gated = True
        arming = asyncio.create_task(wakeups.arm())  # as after a pass
        await host.has_read.wait()  # it has read "5 h" ...
        async with database.transaction() as session:  # ... and now something sooner commits
            await ledger.schedule(session, "ping", 2, T0 + timedelta(hours=2))
        await asyncio.sleep(0)  # the commit hook hands over to the loop
        host.go_on.set()
        await arming

        assert wakeups.armed_at == T0 + timedelta(hours=2)
        job = jobs.get_job(WAKE_JOB)
        assert job is not None
        assert job.next_run_time == T0 + timedelta(hours=2)


class FailingHost(Host):
    async def run_due(self) -> None:
        self.passes += 1
        raise RuntimeError("the database went away for a moment")


async def test_a_failed_pass_still_re_arms_so_later_commits_are_heard(database: Database) -> None:
    clock = ManualClock(T0)
    host = FailingHost(
        LedgerRunner(database, clock, KindRegistry([WorkKind("ping", nothing_to_lock, _noop)]))
    )
    async with running(host, clock) as (wakeups, jobs):
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, T0 + timedelta(hours=1))
        await asyncio.sleep(0)
        assert wakeups.armed_at == T0 + timedelta(hours=1)

        clock.set(T0 + timedelta(hours=3))  # the wake-up fires; its pass fails
        await wakeups._pass()
        assert host.passes == 1
        # Re-armed from the database (the row is still due), not left in the past.
        assert wakeups.armed_at == T0 + timedelta(hours=3)
        assert jobs.get_job(WAKE_JOB) is not None


class StuckHost(Host):
    def __init__(self, runner: LedgerRunner) -> None:
        super().__init__(runner)
        self.started = asyncio.Event()

    async def run_due(self) -> None:
        self.started.set()
        await asyncio.Event().wait()  # a pass that never ends by itself


async def test_stop_waits_for_a_running_pass_only_as_long_as_the_grace(database: Database) -> None:
    clock = ManualClock(T0)
    host = StuckHost(LedgerRunner(database, clock, KindRegistry()))
    jobs = scheduler()
    jobs.start()
    wakeups = WakeUps(jobs, host, clock)
    try:
        await wakeups.start()
        stuck = asyncio.create_task(wakeups._pass())
        await host.started.wait()
        await asyncio.wait_for(wakeups.stop(grace=0.05), timeout=10)
        assert stuck.cancelled()
    finally:
        jobs.shutdown(wait=False)


class SlowSecondHalf(Host):
    """A pass whose second half (the dispatcher's, say, sending messages) takes a while the
    first time: commits land after the ledger's last claim but before the pass ends."""

    def __init__(self, runner: LedgerRunner) -> None:
        super().__init__(runner)
        self.in_first = asyncio.Event()
        self.let_go = asyncio.Event()

    async def run_due(self) -> None:
        await self.runner.run_due()
        if self.passes == 0:
            self.in_first.set()
            await self.let_go.wait()
        self.passes += 1


async def test_work_committed_during_a_pass_wakes_the_next_pass_not_the_sweep(
    database: Database,
) -> None:
    """Real scheduler, real clock. Work due at once is committed while a pass is still running:
    the pass's own re-arming at "now" used to be skipped by APScheduler (the job was still
    running, max_instances=1) and deleted, leaving the wake-up deaf until the sweep."""
    clock = SystemClock()
    handled: dict[int, asyncio.Event] = {n: asyncio.Event() for n in (1, 2, 3)}

    async def record(session: AsyncSession, item: DueItem, subject: int) -> None:
        handled[item.subject_id].set()

    host = SlowSecondHalf(
        LedgerRunner(database, clock, KindRegistry([WorkKind("ping", nothing_to_lock, record)]))
    )
    jobs = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
    jobs.start()
    # The sweep is an hour away: only the wake-up can explain anything handled in this test.
    wakeups = WakeUps(jobs, host, clock, sweep_every=timedelta(hours=1))
    try:
        await wakeups.start()
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, clock.now())
        await asyncio.wait_for(host.in_first.wait(), timeout=10)
        assert handled[1].is_set()
        async with database.transaction() as session:  # lands while the first pass runs
            await ledger.schedule(session, "ping", 2, clock.now())
        host.let_go.set()
        await asyncio.wait_for(handled[2].wait(), timeout=10)
        # And the wake-up still hears later commits.
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 3, clock.now())
        await asyncio.wait_for(handled[3].wait(), timeout=10)
    finally:
        host.let_go.set()
        await wakeups.stop(grace=5)
        jobs.shutdown(wait=False)


async def test_the_rebuild_runs_at_start_and_then_daily(database: Database) -> None:
    clock = SystemClock()
    rebuilt = asyncio.Event()

    async def rebuild() -> None:
        rebuilt.set()

    host = Host(LedgerRunner(database, clock, KindRegistry()))
    # As the bot wires it: a plain callable that returns the coroutine (bot/app.py's lambda).
    async with running(host, clock, rebuild=lambda: rebuild()) as (_wakeups, jobs):
        await asyncio.wait_for(rebuilt.wait(), timeout=10)  # at start, without blocking it
        daily = jobs.get_job(REBUILD_JOB)
        assert daily is not None
        assert str(daily.trigger) == "cron[hour='4', minute='37']"


async def test_the_daily_maintenance_runs_at_start_and_then_when_its_time_comes(
    database: Database,
) -> None:
    """A process that is never up at 04:17 UTC still prunes: at every start too."""
    clock = SystemClock()
    runs = 0
    maintained = asyncio.Event()

    async def maintenance() -> None:
        nonlocal runs
        runs += 1
        maintained.set()

    host = Host(LedgerRunner(database, clock, KindRegistry()))
    # As the bot wires it: a plain callable that returns the coroutine (bot/app.py's lambda).
    async with running(host, clock, maintenance=lambda: maintenance()) as (_wakeups, jobs):
        await asyncio.wait_for(maintained.wait(), timeout=10)  # at start
        assert runs == 1
        maintained.clear()
        daily = jobs.get_job(MAINTENANCE_JOB)
        assert daily is not None
        assert str(daily.trigger) == "cron[hour='4', minute='17']"
        daily.modify(next_run_time=datetime.now(UTC))  # 04:17 has come
        jobs.wakeup()
        await asyncio.wait_for(maintained.wait(), timeout=10)
        assert runs == 2


async def test_stop_waits_for_a_running_repair_before_the_database_is_closed(
    database: Database,
) -> None:
    """A shutdown soon after a start, while the repair pass still runs (seconds on a large
    server): stop() returns once the repair has finished what it was writing, not before."""
    clock = SystemClock()
    began, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def rebuild() -> None:
        began.set()
        await release.wait()  # the repair of many servers, still going
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, clock.now() + timedelta(days=1))
        finished.set()

    host = Host(LedgerRunner(database, clock, KindRegistry()))
    async with running(host, clock, rebuild=rebuild) as (wakeups, _jobs):
        await asyncio.wait_for(began.wait(), timeout=10)
        stopping = asyncio.create_task(wakeups.stop(grace=10))
        release.set()
        await asyncio.wait_for(stopping, timeout=10)
        assert finished.is_set()
        async with database.read() as session:
            assert await session.scalar(select(func.count()).select_from(DueWork)) == 1


async def test_a_repair_outlasting_the_grace_is_rolled_back_before_stop_returns(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = SystemClock()
    began, unwound = asyncio.Event(), asyncio.Event()

    async def rebuild() -> None:
        try:
            async with database.transaction() as session:
                await session.execute(select(DueWork.id).limit(1))
                began.set()
                await asyncio.Event().wait()  # never done by itself
        finally:
            unwound.set()

    host = Host(LedgerRunner(database, clock, KindRegistry()))
    async with running(host, clock, rebuild=rebuild) as (wakeups, _jobs):
        await asyncio.wait_for(began.wait(), timeout=10)
        await asyncio.wait_for(wakeups.stop(grace=0.1), timeout=10)
        assert unwound.is_set()
        # Not a failed job in APScheduler's log: the next start repairs again.
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


class LongWave:
    """A delivery whose pass lasts until released, like a 10,000-DM wave at 50 requests/s."""

    def __init__(self, clock: SystemClock) -> None:
        self._clock = clock
        self.draining = asyncio.Event()
        self.release = asyncio.Event()
        self.sent = False
        self.passes = 0

    async def next_due(self) -> datetime | None:
        return None if self.sent else self._clock.now()

    async def run_due(self) -> None:
        self.passes += 1
        if self.sent:
            return
        self.draining.set()
        await self.release.wait()
        self.sent = True


async def test_due_work_is_handled_while_a_long_wave_is_still_being_delivered(
    database: Database,
) -> None:
    """Real scheduler, real clock. An escalation step that comes due while the outbox drains a
    wave must not wait for the wave: with the passes in series it waited minutes."""
    clock = SystemClock()
    handled = asyncio.Event()

    async def record(session: AsyncSession, item: DueItem, subject: int) -> None:
        handled.set()

    wave = LongWave(clock)
    host = SideBySide(
        [
            LedgerRunner(
                database, clock, KindRegistry([WorkKind("step", nothing_to_lock, record)])
            ),
            wave,
        ]
    )
    jobs = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
    jobs.start()
    wakeups = WakeUps(jobs, host, clock, sweep_every=timedelta(hours=1))
    host.after_drain = wakeups.arm
    try:
        await wakeups.start()  # the wave is due: the first pass starts draining it
        await asyncio.wait_for(wave.draining.wait(), timeout=10)
        async with database.transaction() as session:
            await ledger.schedule(session, "step", 1, clock.now())
        await asyncio.wait_for(handled.wait(), timeout=10)
        assert not wave.sent  # handled while the wave was still going out
        wave.release.set()
        await asyncio.wait_for(host.settled(), timeout=10)
        # The wave is done and nothing else is due: the wake-up rests instead of spinning
        # (one more look at the outbox at most, asked for by the step's pass).
        assert wakeups.armed_at is None
        assert wave.passes <= 2
    finally:
        wave.release.set()
        await wakeups.stop(grace=5)
        await host.stop(grace=5)
        jobs.shutdown(wait=False)


class RetriedSoon:
    """A timed work whose first attempt fails and is planned again shortly after, as the
    dispatcher plans a DM that met a Discord 5xx (or the ledger an item whose handler failed):
    nothing commits a wake-up note for the retry, only the drain's own re-arming can see it."""

    def __init__(self, clock: SystemClock, retry_in: timedelta) -> None:
        self._clock = clock
        self._retry_in = retry_in
        self.retry_at: datetime | None = None
        self.done = asyncio.Event()

    async def next_due(self) -> datetime | None:
        if self.done.is_set():
            return None
        return self.retry_at or self._clock.now()

    async def run_due(self) -> None:
        now = self._clock.now()
        if self.retry_at is None:
            self.retry_at = now + self._retry_in  # the first attempt failed
        elif now >= self.retry_at:
            self.done.set()


async def test_a_retry_planned_by_a_pass_is_armed_when_its_drain_goes_quiet(
    database: Database,
) -> None:
    """Real scheduler, real clock. The drain that just went quiet re-arms the wake-up; it used
    to leave its own work out (it was still "draining" while it re-armed), so a retry it had
    planned waited for the next sweep, up to a minute, instead of its few seconds."""
    clock = SystemClock()
    work = RetriedSoon(clock, timedelta(milliseconds=200))
    host = SideBySide([work])
    jobs = scheduler()
    jobs.start()
    # The sweep is an hour away: only the re-arming can bring the retry.
    wakeups = WakeUps(jobs, host, clock, sweep_every=timedelta(hours=1))
    host.after_drain = wakeups.arm
    try:
        await wakeups.start()
        await asyncio.wait_for(work.done.wait(), timeout=10)
    finally:
        await wakeups.stop(grace=5)
        await host.stop(grace=5)
        jobs.shutdown(wait=False)
