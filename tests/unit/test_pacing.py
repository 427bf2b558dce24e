"""The pacers. `WindowPacer` (one process): a burst at once after a quiet spell, and never more
than `burst` requests that may have reached Discord in any window, whatever the network's
delays. `Pacer` (evenly spaced): urgent requests first. The pacer several processes share on
PostgreSQL is tested in tests/services/test_shared_pacer.py.
Real loop time, as Discord's limit runs on, scaled down: a window of 0.1 s instead of 1 s."""

from __future__ import annotations

import asyncio
import itertools
import statistics

from discord.http import Route

from bot.delivery.pacing import (
    BURST,
    WINDOW,
    Pacer,
    WindowPacer,
    note_send,
    note_unpaced_end,
)
from bot.delivery.tracing import counts_globally
from bot.simulator.ratelimit import Window

EPSILON = 0.002  # the loop's timer resolution
SCALED = 0.1  # the window in these tests


async def crowd(pacer: Pacer, count: int, *, cold: float = 0.0, trip: float = 0.0) -> list[float]:
    """`count` requests asked for at the same moment, each made inside its slot; when each
    reached "Discord" (loop time from the start). A request on a new connection (none is idle:
    a quiet spell closed them) waits `cold` for its handshake first; `trip` each way."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    idle = 0
    arrived: list[float] = []

    async def request() -> None:
        nonlocal idle
        async with pacer.slot(urgent=True):
            if idle:
                idle -= 1
            else:
                await asyncio.sleep(cold)
            await asyncio.sleep(trip)
            arrived.append(loop.time() - start)  # Discord counts it here
            await asyncio.sleep(trip)
            idle += 1

    await asyncio.gather(*(request() for _ in range(count)))
    return sorted(arrived)


def refused(arrivals: list[float], limit: int, per: float) -> int:
    """How many the simulator's global limit (a fixed window from a first request) refuses."""
    window = Window(limit, per)
    return sum(not window.hit(at) for at in arrivals)


def test_the_default_stays_under_discords_50_a_second_with_room_to_spare() -> None:
    assert BURST <= 48  # two a second left for the bot's calls that are not paced
    assert WINDOW >= 1.0


async def test_after_a_quiet_spell_a_burst_leaves_at_once_and_the_rest_a_window_later() -> None:
    pacer = WindowPacer(burst=48, window=SCALED)
    arrivals = await crowd(pacer, 100)
    assert max(arrivals[:48]) < SCALED / 2  # no waiting for the first 48
    assert min(arrivals[48:]) >= SCALED - EPSILON
    assert arrivals[-1] >= 2 * SCALED - EPSILON  # the last 4 wait for a second window
    await pacer.close()


async def test_a_cold_connection_delaying_a_first_burst_does_not_squeeze_two_in_a_window() -> None:
    """After a quiet spell each of the first burst's requests opens a connection (a handshake of
    30% of the window, where a real one is a few percent of a second); the next burst's reuse
    them and arrive at once. Counted from slot to answer, the two never share a window."""
    pacer = WindowPacer(burst=48, window=SCALED)
    arrivals = await crowd(pacer, 150, cold=0.3 * SCALED, trip=0.05 * SCALED)
    assert refused(arrivals, 50, SCALED) == 0
    # And the burst still left at once, not spaced over the window (a busy machine may delay
    # all of it; the spread is what tells the two apart).
    assert arrivals[47] - arrivals[0] < SCALED / 4
    await pacer.close()


async def test_a_request_in_flight_keeps_its_place_until_answered_and_a_window_after() -> None:
    pacer = WindowPacer(burst=4, window=SCALED)
    loop = asyncio.get_running_loop()
    answer = asyncio.Event()
    started = asyncio.Event()
    in_flight = 0

    async def slow() -> None:
        nonlocal in_flight
        async with pacer.slot():
            in_flight += 1
            if in_flight == 4:
                started.set()
            await answer.wait()

    holders = [asyncio.create_task(slow()) for _ in range(4)]
    await asyncio.wait_for(started.wait(), timeout=5)
    fifth = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(2 * SCALED)  # two windows pass with all four still in flight
    assert not fifth.done()
    answered_at = loop.time()
    answer.set()
    await asyncio.gather(*holders)
    await asyncio.wait_for(fifth, timeout=5)
    assert loop.time() - answered_at >= SCALED - EPSILON
    await pacer.close()


