"""Keeping Steady's own REST traffic under Discord's global limit (50 requests per second).

discord.py only reacts to a global 429 after it happened; at that point every request waits.
The dispatcher makes each request it sends (DM-channel opens included) inside a pacer's slot,
so it stays under the limit instead of bouncing off it. Slots are handed out one at a time,
urgent requests first: a support alert never queues behind a bulk wave's requests. Real (loop)
time, not the bot's clock: Discord's limits run on real time even when the bot's clock is a
test's ManualClock.

One process alone (SQLite) counts the requests that may have reached Discord in the last second
(`WindowPacer`): after a quiet spell a burst leaves at once. Several processes on one PostgreSQL
database share that count (`SharedPacer`): each holds some of its tokens, taken from and given
back to the database, so together they stay under the limit that Discord counts per bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import text

from bot.db import Database, Urgency

log = logging.getLogger(__name__)

# Below 50 to leave room for the network's jitter and for the bot's other REST calls: the even
# spacing of a plain `Pacer`.
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
# Processes sharing PostgreSQL (SharedPacer): a holding of tokens is renewed this often while
# requests are made, and lapses TOKENS_TTL after its last renewal (a process that died). Long
# enough that a busy event loop's slow renewal never lapses it; short enough that a restart
# after a crash waits little for the tokens the dead process held.
RENEW_EVERY = 0.5
TOKENS_TTL = 5.0
# A process short of tokens while none are free asks again this often (the others give back
# at their renewals).
STARVED_POLL = 0.1
# Seconds without a request after which a process gives its tokens back.
IDLE_RETURN = 30.0
# Rows of holdings lapsed this long ago are deleted.
STALE_ROWS = 3600.0
# The advisory lock renewals take in turn ("Steady" in ASCII).
LOCK_KEY = 0x537465616479


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


class SharedPacer(WindowPacer):
    """`WindowPacer`'s rule across the processes of one PostgreSQL database: the window's
    `burst` is split into tokens, each held by one process at a time (its `request_tokens`
    row), and each process counts its requests against the tokens it holds.

    A process short of tokens takes the free ones, all of them unless another process is short
    too: a lone process holds the whole burst, so a crowd of alerts leaves at once, as on
    SQLite. When another process is short and none are free, holders give back down to a fair
    share at their next renewal (never below what they still count). A holding is renewed every
    `RENEW_EVERY` while requests are made, given back after `IDLE_RETURN` without any, and
    lapses `TOKENS_TTL` after its last renewal: a process that died frees its tokens, and one
    that stops cleanly frees them at once. A process whose renewals stop reaching the database
    stops counting on its tokens at that lapse too, in its own time."""

    def __init__(
        self,
        database: Database,
        burst: int = BURST,
        window: float = WINDOW,
        *,
        holder: str | None = None,
        ttl: float = TOKENS_TTL,
    ) -> None:
        super().__init__(burst, window)
        self._db = database
        self.holder = holder or f"{socket.gethostname()[:32]}:{uuid.uuid4().hex[:12]}"
        self._ttl = ttl
        self.held = 0  # tokens this process may count its requests against
        self._valid_until = 0.0  # loop time the holding lapses at, unless renewed before
        self._keeper: asyncio.Task[None] | None = None
        self._short = asyncio.Event()  # a request waits for more tokens than are held
        self._last_slot = 0.0
        self._database_down = False
        self._held_elsewhere = 0  # by the other processes, at the last renewal
        self.renewals = 0

    def _holding(self, now: float) -> int:
        return self.held if now < self._valid_until else 0

    def _waiting(self) -> int:
        # Waiters that gave up are still queued until the ticker passes them: not counted.
        return sum(1 for f in (*self._urgent, *self._normal) if not f.done())

    async def _slot(self) -> None:
        loop = asyncio.get_running_loop()
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep())
        while True:
            now = self._last_slot = loop.time()
            while self._answered and self._answered[0] <= now - self.window:
                self._answered.popleft()
            if self._in_flight + len(self._answered) < self._holding(now):
                self._in_flight += 1
                return
            if self._database_down:
                # The tokens cannot be renewed (nor anything recorded): pace this process alone,
                # evenly, rather than stall every request.
                await Pacer._slot(self)
                self._in_flight += 1
                return
            if self.held < self.burst:
                self._short.set()
            # Room comes with an answer a window old, or with tokens from the keeper.
            self._changed.clear()
            timeout = self._answered[0] + self.window - now if self._answered else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    async def _keep(self) -> None:
        """Renew the holding while requests are made; end once nothing is held or asked."""
        loop = asyncio.get_running_loop()
        warned = False
        while True:
            self._short.clear()
            idle = loop.time() - self._last_slot > IDLE_RETURN and not self._waiting()
            try:
                taken = await self._renew(idle=idle)
                self._database_down = warned = False
            except Exception:
                if not warned:
                    log.warning("cannot renew request tokens from the database; pacing locally")
                    warned = True
                self._database_down = True
                taken = 0
            self._changed.set()
            if self.held == 0 and self.counted == 0 and not self._waiting():
                return  # the next request starts a keeper again
            if self._needed() and not taken and self._held_elsewhere and not self._database_down:
                # Short and given nothing: ask again soon, as the others give back at renewals.
                await asyncio.sleep(STARVED_POLL)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._short.wait(), RENEW_EVERY)

    def _needed(self) -> int:
        """How many more tokens would let every waiting request go now."""
        now = asyncio.get_running_loop().time()
        return max(0, self.counted + self._waiting() - self._holding(now))

    async def _renew(self, *, idle: bool = False) -> int:
        """Take free tokens if short, give back down to a fair share if another process is
        short (or all not counted, when `idle`), and extend the holding. Returns how many
        tokens were taken."""
        loop = asyncio.get_running_loop()
        asked = loop.time()
        async with self._db.transaction(Urgency.DELIVERY) as session:
            # One renewal at a time across the processes: each sees the others' committed rows.
            db_now = float(
                (
                    await session.execute(
                        text(
                            "SELECT pg_advisory_xact_lock(:key), "
                            "EXTRACT(EPOCH FROM clock_timestamp())"
                        ),
                        {"key": LOCK_KEY},
                    )
                ).one()[1]
            )
            rows = (
                await session.execute(
                    text("SELECT holder, held, wanted, expires_at FROM request_tokens")
                )
            ).all()
            others = [r for r in rows if r.holder != self.holder and r.expires_at > db_now]
            short_elsewhere = sum(1 for r in others if r.wanted > 0)
            held = self._holding(asked)
            counted, needed = self.counted, self._needed()
            if idle:
                held = min(held, counted)
            elif short_elsewhere:
                held = min(held, max(self.burst // (short_elsewhere + 1), counted))
            # Given back before the database hears of it: never counted on after this.
            self.held = min(self.held, held)
            self._held_elsewhere = sum(r.held for r in others)
            free = max(0, self.burst - self._held_elsewhere - held)
            taken = (min(free, needed) if short_elsewhere else free) if needed else 0
            held += taken
            await session.execute(
                text(
                    "INSERT INTO request_tokens (holder, held, wanted, expires_at) "
                    "VALUES (:holder, :held, :wanted, :expires) ON CONFLICT (holder) DO UPDATE "
                    "SET held = EXCLUDED.held, wanted = EXCLUDED.wanted, "
                    "expires_at = EXCLUDED.expires_at"
                ),
                {
                    "holder": self.holder,
                    "held": held,
                    "wanted": needed - taken if needed > taken else 0,
                    "expires": db_now + self._ttl,
                },
            )
            if any(r.expires_at < db_now - STALE_ROWS for r in rows):
                await session.execute(
                    text("DELETE FROM request_tokens WHERE expires_at < :old"),
                    {"old": db_now - STALE_ROWS},
                )
        # Counted on only once committed. The holding lapses `ttl` after the lock was asked
        # for, in this process's time: no later than the database's own expiry of the row.
        self.held = held
        self._valid_until = asked + self._ttl
        self.renewals += 1
        return taken

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        await super().close()
        self.held = 0
        # Stopping cleanly: the tokens are free for the others, or for this bot's next start.
        try:
            async with self._db.transaction(Urgency.DELIVERY) as session:
                await session.execute(
                    text("DELETE FROM request_tokens WHERE holder = :holder"),
                    {"holder": self.holder},
                )
        except Exception:
            log.warning("could not give back request tokens; they lapse in %.0f s", self._ttl)
