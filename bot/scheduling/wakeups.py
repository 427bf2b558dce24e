"""APScheduler only wakes the process; the database says what is due.

Jobs (in-memory store; the SQLAlchemy job store is synchronous, blocks the loop and pickles):
- `steady-wake`: one date job armed at the earliest due instant, re-armed after every pass and
  whenever a commit announces something sooner (see `bot.scheduling.wake`);
- `steady-sweep`: every minute, in case a wake-up was missed (another process added work,
  the clock jumped, a commit hook could not run);
- `steady-maintenance`: daily pruning of finished rows, and once at start (a process that is
  never up at 04:17 UTC, a machine switched off at night, would otherwise never prune, and sent
  messages, which may hold members' words, would be kept for ever instead of 7 days);
- `steady-rebuild`: daily, and once at start, every work kind's repair pass (`rebuild`).

The wake-up and sweep jobs only *ask* for a pass and return at once; one task per process runs
the passes, and a request that arrives while a pass runs makes it run once more. A job never
outlives its firing, so APScheduler's `max_instances=1` can never skip (and, for a date job,
delete) a wake-up armed while a pass is running: that made the wake-up deaf until the sweep.

All use `misfire_grace_time=None` (set on the scheduler): a wake-up that fires late still runs
instead of being dropped after APScheduler's default 1 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.scheduling import wake

log = logging.getLogger(__name__)

WAKE_JOB = "steady-wake"
SWEEP_JOB = "steady-sweep"
MAINTENANCE_JOB = "steady-maintenance"
MAINTENANCE_AT_START_JOB = "steady-maintenance-at-start"
REBUILD_JOB = "steady-rebuild"
REBUILD_AT_START_JOB = "steady-rebuild-at-start"
SWEEP_EVERY = timedelta(minutes=1)


class Host(Protocol):
    async def next_wakeup(self) -> datetime | None: ...

    async def run_due(self) -> None: ...


class WakeUps:
    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        host: Host,
        clock: Clock,
        *,
        maintenance: Callable[[], Awaitable[Any]] | None = None,
        rebuild: Callable[[], Awaitable[Any]] | None = None,
        sweep_every: timedelta = SWEEP_EVERY,
    ) -> None:
        self._scheduler = scheduler
        self._host = host
        self._clock = clock
        self._maintenance = maintenance
        self._rebuild = rebuild
        self._sweep_every = sweep_every
        self._loop: asyncio.AbstractEventLoop | None = None
        self.armed_at: datetime | None = None
        self._arming = asyncio.Lock()
        self._started = False
        self._passes: set[asyncio.Task[Any]] = set()
        self._chores: set[asyncio.Task[Any]] = set()  # the maintenance and rebuild running
        self._driver: asyncio.Task[None] | None = None
        self._again = False  # a pass was asked for while one was running
        self._stopping = False
        # While `arm` reads the next due time, sooner instants announced by commits are noted
        # here: the read may predate them, and arming at its answer alone would lose them.
        self._reading = False
        self._noted_while_reading: datetime | None = None

    async def start(self) -> None:
        """Add the jobs and arm the first wake-up (at once if work came due while we were down:
        that is the catch-up). Call after `scheduler.start()`."""
        self._loop = asyncio.get_running_loop()
        self._scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self._sweep_every.total_seconds(),
            id=SWEEP_JOB,
            replace_existing=True,
        )
        if self._maintenance is not None:
            self._scheduler.add_job(
                self._run_maintenance,
                "cron",
                hour=4,
                minute=17,
                id=MAINTENANCE_JOB,
                replace_existing=True,
            )
            self._scheduler.add_job(
                self._run_maintenance, "date", id=MAINTENANCE_AT_START_JOB, replace_existing=True
            )
        if self._rebuild is not None:
            self._scheduler.add_job(
                self._run_rebuild, "cron", hour=4, minute=37, id=REBUILD_JOB, replace_existing=True
            )
            # At start too, as its own job: the start-up (and its catch-up) need not wait.
            self._scheduler.add_job(
                self._run_rebuild, "date", id=REBUILD_AT_START_JOB, replace_existing=True
            )
        wake.subscribe(self._on_commit)
        self._started, self._stopping = True, False
        await self.arm()

    async def stop(self, grace: float | None = None) -> None:
        """Stop re-arming and wait for a pass in progress, and for the maintenance or repair
        pass if one runs (they may be writing to the database the caller is about to close),
        for at most `grace` seconds; then cancel them. The ledger and the dispatcher release
        at once what they had claimed and not begun (also when cancelled), so another process
        (or the next start) need not wait for the lease; the chores are idempotent and run
        again at the next start."""
        wake.unsubscribe(self._on_commit)
        self._stopping = True
        # Left to APScheduler, a chore would be cancelled only when it shuts down, after the
        # database had been closed under it; and work cancelled mid-transaction can leave a
        # connection for the garbage collector to reset (an error in the log): waited for.
        running = self._passes | self._chores
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            if pending:
                log.warning(
                    "%d timed-work pass(es) or chore(s) still running after %.1f s; cancelling",
                    len(pending),
                    grace or 0.0,
                )
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=grace)
        self._started = False

    async def arm(self) -> None:
        """Point the wake-up job at the earliest due instant (or remove it: nothing pending)."""
        if not self._started:
            return
        async with self._arming:
            self._reading, self._noted_while_reading = True, None
            try:
                when = await self._host.next_wakeup()
            finally:
                self._reading = False
            noted = self._noted_while_reading
            if noted is not None and (when is None or noted < when):
                when = noted  # a commit announced something sooner while we were reading
            self._arm_at(when)

    def _arm_at(self, when: datetime | None) -> None:
        if not self._started:
            return
        if when is None:
            if self._scheduler.get_job(WAKE_JOB) is not None:
                self._scheduler.remove_job(WAKE_JOB)
            self.armed_at = None
            return
        when = max(when, self._clock.now())
        self._scheduler.add_job(
            self._woken, "date", run_date=when, id=WAKE_JOB, replace_existing=True
        )
        self.armed_at = when

    # The jobs' own coroutine functions: APScheduler awaits a job only when its function is
    # one. Given a plain callable (a lambda returning a coroutine) it calls it in a worker
    # thread and drops the coroutine unawaited, so the daily pruning and repair never ran.
    async def _run_maintenance(self) -> None:
        if self._maintenance is not None:
            await self._chore(self._maintenance, "maintenance")

    async def _run_rebuild(self) -> None:
        if self._rebuild is not None:
            await self._chore(self._rebuild, "repair pass")

    async def _chore(self, run: Callable[[], Awaitable[Any]], name: str) -> None:
        if not self._started or self._stopping:
            return
        task = asyncio.current_task()
        assert task is not None
        self._chores.add(task)
        try:
            await run()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.info("the %s was interrupted by the shutdown; the next start runs it", name)
        finally:
            self._chores.discard(task)

    async def _woken(self) -> None:
        # The date job has fired and is gone: nothing is armed until the pass re-arms, so every
        # commit until then arms a new wake-up instead of looking "not sooner".
        self.armed_at = None
        self._request_pass()

    async def _sweep(self) -> None:
        self._request_pass()

    def _request_pass(self) -> None:
        """Run a pass now, or once more after the one running: never two at once, never none."""
        if not self._started or self._stopping:
            return
        if self._driver is not None and not self._driver.done():
            self._again = True
            return
        self._driver = asyncio.get_running_loop().create_task(self._drive())

    async def _drive(self) -> None:
        self._again = True
        while self._again and not self._stopping:
            self._again = False
            await self._pass()

    async def _pass(self) -> None:
        if not self._started or self._stopping:
            return
        task = asyncio.current_task()
        assert task is not None
        self._passes.add(task)
        try:
            try:
                await self._host.run_due()
            except Exception:
                log.exception("a timed-work pass failed; the next wake-up or sweep retries")
            finally:
                # Re-arm whatever happened: a wake-up left in the past would make every later
                # commit look "not sooner" and be ignored until the next sweep.
                if not self._stopping:
                    try:
                        await self.arm()
                    except Exception:
                        log.exception("re-arming the wake-up failed; the sweep retries")
        finally:
            self._passes.discard(task)

    def _on_commit(self, when: datetime | None) -> None:
        # Runs inside SQLAlchemy's after_commit hook: only hand over to the loop here.
        if self._loop is None or not self._started:
            return
        if (
            not self._reading
            and when is not None
            and self.armed_at is not None
            and when >= self.armed_at
        ):
            return
        self._loop.call_soon_threadsafe(self._arm_sooner, when)

    def _arm_sooner(self, when: datetime | None) -> None:
        instant = self._clock.now() if when is None else when
        if self._reading:
            # `arm` is reading the next due time and will arm at its answer when it returns,
            # which may predate this commit: make it arm at this instant if that is sooner.
            noted = self._noted_while_reading
            self._noted_while_reading = instant if noted is None else min(noted, instant)
        if self.armed_at is None or instant < self.armed_at:
            self._arm_at(instant)
