"""Keeping Steady's own REST traffic under Discord's global limit (50 requests per second).

discord.py only reacts to a global 429 after it happened; at that point every request waits.
The dispatcher asks a pacer before each request it makes (DM-channel opens included), so it
stays under the limit instead of bouncing off it. Slots are handed out one at a time, urgent
requests first: a support alert never queues behind a bulk wave's requests. Real (loop) time,
not the bot's clock: Discord's limits run on real time even when the bot's clock is a test's
ManualClock.

Several processes on one PostgreSQL database share one budget (`SharedPacer`): each leases
small blocks of slots from one row, timed by the database's clock, so together they stay under
the limit that Discord counts per bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from sqlalchemy import text

from bot.db import Database, Urgency

log = logging.getLogger(__name__)

# Discord allows 50 requests per second and does not say how it counts them. At most BURST
# requests in any WINDOW seconds stays under 50 in any one second however it counts (a fixed
# window from a first request, as discord.js assumes; a sliding one; a bucket refilled at 50 a
# second), with room for the network's jitter (up to WINDOW - 1 s) and for the bot's other
# REST calls. Sustained, that is 47 a second; after a quiet spell the next BURST go at once, so
# a crowd of alerts does not leave one by one, each waiting for the slot of the one before.
BURST = 48
WINDOW = 1.02
DEFAULT_RATE = BURST / WINDOW
BUDGET = "global"
# Slots leased at a time by a process sharing the budget: small, so an idle process wastes
# little and processes interleave finely (8 slots are 0.17 s at 47/s). With more requests
# waiting, as many as wait, up to LARGEST_BLOCK (0.5 s): on a busy event loop a lease's round
# trip can take longer than its block lasts, and leasing 8 at a time then ran at half the rate.
BLOCK = 8
LARGEST_BLOCK = 24
# A lease whose round trip took longer than this is given up and asked again (at most
# LEASE_TRIES times): its mapping of the database clock could place slots too close to
# another process's.
MAX_ROUND_TRIP = 0.05
LEASE_TRIES = 3


class Pacer:
    """At most `burst` requests in any `burst / rate` seconds (`burst=1`: evenly spaced)."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: int = BURST) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.interval = 1.0 / rate
        self.window = burst / rate
        self._recent: deque[float] = deque(maxlen=burst)  # the last `burst` slots, loop time
        self.requests = 0
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._ticker: asyncio.Task[None] | None = None

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for this request's slot: `interval` apart, urgent requests before the others
        and each lane in call order."""
        self.requests += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(future)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick())
        await future

    async def _tick(self) -> None:
        while self._urgent or self._normal:
            await self._slot()
            queue = self._urgent if self._urgent else self._normal
            while queue:
                future = queue.popleft()
                if not future.done():  # a waiter cancelled meanwhile gives its slot on
                    future.set_result(None)
                    break

    async def _slot(self) -> None:
        """Wait until the next slot is ours: once the slot `burst` before it is a window old."""
        now = asyncio.get_running_loop().time()
        full = len(self._recent) == self._recent.maxlen
        slot = max(now, self._recent[0] + self.window) if full else now
        self._recent.append(slot)  # the oldest falls out
        if slot > now:
            await asyncio.sleep(slot - now)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker


class SharedPacer(Pacer):
    """A pacer whose slots come from the `request_budget` row every process shares."""

    def __init__(self, database: Database, rate: float = DEFAULT_RATE, block: int = BLOCK) -> None:
        # Evenly spaced: the processes' blocks interleave on one schedule in the shared row.
        super().__init__(rate, burst=1)
        self._db = database
        self._block = block
        self._slots: deque[float] = deque()  # leased slots, in loop time
        self.leases = 0

    async def _slot(self) -> None:
        loop = asyncio.get_running_loop()
        while self._slots and self._slots[0] < loop.time() - self.interval:
            self._slots.popleft()  # a slot that passed unused is gone, not saved up
        if not self._slots:
            try:
                await self._lease()
            except Exception:
                # The database is out of reach (then nothing can be recorded either): pace
                # this process alone rather than stall every request waiting for a slot.
                log.warning("cannot lease request slots from the database; pacing locally")
                await super()._slot()
                return
        slot = self._slots.popleft()
        now = loop.time()
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _lease(self) -> None:
        waiting = len(self._urgent) + len(self._normal)
        count = min(LARGEST_BLOCK, max(self._block, waiting))
        for _ in range(LEASE_TRIES):
            first, round_trip = await self._lease_block(count)
            # The database's clock was read somewhere within the round trip: the block is
            # placed as late as that allows (never early), and a block whose round trip was
            # slow is given up (its slots go unused) rather than risk several processes'
            # slots bunching up past Discord's 50 per second on a loaded machine.
            if round_trip <= MAX_ROUND_TRIP:
                break
        self._slots.extend(first + i * self.interval for i in range(count))
        self.leases += 1

    async def _lease_block(self, count: int) -> tuple[float, float]:
        """Lease the next `count` slots from the shared row: the first in loop time, and how
        long the lease's round trip took."""
        span = count * self.interval
        loop = asyncio.get_running_loop()
        # Every request of both lanes waits for these slots: the lease must never queue for a
        # connection behind a crowd of ordinary transactions (PostgreSQL's urgent pool).
        async with self._db.transaction(Urgency.DELIVERY) as session:
            await session.execute(
                text(
                    "INSERT INTO request_budget (name, next_slot) VALUES (:name, 0) "
                    "ON CONFLICT (name) DO NOTHING"
                ),
                {"name": BUDGET},
            )
            asked = loop.time()
            start, db_now = (
                await session.execute(
                    text(
                        "UPDATE request_budget SET next_slot = GREATEST(next_slot, "
                        "EXTRACT(EPOCH FROM clock_timestamp())) + :span WHERE name = :name "
                        "RETURNING next_slot - :span, EXTRACT(EPOCH FROM clock_timestamp())"
                    ),
                    {"name": BUDGET, "span": span},
                )
            ).one()
            answered = loop.time()
        return float(start) - float(db_now) + answered, answered - asked
