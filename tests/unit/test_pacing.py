"""The pacer: at most `burst` requests in any window, a burst at once after a quiet spell,
urgent requests first. Real loop time (as Discord's limit runs on), scaled down: a window of
0.1 s instead of 1.02 s."""

from __future__ import annotations

import asyncio

from bot.delivery.pacing import BURST, DEFAULT_RATE, WINDOW, Pacer

EPSILON = 0.002  # the loop's timer resolution


async def granted_times(pacer: Pacer, count: int, *, urgent_from: int | None = None) -> list[float]:
    """When each of `count` requests asked for at the same moment got its slot (in loop time,
    from the moment they asked), in the order they were granted; those from `urgent_from` on
    are urgent."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    granted: list[tuple[float, int]] = []

    async def one(index: int) -> None:
        await pacer.acquire(urgent=urgent_from is not None and index >= urgent_from)
        granted.append((loop.time() - start, index))

    await asyncio.gather(*(one(i) for i in range(count)))
    return [t for t, _ in granted]


def test_the_default_stays_under_discords_50_a_second_with_room_to_spare() -> None:
    assert BURST < 50
    assert WINDOW > 1.0  # room for the network's jitter between two windows' requests
    assert 46 < DEFAULT_RATE < 48  # sustained, as before bursts were allowed


async def test_after_a_quiet_spell_a_burst_leaves_at_once_and_the_rest_a_window_later() -> None:
    pacer = Pacer(rate=480, burst=48)  # window 0.1 s
    times = await granted_times(pacer, 100)
    assert max(times[:48]) < 0.05  # no waiting for the first 48
    # Never more than 48 in any window: the k-th slot is at least k // 48 windows in (a slot
    # handed out late, on a busy loop, does not push the schedule back).
    assert all(times[k] >= (k // 48) * 0.1 - EPSILON for k in range(100))
    assert min(times[48:]) >= 0.1 - EPSILON
    await pacer.close()


async def test_a_burst_of_one_is_evenly_spaced() -> None:
    pacer = Pacer(rate=200, burst=1)  # one request every 5 ms
    times = await granted_times(pacer, 20)
    assert all(times[k] >= k * 0.005 - EPSILON for k in range(20))
    await pacer.close()


async def test_slots_left_unused_in_a_quiet_spell_are_not_saved_up_beyond_one_burst() -> None:
    pacer = Pacer(rate=480, burst=48)
    await granted_times(pacer, 10)
    await asyncio.sleep(0.15)  # a quiet spell longer than the window (the pacer's own clock)
    times = await granted_times(pacer, 60)
    assert max(times[:48]) < 0.05  # a full burst again, and no more than one
    assert min(times[48:]) >= 0.1 - EPSILON
    await pacer.close()


async def test_urgent_requests_take_the_next_slots_ahead_of_waiting_ones() -> None:
    pacer = Pacer(rate=480, burst=4)
    order: list[str] = []
    first_burst_sent = asyncio.Event()

    async def one(name: str, urgent: bool) -> None:
        await pacer.acquire(urgent=urgent)
        order.append(name)
        if len(order) == 4:
            first_burst_sent.set()

    normal = [asyncio.create_task(one(f"n{i}", False)) for i in range(8)]
    await asyncio.wait_for(first_burst_sent.wait(), timeout=5)  # four more normal ones wait
    urgent = asyncio.create_task(one("urgent", True))
    await asyncio.gather(*normal, urgent)
    assert order[:4] == ["n0", "n1", "n2", "n3"]
    assert order[4] == "urgent"
    await pacer.close()
