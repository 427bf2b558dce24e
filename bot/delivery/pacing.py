"""Keeping Steady's own REST traffic under Discord's global limit (50 requests per second).

discord.py only reacts to a global 429 after it happened; at that point every request waits.
The dispatcher makes each request it sends (DM-channel opens included) inside a pacer's slot,
so it stays under the limit instead of bouncing off it. Slots are handed out one at a time,
urgent requests first: a support alert never queues behind a bulk wave's requests. Real (loop)
time, not the bot's clock: Discord's limits run on real time even when the bot's clock is a
test's ManualClock.

One process alone (SQLite) counts the requests that may have reached Discord in the last second
(`WindowPacer`): after a quiet spell a burst leaves at once. Several processes on one PostgreSQL
database share one budget (`SharedPacer`): each leases blocks of evenly spaced slots from one
row, timed by the database's clock, so together they stay under the limit that Discord counts
per bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import text

from bot.db import Database, Urgency

log = logging.getLogger(__name__)

# Below 50 to leave room for the network's jitter and for the bot's other REST calls: the even
# spacing the processes sharing PostgreSQL's budget keep (SharedPacer).
DEFAULT_RATE = 47.0
# One process alone (WindowPacer): at most BURST requests that may have reached Discord within
# any WINDOW. Discord allows 50 a second without saying how it counts them; a request is
# counted from its slot until a second after its answer came back, so no one second can see
# more than BURST of them however it counts (a fixed window, a sliding one, a bucket refilled
# at 50 a second) and whatever the network's delays (a cold connection's handshake delays the
# first of a burst, not the next). After a quiet spell the next BURST go at once: a crowd of
# alerts does not leave one by one, each waiting for the slot of the one before.
BURST = 48
WINDOW = 1.0
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


@dataclass
class _InSlot:
    """The slot a task's request is being made in: how many times it went to Discord."""

    pacer: Pacer
    sends: int = 0


_in_slot: ContextVar[_InSlot | None] = ContextVar("steady_pacer_slot", default=None)


def note_send() -> None:
    """Called (from aiohttp's request trace, bot/delivery/tracing.py) as each HTTP request
    starts. discord.py sleeps through a short 429 and sends again within the same call, and
    retries some 5xx answers: each send after the first is counted as a request of its own."""
    in_slot = _in_slot.get()
    if in_slot is None:
        return
    in_slot.sends += 1
    if in_slot.sends > 1:
        in_slot.pacer._count_resend()


class Pacer:
    """Evenly spaced slots, `1 / rate` apart, urgent requests first."""

    def __init__(self, rate: float = DEFAULT_RATE) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._next_slot = 0.0
        self.requests = 0
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._ticker: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def slot(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Hold a slot for one request, from its turn until its answer came back (or it
        failed): make the request inside the block."""
        await self.acquire(urgent=urgent)
        in_slot = _InSlot(self)
        token = _in_slot.set(in_slot)
        try:
            yield
        finally:
            _in_slot.reset(token)
            for _ in range(max(1, in_slot.sends)):
                self._release(sent=True)

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for this request's slot: urgent requests before the others and each lane in
        call order. Prefer `slot()`, which also says when the request is over."""
        self.requests += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(future)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick())
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(sent=False)  # the slot came just as we were cancelled
            raise

    async def _tick(self) -> None:
        while self._urgent or self._normal:
            await self._slot()
            queue = self._urgent if self._urgent else self._normal
            while queue:
                future = queue.popleft()
                if not future.done():  # a waiter cancelled meanwhile gives its slot on
                    future.set_result(None)
                    break
            else:
                self._release(sent=False)  # every waiter had gone

    async def _slot(self) -> None:
        """Wait until the next slot is ours."""
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def _release(self, *, sent: bool) -> None:
        """A slot's request is over (`sent`: it may have reached Discord). Even spacing counts
        a request at its slot alone."""

    def _count_resend(self) -> None:
        """discord.py sent a slot's request again (released with the slot)."""

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker


class WindowPacer(Pacer):
    """At most `burst` requests that may have reached Discord within any `window` seconds.

    A request may reach Discord at any moment between its slot and its answer, so it counts
    from its slot until `window` after its answer. A new slot is given only while fewer than
    `burst` count: the last request to reach Discord in any window of that length found every
    other one of that window still counted when it was given its slot."""

    def __init__(self, burst: int = BURST, window: float = WINDOW) -> None:
        if burst < 1 or window <= 0:
            raise ValueError("burst must be at least 1 and window positive")
        super().__init__(rate=burst / window)
        self.burst, self.window = burst, window
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when answers came back (loop time), in order
        self._changed = asyncio.Event()

    @property
    def counted(self) -> int:
        """Requests in flight or answered within the last window."""
        now = asyncio.get_running_loop().time()
        return self._in_flight + sum(1 for at in self._answered if at > now - self.window)

    async def _slot(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._answered and self._answered[0] <= now - self.window:
                self._answered.popleft()
            if self._in_flight + len(self._answered) < self.burst:
                self._in_flight += 1
                return
            # Full: room comes when the oldest answer is a window old, or (every counted one
            # still in flight) once one is answered and then a window old.
            self._changed.clear()
            timeout = self._answered[0] + self.window - now if self._answered else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def _release(self, *, sent: bool) -> None:
        self._in_flight -= 1
        if sent:
            self._answered.append(asyncio.get_running_loop().time())
        self._changed.set()

    def _count_resend(self) -> None:
        # It cannot be held back (discord.py is sending it now), but it counts: later slots
        # wait for it as for any other.
        self._in_flight += 1


class SharedPacer(Pacer):
    """A pacer whose slots come from the `request_budget` row every process shares."""

    def __init__(self, database: Database, rate: float = DEFAULT_RATE, block: int = BLOCK) -> None:
        super().__init__(rate)
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
        # Waiters that gave up are still queued until the ticker passes them: not counted.
        waiting = sum(1 for f in (*self._urgent, *self._normal) if not f.done())
        count = min(LARGEST_BLOCK, max(self._block, waiting))
        for _ in range(LEASE_TRIES):
            first, round_trip = await self._lease_block(count)
            # The database's clock was read somewhere within the round trip: the block is
            # placed as late as that allows (never early), and a block whose round trip was
            # slow is given up (its slots go unused) rather than risk several processes'
            # slots bunching up past Discord's 50 per second on a loaded machine. The last
            # try's block is used whatever its round trip.
            if round_trip <= MAX_ROUND_TRIP:
                break
            count = self._block  # a slow database: what a given-up block wastes stays small
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
