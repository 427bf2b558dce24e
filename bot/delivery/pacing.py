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
# requests are made (so a process short of tokens gets them from the others within about this
# long), and lapses TOKENS_TTL after its last renewal (a process that died). Long enough that
# a busy event loop's slow renewal never lapses it; short enough that a restart after a crash
# waits little for the tokens the dead process held.
RENEW_EVERY = 0.5
TOKENS_TTL = 5.0
# A renewal that takes longer is given up (the database is out of reach): the holding is still
# used until it lapses. The advisory lock's own wait is bounded by the database (LOCK_TIMEOUT_MS),
# so a renewal is not cancelled while it waits for it.
RENEW_TIMEOUT = 3.0
LOCK_TIMEOUT_MS = 1000
# Renewals at most this often, however often requests find the tokens short.
MIN_RENEW_GAP = 0.05
# The others take a lapsed holding's tokens only this long after it lapsed: requests its
# process began before the lapse may still be counted (until a window after their answers).
LAPSE_GRACE = WINDOW + 1.0
# A process short of tokens while the others hold them all asks again after this, doubling up
# to RENEW_EVERY (the others give back at their renewals).
STARVED_POLL = 0.1
# Seconds without a request after which a process gives its tokens back and stops renewing.
IDLE_RETURN = 10.0
# Rows of holdings lapsed this long ago are deleted.
STALE_ROWS = 3600.0
# The advisory lock renewals take in turn ("Steady" in ASCII).
LOCK_KEY = 0x537465616479


@dataclass
class _InSlot:
    """The slot a task's request is being made in: how many times it went to Discord."""

    pacer: Pacer
    sends: int = 0
    # Over: a task started inside the slot and still sending later makes requests of its own.
    over: bool = False


_in_slot: ContextVar[_InSlot | None] = ContextVar("steady_pacer_slot", default=None)


def note_send(unpaced: Pacer | None = None) -> bool:
    """Called (from aiohttp's request trace, bot/delivery/tracing.py) as each REST request
    that counts against Discord's global limit starts. discord.py sleeps through a short 429
    and sends again within the same call, and retries some 5xx answers: each send after the
    first is counted as a request of its own. A request made outside any slot (discord.py's
    own at login, a command's reply that is not an interaction's) is counted by `unpaced`, the
    process's pacer, until `note_unpaced_end`: it cannot be held back, but later slots wait for
    it. Whether it was counted so."""
    in_slot = _in_slot.get()
    if in_slot is None or in_slot.over:
        if unpaced is None:
            return False
        unpaced._count_resend()
        return True
    in_slot.sends += 1
    if in_slot.sends > 1:
        in_slot.pacer._count_resend()
    return False


