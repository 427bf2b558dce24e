"""Whose turn it is to write, in this process: urgent work first, and no writer starved.

SQLite has one write lock, and its busy handler is not fair: a writer that commits and begins
again at once (the ledger's groups of a long pass) keeps winning it, while another (an alert's
commit, the dispatcher's claim) sleeps and retries until the pass ends. So a process's writers
take turns here instead (bot/db/database.py), and the order of the turns is ours to choose.

First come first served alone is not enough: a support check-in that arrives with 900 ordinary
check-ins already queued waited for all of them (18-46 s in `python -m bench checkins`), and so
did the dispatcher's claim of its alert and the record of every send. So turns have levels:

- `Urgency.DELIVERY`: the outbox's urgent lane (claiming alerts, recording their sends). It goes
  first because it is the last step to a human, and it is small by construction: one claim per
  batch of alerts and one short record per message sent.
- `Urgency.REQUEST`: a member's urgent request being recorded (a check-in asking for support
  or with words of crisis, an /sos, an alert's buttons). Bounded by people: a member asking
  again joins their open alert.
- `Urgency.NORMAL`: everything else.

Within a level, first come first served. Across levels, a bound keeps everyone moving: once a
level with writers waiting has been passed over `PASSES` times in a row for higher levels, it
has the next turn (the lowest such level first). So a waiting writer's level gets a turn at
least once every `PASSES + 2` turns, however much urgent work keeps arriving; nothing urgent can
starve the crowd, only delay it a little (urgent work is a small share of all writes).
"""

from __future__ import annotations

import asyncio
from collections import deque
from enum import IntEnum


class Urgency(IntEnum):
    NORMAL = 0
    REQUEST = 1
    DELIVERY = 2


# Higher levels' turns a waiting level lets go first before it is served anyway.
PASSES = 8


class WriteTurns:
    """One writer at a time. `acquire` waits for this writer's turn; `release` hands it on."""

    def __init__(self, passes: int = PASSES) -> None:
        self._passes = passes
        self._held = False
        self._queues: dict[Urgency, deque[asyncio.Future[None]]] = {u: deque() for u in Urgency}
        # Per level: higher levels' turns since it last had one, while it had writers waiting.
        self._passed: dict[Urgency, int] = dict.fromkeys(Urgency, 0)

    @property
    def held(self) -> bool:
        return self._held

    def waiting(self, urgency: Urgency | None = None) -> int:
        """How many writers wait (of one level, or all)."""
        queues = [self._queues[urgency]] if urgency is not None else self._queues.values()
        return sum(1 for queue in queues for future in queue if not future.done())

    async def acquire(self, urgency: Urgency = Urgency.NORMAL) -> None:
        if not self._held:
            self._held = True  # nobody waits while the turn is free: release hands it over
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues[urgency]
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the turn came just as we were cancelled: pass it on
            elif future in queue:
                queue.remove(future)
            raise

    def release(self) -> None:
        """Hand the turn to the next writer, or free it."""
        while (urgency := self._next()) is not None:
            future = self._queues[urgency].popleft()
            if future.done():
                continue  # cancelled while it waited
            self._count(urgency)
            future.set_result(None)
            return
        self._held = False

    def _next(self) -> Urgency | None:
        waiting = [u for u in Urgency if self._queues[u]]
        if not waiting:
            return None
        for urgency in waiting:  # lowest first
            if self._passed[urgency] >= self._passes:
                return urgency
        return max(waiting)

    def _count(self, granted: Urgency) -> None:
        for urgency in Urgency:
            if urgency == granted or not self._queues[urgency]:
                self._passed[urgency] = 0
            elif urgency < granted:
                self._passed[urgency] += 1


# PostgreSQL: ordinary transactions in flight at once, and while urgent work is under way. A
# few keep one event loop busy; more only lengthen each pass of it. Unbounded between alerts, a
# crowd's waiting check-ins all came in at once (up to the pool's 20) and the next alert's
# statements each waited behind them: its mentor's DM left 0.4 s later at p95 in `python -m
# bench checkins`. While urgent work is under way, one: a crowd costs the loop far more outside
# its transactions (its interactions, its replies) than the one let in (with two, the alerts'
# p95 there was 0.2 s later). An ordinary transaction waiting on a row lock then holds the
# others back until it gets it; its holder, already in, is never held.
ORDINARY_AT_ONCE = 4
ORDINARY_WHILE_URGENT = 1
# PostgreSQL: members' urgent requests (`Urgency.REQUEST`) recorded at once, the rest waiting
# in order. More side by side do not finish sooner on one event loop, they share it: with up
# to 12 (the pool), a crowd's 100 alerts each took 0.6 s to record in `python -m bench
# checkins`, so even the first reached its mentor late. The outbox's own (`DELIVERY`) are not
# held: they are few, and each is the last step to a human.
REQUESTS_AT_ONCE = 2


class OrdinaryGate:
    """PostgreSQL runs transactions side by side, so there are no turns; urgent ones have pools
    of their own (bot/db/engine.py). But every transaction in flight costs this process's event
    loop, and each statement of an urgent one waits for a pass of that loop: with 20 ordinary
    check-ins in flight, an alert's transaction took seconds. So ordinary ones are let in
    `limit` at a time, first come first served, and only `while_urgent` at a time while urgent
    transactions are under way (or waiting for a connection): they keep moving, and urgent work
    gets most of the loop."""

    def __init__(
        self, limit: int = ORDINARY_AT_ONCE, while_urgent: int = ORDINARY_WHILE_URGENT
    ) -> None:
        self._limit = limit
        self._while_urgent = while_urgent
        self._urgent = 0
        self._ordinary = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def ordinary_waiting(self) -> int:
        return sum(1 for future in self._waiting if not future.done())

    def urgent_began(self) -> None:
        self._urgent += 1

    def urgent_ended(self) -> None:
        self._urgent -= 1
        self._let_in()

    async def enter(self) -> None:
        """An ordinary transaction's way in."""
        if not self._waiting and self._open():
            self._ordinary += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.leave()  # let in just as it was cancelled: make room for the next
            elif future in self._waiting:
                self._waiting.remove(future)
            raise

    def leave(self) -> None:
        self._ordinary -= 1
        self._let_in()

    def _open(self) -> bool:
        return self._ordinary < (self._limit if self._urgent == 0 else self._while_urgent)

    def _let_in(self) -> None:
        while self._waiting and self._open():
            future = self._waiting.popleft()
            if not future.done():
                self._ordinary += 1
                future.set_result(None)
