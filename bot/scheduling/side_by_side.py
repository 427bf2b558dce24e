"""Timed works side by side: each drains in a task of its own, so none waits for another.

One pass used to run the ledger and then the dispatcher, in series. The dispatcher's pass lasts
until the outbox is drained (a 10,000-member prompt wave takes minutes at Discord's 50 requests
per second), and the ledger's until nothing due is left (a catch-up of thousands of prompts):
an escalation step that came due during a wave, or a support alert committed during a long
ledger pass, waited for the other half to finish. Here every timed work (the ledger, the
dispatcher, and any a test adds) has its own drain: a task that runs the work's `run_due` and,
if it was asked again meanwhile, once more. A wake-up only starts drains (or asks the running
ones to look again) and returns.

While a work is draining its next due time is left out of the wake-up (it would always be
"now" and make the wake-up spin); when the drain goes quiet the wake-up is re-armed with it
(`after_drain`). What one work's pass writes may be due for the works after it (the ledger's
handlers write outbox rows): in real time the commit's wake-up note starts them; while the
simulator waits for everything to settle, a pass that ends asks the later works to look again.

The same drains serve the simulator and tests: `run_due` there starts them and waits until all
are quiet (`run_settled`), so a test sees exactly the concurrency production has.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from bot.scheduling import wake
from bot.timed_work import TimedWork

log = logging.getLogger(__name__)


class _Drain:
    def __init__(self, work: TimedWork) -> None:
        self.work = work
        self.task: asyncio.Task[None] | None = None
        self.again = False
        # In its passes, as opposed to re-arming after them (`after_drain`) or done: only
        # then is its work's next due time left out of the wake-up.
        self.passing = False

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class SideBySide:
    def __init__(self, works: Sequence[TimedWork]) -> None:
        # The list itself, not a copy: a work appended later (a test's) gets its drain too.
        self._works = works
        self._drains: dict[int, _Drain] = {}
        self._stopping = False
        self._failure: BaseException | None = None
        self._settling = 0  # passes of `run_settled` in progress (the simulator's)
        # Called when a drain goes quiet, so its work's next due time counts again (WakeUps.arm).
        self.after_drain: Callable[[], Awaitable[None]] | None = None

    def _drain(self, work: TimedWork) -> _Drain:
        drain = self._drains.get(id(work))
        if drain is None or drain.work is not work:
            drain = self._drains[id(work)] = _Drain(work)
        return drain

    @property
    def draining(self) -> bool:
        return any(drain.running for drain in self._drains.values())

    async def next_wakeup(self) -> datetime | None:
        due: list[datetime] = []
        for work in list(self._works):
            if self._drain(work).passing:
                continue
            when = await work.next_due()
            if when is not None:
                due.append(when)
        return min(due, default=None)

    async def run_due(self) -> None:
        """Start every work's drain (or ask a running one to look again) and return at once."""
        for work in list(self._works):
            self.start(work)

    def start(self, work: TimedWork) -> None:
        if self._stopping:
            return
        drain = self._drain(work)
        drain.again = True
        if not drain.running:
            drain.task = asyncio.get_running_loop().create_task(self._run(drain))

    async def _run(self, drain: _Drain) -> None:
        while drain.again and not self._stopping:
            drain.passing = True
            try:
                while drain.again and not self._stopping:
                    drain.again = False
                    try:
                        await drain.work.run_due()
                    except Exception as exc:
                        if self._settling:
                            self._failure = self._failure or exc
                        log.exception("a timed-work pass failed; the next wake-up or sweep retries")
                    self._after_pass(drain.work)
            finally:
                drain.passing = False
            if self._stopping or self.after_drain is None:
                return
            # Re-arm with this work's next due time too (a retry its pass planned is announced
            # by no commit). A start asked for meanwhile finds this task still running and
            # only sets `again`: the outer loop runs the passes it asked for.
            try:
                await self.after_drain()
            except Exception:
                log.exception("re-arming after a drain failed; the sweep retries")

    def _after_pass(self, work: TimedWork) -> None:
        if not self._settling or self._stopping:
            return  # in real time the commits' own wake-up notes (bot.scheduling.wake) do this
        works = list(self._works)
        if work in works:
            for later in works[works.index(work) + 1 :]:
                self.start(later)

    @contextmanager
    def woken_on_commit(self, now: Callable[[], datetime]) -> Iterator[None]:
        """While the block runs, do what the real-clock wake-ups do (bot/scheduling/wakeups.py)
        when a commit announces work due by `now()`: start every drain. Under the simulator's
        manual clock nothing else starts the dispatcher while a long ledger pass is still
        writing the rows it would send (benchmarks and tests of a crowd use this)."""
        loop = asyncio.get_running_loop()

        def start_drains() -> None:
            for work in self._works:
                self.start(work)

        def listener(when: datetime | None) -> None:
            if when is None or when <= now():
                loop.call_soon(start_drains)

        wake.subscribe(listener)
        try:
            yield
        finally:
            wake.unsubscribe(listener)

    async def settled(self) -> None:
        """Wait until no drain is running."""
        while running := [d.task for d in self._drains.values() if d.task and d.running]:
            await asyncio.wait(running)

    async def run_settled(self) -> None:
        """The simulator's pass: start every drain and wait until all are quiet, a pass that
        ends asking the later works to look again; raise the first failure of a pass, so a
        test does not miss it."""
        self._settling += 1
        try:
            await self.run_due()
            await self.settled()
        finally:
            self._settling -= 1
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    async def stop(self, grace: float | None) -> None:
        """For shutdown, after each work's own `stop()`: wait for the drains to finish what they
        hold, at most `grace` seconds, then cancel them (the ledger and the dispatcher release
        what they had not begun)."""
        self._stopping = True
        running = {d.task for d in self._drains.values() if d.task and not d.task.done()}
        if not running:
            return
        _done, pending = await asyncio.wait(running, timeout=grace)
        if pending:
            log.warning(
                "%d drain(s) still running after %.1f s; cancelling", len(pending), grace or 0.0
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=grace)
