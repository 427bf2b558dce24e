"""What the wake-ups drive in real time: due work in each pass, delivery in a task beside it.

One pass used to run the ledger and then the dispatcher, and the dispatcher's pass lasts until
the outbox is drained: a 10,000-member prompt wave takes minutes at Discord's 50 requests per
second. Every later pass waited behind it, so an escalation step that came due meanwhile (a
support alert's on-call ping) was handled only after the whole wave. Here the pass handles due
work and hands delivery to a task of its own that keeps draining; the next pass is free to run
due work again. (Urgent *messages* overtake a wave inside the dispatcher; this is about urgent
*due work*.)

While delivery is draining, its own next due time is left out of the wake-up (it would always
be "now" and make the wake-up spin); when it goes quiet, the wake-up is re-armed with it again.
The simulator and tests call `run_due` on each timed work in turn instead, and wait for both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.timed_work import TimedWork

log = logging.getLogger(__name__)


class SideBySide:
    def __init__(self, work: TimedWork, delivery: TimedWork) -> None:
        self._work = work
        self._delivery = delivery
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopping = False
        # Called when delivery goes quiet, so its next due time counts again (WakeUps.arm).
        self.after_delivery: Callable[[], Awaitable[None]] | None = None

    @property
    def delivering(self) -> bool:
        return self._task is not None and not self._task.done()

    async def next_wakeup(self) -> datetime | None:
        due = [await self._work.next_due()]
        if not self.delivering:
            due.append(await self._delivery.next_due())
        return min((when for when in due if when is not None), default=None)

    async def run_due(self) -> None:
        await self._work.run_due()
        self.deliver()

    def deliver(self) -> None:
        """Drain the outbox beside the passes: start a drain, or ask the running one to look
        once more when it ends (rows committed meanwhile are also claimed by its own loop)."""
        if self._stopping:
            return
        if self.delivering:
            self._again = True
            return
        self._again = True
        self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._again and not self._stopping:
                self._again = False
                try:
                    await self._delivery.run_due()
                except Exception:
                    log.exception("a delivery pass failed; the next wake-up or sweep retries")
        finally:
            if not self._stopping and self.after_delivery is not None:
                try:
                    await self.after_delivery()
                except Exception:
                    log.exception("re-arming after delivery failed; the sweep retries")

    async def drained(self) -> None:
        """Wait until the drain in progress (if any) has ended and re-armed the wake-up."""
        while (task := self._task) is not None and not task.done():
            await asyncio.wait({task})

    async def stop(self, grace: float | None) -> None:
        """For shutdown, after the delivery's own `stop()`: wait for the drain to finish the
        rows in hand, at most `grace` seconds, then cancel it (the dispatcher releases what it
        had not begun)."""
        self._stopping = True
        task = self._task
        if task is None or task.done():
            return
        _done, pending = await asyncio.wait({task}, timeout=grace)
        if pending:
            log.warning("delivery still running after %.1f s; cancelling", grace or 0.0)
            task.cancel()
            await asyncio.wait({task}, timeout=grace)