def note_unpaced_end(pacer: Pacer) -> None:
    """A request counted by `note_send(unpaced=pacer)` was answered (or failed)."""
    pacer._release(sent=True)


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
            in_slot.over = True
            for _ in range(max(1, in_slot.sends)):
                self._release(sent=True)

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for this request's slot: urgent requests before the others and each lane in
        call order. Prefer `slot()`, which also says when the request is over."""
        self.requests += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(future)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick())
        self._queued(urgent=urgent)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(sent=False)  # the slot came just as we were cancelled
            elif future in queue:
                queue.remove(future)
            raise

    def _queued(self, *, urgent: bool) -> None:
        """A request was queued (the ticker may be waiting inside `_slot` already)."""

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
    other one of that window still counted when it was given its slot.

    Ordinary requests are also spaced `window / burst` apart (urgent ones are not): a wave
    then frees the window evenly, and an urgent request committed during it finds room within
    one spacing (21 ms) instead of at the wave's next burst, up to a second away. After a quiet
    spell a crowd of urgent requests still leaves at once."""

    def __init__(self, burst: int = BURST, window: float = WINDOW) -> None:
        if burst < 1 or window <= 0:
            raise ValueError("burst must be at least 1 and window positive")
        super().__init__(rate=burst / window)
        self.burst, self.window = burst, window
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when answers came back (loop time), in order
        self._changed = asyncio.Event()
        self._next_ordinary = 0.0  # loop time of the next ordinary request's earliest slot

    @property
    def counted(self) -> int:
        """Requests in flight or answered within the last window."""
        now = asyncio.get_running_loop().time()
        return self._in_flight + sum(1 for at in self._answered if at > now - self.window)

    def _allowed(self, now: float) -> int:
        """How many requests may be counted at once now."""
        return self.burst

    def _full(self, allowed: int) -> None:
        """The ticker found no room (`allowed` requests count)."""

    async def _slot(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._answered and self._answered[0] <= now - self.window:
                self._answered.popleft()
            allowed = self._allowed(now)
            room = self._in_flight + len(self._answered) < allowed
            # The slot goes to the first urgent request if one waits (`Pacer._tick`).
            urgent = bool(self._urgent)
            if room and (urgent or now >= self._next_ordinary):
                self._in_flight += 1
                if not urgent:
                    spacing = self.window / self.burst
                    self._next_ordinary = max(now, self._next_ordinary) + spacing
                return
            if not room:
                self._full(allowed)
            # Room comes when the oldest answer is a window old, or (every counted one still
            # in flight) once one is answered and then a window old; an ordinary request's
            # turn at its spacing; an urgent request's at once (`_queued` wakes us).
            self._changed.clear()
            if room:
                timeout: float | None = self._next_ordinary - now
            else:
                timeout = self._answered[0] + self.window - now if self._answered else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def _queued(self, *, urgent: bool) -> None:
        if urgent:
            self._changed.set()  # not behind an ordinary request's spacing

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

    - A process short of tokens takes the free ones: all of them while no other process is
      short, so a lone process holds the whole burst and a crowd of alerts leaves at once, as on
      SQLite.
    - While another process is short, each holder counts on no more than it needs now, nor more
      than a fair share of the processes that need tokens, and gives the rest back as its
      requests stop counting (at its next renewals).
    - A holding is renewed every `RENEW_EVERY` while requests are made, given back after
      `IDLE_RETURN` without any, and lapses `TOKENS_TTL` after its last renewal; the others take
      its tokens `LAPSE_GRACE` later (a process that died). A clean stop gives them back at
      once. A process stops counting on its holding at the lapse, in its own time.
    - A holding published is never less than what the process still counts: a clean stop
      gives back what no request counts at once, and the rest a window later.
    - Once the holding lapsed with the database out of reach, the process sends nothing new
      until it is back: it could not record what it sent either, and the others may have
      taken its tokens.
    """

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
        self.held = 0  # tokens this process holds in the database
        self.target = 0  # of those, how many it counts on (the rest are being given back)
        self._valid_until = 0.0  # loop time the holding lapses at, unless renewed before
        self._keeper: asyncio.Task[None] | None = None
        self._short = asyncio.Event()  # a request waits for more tokens than may be counted on
        self._last_slot = 0.0
        self._database_down = False
        self._held_elsewhere = 0  # by the other processes, at the last renewal
        self._last_need = 0  # the tokens the last renewal knew were needed
        self._closed = False
        self.renewals = 0  # that succeeded
        self.attempts = 0

    def _allowed(self, now: float) -> int:
        """How many requests may be counted at once now."""
        return min(self.target, self.held) if now < self._valid_until else 0

    def _need(self) -> int:
        """Tokens that would let every waiting request go now."""
        return self.counted + self._waiting()

    def _waiting(self) -> int:
        # Waiters that gave up are still queued until the ticker passes them: not counted.
        return sum(1 for f in (*self._urgent, *self._normal) if not f.done())

    def _queued(self, *, urgent: bool) -> None:
        super()._queued(urgent=urgent)
        # Here and not only in `_slot`: the ticker may be parked there for a waiter that gave
        # up, after the keeper ended (nothing held, nothing counted, no one waiting); only a
        # new request can start the keeper again then.
        self._start_keeper()

    def _start_keeper(self) -> None:
        if not self._closed and (self._keeper is None or self._keeper.done()):
            self._keeper = asyncio.create_task(self._keep())

    async def _slot(self) -> None:
        self._last_slot = asyncio.get_running_loop().time()
        self._start_keeper()
        await super()._slot()

    def _full(self, allowed: int) -> None:
        if allowed < self.burst and self._need() > self._last_need:
            self._short.set()  # more is needed than the last renewal knew of

    async def _keep(self) -> None:
        """Renew the holding while requests are made; end once nothing is held or asked."""
        loop = asyncio.get_running_loop()
        poll = STARVED_POLL
        while not self._closed:
            self._short.clear()
            idle = loop.time() - self._last_slot > IDLE_RETURN and not self._waiting()
            self.attempts += 1
            try:
                async with asyncio.timeout(RENEW_TIMEOUT):
                    starved = await self._renew(idle=idle)
                if self._database_down:
                    log.info("request tokens renewed again")
                self._database_down = False
            except Exception:
                if not self._database_down:
                    log.warning(
                        "cannot renew request tokens from the database; no new request once "
                        "the holding lapses, until it is back"
                    )
                self._database_down = starved = True
            self._changed.set()
            if self.held == 0 and self.counted == 0 and not self._waiting():
                return  # the next request starts a keeper again
            if starved:
                # Short while the others hold every token, or the database out of reach: ask
                # again soon, then less often.
                await asyncio.sleep(poll)
                poll = min(poll * 2, RENEW_EVERY)
                continue
            poll = STARVED_POLL
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._short.wait(), RENEW_EVERY)
            await asyncio.sleep(MIN_RENEW_GAP)

    async def _renew(self, *, idle: bool = False) -> bool:
        """Take free tokens if short; while another process is short, count on no more than
        is needed now and a fair share (all that is still counted, when `idle`, is kept and
        the rest given back); extend the holding. Whether this process is still short with
        every token held elsewhere."""
        loop = asyncio.get_running_loop()
        # Not held at the ordinary gate, nor holding it: a renewal is short, and one waiting
        # behind a crowd of ordinary transactions would let the holding lapse.
        async with self._db.transaction(Urgency.DELIVERY, gated=False) as session:
            asked = loop.time()  # the holding's lapse is counted from here (see below)
            # One renewal at a time across the processes: each sees the others' committed rows.
            db_now = float(
                (
                    await session.execute(
                        text(
                            "SELECT set_config('lock_timeout', :wait, true), "
                            "pg_advisory_xact_lock(:key), EXTRACT(EPOCH FROM clock_timestamp())"
                        ),
                        {"key": LOCK_KEY, "wait": str(LOCK_TIMEOUT_MS)},
                    )
                ).one()[2]
            )
            rows = (
                await session.execute(
                    text("SELECT holder, held, wanted, expires_at FROM request_tokens")
                )
            ).all()
            mine = next((r for r in rows if r.holder == self.holder), None)
            others = [
                r for r in rows if r.holder != self.holder and r.expires_at + LAPSE_GRACE > db_now
            ]
            elsewhere = sum(r.held for r in others)
            short_elsewhere = [r for r in others if r.wanted > 0]
            # A holding that lapsed (here, or in the database) is not ours any more: another
            # process may have taken its tokens.
            ours = mine is not None and mine.expires_at > db_now and loop.time() < self._valid_until
            room = max(0, self.burst - elsewhere)
            current = min(self.held if ours else 0, room)
            counted = self.counted
            need = counted + self._waiting()
            if idle:
                goal = 0
            elif short_elsewhere:
                # A fair share of the processes that need tokens, or more while what the others
                # ask for (held and wanted) leaves more: a trickle elsewhere does not halve us.
                fair = self.burst // (len(short_elsewhere) + (1 if need else 0))
                asked_elsewhere = sum(r.held + r.wanted for r in others)
                goal = min(need, max(fair, self.burst - asked_elsewhere))
            else:
                goal = max(current, need)
            # Published: never less than what is still counted (requests made before a lapse,
            # or outside the slots), as far as the others leave room.
            keep = min(max(min(current, goal), counted), room)
            # Counted on no more before the database hears of it: never after this.
            self.target = min(self.target, goal, keep)
            self.held = min(self.held, keep) if ours else 0
            free = max(0, room - keep)
            if short_elsewhere:
                take = min(free, max(0, goal - keep))
            else:
                take = free if need > current else 0  # short: every free token
            held = keep + take
            target = min(goal, held) if short_elsewhere else held
            short = need > held
            self._last_need = need
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
                    "wanted": need - held if short else 0,
                    "expires": db_now + self._ttl,
                },
            )
            if any(r.expires_at < db_now - STALE_ROWS for r in rows):
                await session.execute(
                    text("DELETE FROM request_tokens WHERE expires_at < :old"),
                    {"old": db_now - STALE_ROWS},
                )
        # Counted on only once committed. The holding lapses `ttl` after the renewal was asked
        # for, in this process's time: no later than the database's own expiry of the row (its
        # clock was read after that).
        self.held, self.target = held, target
        self._valid_until = asked + self._ttl
        self._held_elsewhere = elsewhere
        self.renewals += 1
        return bool(short and elsewhere > 0)

    async def close(self) -> None:
        self._closed = True
        await super().close()  # the ticker first: it would start a keeper again
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        counted, in_flight = self.counted, self._in_flight
        self.held = self.target = 0
        # Stopping cleanly: what no request counts is free for the others (or this bot's next
        # start) at once; what answered requests still count, a window from now (the others
        # take a lapsed holding's tokens LAPSE_GRACE after its lapse); with requests still in
        # flight, as after a crash (their answers, and a window after, are not known).
        lapse = self._ttl if in_flight else self.window - LAPSE_GRACE
        if counted:
            statement = text(
                "INSERT INTO request_tokens (holder, held, wanted, expires_at) VALUES (:holder, "
                ":counted, 0, EXTRACT(EPOCH FROM clock_timestamp()) + :lapse) "
                "ON CONFLICT (holder) DO UPDATE SET held = EXCLUDED.held, wanted = 0, "
                "expires_at = EXCLUDED.expires_at"
            )
        else:
            statement = text("DELETE FROM request_tokens WHERE holder = :holder")
        try:
            async with self._db.transaction(Urgency.DELIVERY, gated=False) as session:
                await session.execute(
                    statement, {"holder": self.holder, "counted": counted, "lapse": lapse}
                )
        except Exception:
            log.warning(
                "could not give back request tokens; they are free again in %.0f s",
                self._ttl + LAPSE_GRACE,
            )