async def test_a_slot_given_up_is_not_counted() -> None:
    # A long window: only a freed slot can serve. Urgent requests, so that the ordinary ones'
    # spacing (half the window here) is not what is waited for.
    pacer = WindowPacer(burst=2, window=10.0)
    async with pacer.slot(urgent=True):
        pass  # answered: counts for the window
    waiting = asyncio.create_task(pacer.acquire(urgent=True))
    await asyncio.sleep(0)
    waiting.cancel()  # a waiter that gives up before its slot
    await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(pacer.acquire(urgent=True), timeout=5)  # the second place is free
    assert pacer.counted == 2  # the answered one and this one (in flight)
    await pacer.close()


async def test_evenly_spaced_slots_and_urgent_requests_first() -> None:
    pacer = Pacer(rate=200)  # one request every 5 ms
    loop = asyncio.get_running_loop()
    start = loop.time()
    order: list[tuple[str, float]] = []

    async def one(name: str, urgent: bool) -> None:
        await pacer.acquire(urgent=urgent)
        order.append((name, loop.time() - start))

    normal = [asyncio.create_task(one(f"n{i}", False)) for i in range(10)]
    await asyncio.sleep(0)  # all ten queued; the first slot is handed out at once
    urgent = asyncio.create_task(one("urgent", True))
    await asyncio.gather(*normal, urgent)
    names = [name for name, _ in order]
    assert names.index("urgent") <= 1  # at most the slot already handed out went first
    assert all(at >= k * 0.005 - EPSILON for k, (_, at) in enumerate(order))
    await pacer.close()


async def test_requests_made_outside_the_slots_count_too() -> None:
    pacer = WindowPacer(burst=3, window=SCALED)
    # discord.py's own two calls at login: not made in a slot, still counted by Discord.
    assert note_send(unpaced=pacer)
    assert note_send(unpaced=pacer)
    note_unpaced_end(pacer)
    note_unpaced_end(pacer)
    arrivals = await crowd(pacer, 3)
    assert arrivals[0] < SCALED / 2  # one more fits in the window
    assert arrivals[1] >= SCALED - EPSILON  # the others wait for the login's calls to age out
    await pacer.close()


def test_only_requests_discord_counts_against_the_global_limit_are_counted() -> None:
    base = Route.BASE
    assert counts_globally(f"{base}/channels/1/messages")
    assert counts_globally(f"{base}/users/@me")
    # Interaction callbacks and follow-ups (webhooks) are outside the limit; so is the gateway.
    assert not counts_globally(f"{base}/interactions/1/token/callback")
    assert not counts_globally(f"{base}/webhooks/1/token")
    assert not counts_globally("wss://gateway.discord.gg/?v=10&encoding=json")


async def test_ordinary_requests_are_spaced_so_an_urgent_one_finds_room_during_a_wave() -> None:
    window = 0.2
    pacer = WindowPacer(burst=48, window=window)
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent: list[float] = []

    async def ordinary() -> None:
        async with pacer.slot():
            sent.append(loop.time() - start)

    wave = asyncio.gather(*(ordinary() for _ in range(48 * 6)))  # six windows' worth
    waits: list[float] = []
    for _ in range(5):
        await asyncio.sleep(0.37 * window)  # alerts arriving at moments unrelated to the wave's
        asked = loop.time()
        async with pacer.slot(urgent=True):
            waits.append(loop.time() - asked)
    await wave
    # The wave's requests one spacing apart, not 48 at once at each window's start...
    assert all(b - a >= window / 48 - EPSILON for a, b in itertools.pairwise(sorted(sent)[:48]))
    # ...so an alert waits about a spacing for the room a wave request frees, not for the next
    # window (half a window on average, and up to a whole one, had the wave come in bursts).
    assert statistics.median(waits) < window / 8
    await pacer.close()
