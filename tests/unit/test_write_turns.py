"""The order in which a process's SQLite writers get their turn (bot/db/write_turns.py):
urgent levels first, first come first served within a level, and a bound so that a crowd of
ordinary writers is never starved by urgent ones."""

from __future__ import annotations

import asyncio

import pytest

from bot.db.write_turns import OrdinaryGate, Urgency, WriteTurns

N, R, D = Urgency.NORMAL, Urgency.REQUEST, Urgency.DELIVERY


async def _queued(turns: WriteTurns, count: int) -> None:
    """Let tasks just created run up to their wait (they do nothing else before it)."""
    for _ in range(100):
        if turns.waiting() == count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{turns.waiting()} writers wait, not {count}")


async def _queue(turns: WriteTurns, order: list[str], names: list[tuple[str, Urgency]]) -> None:
    """Writers queued (in this order) behind a holder; each notes its name on its turn."""

    async def writer(name: str, urgency: Urgency) -> None:
        await turns.acquire(urgency)
        order.append(name)
        turns.release()

    tasks = [asyncio.create_task(writer(name, urgency)) for name, urgency in names]
    await _queued(turns, len(names))
    turns.release()  # the holder is done
    await asyncio.gather(*tasks)


async def test_urgent_writers_go_before_ordinary_ones_queued_earlier() -> None:
    turns = WriteTurns()
    await turns.acquire()
    order: list[str] = []
    await _queue(turns, order, [("n1", N), ("n2", N), ("alert", R), ("claim", D)])
    assert order == ["claim", "alert", "n1", "n2"]


async def test_within_a_level_first_come_first_served() -> None:
    turns = WriteTurns()
    await turns.acquire()
    order: list[str] = []
    await _queue(turns, order, [("a", R), ("n", N), ("b", R), ("c", R)])
    assert order == ["a", "b", "c", "n"]


async def test_an_ordinary_writer_gets_its_turn_however_much_urgent_work_keeps_coming() -> None:
    """Urgent writers arriving without end still let the waiting ordinary writer in after
    `passes` of them."""
    turns = WriteTurns(passes=3)
    await turns.acquire()
    order: list[str] = []
    await _queue(turns, order, [("n", N)] + [(f"u{i}", R) for i in range(10)])
    assert order.index("n") == 3
    assert order == ["u0", "u1", "u2", "n", "u3", "u4", "u5", "u6", "u7", "u8", "u9"]


async def test_every_level_is_bounded_by_the_levels_above_it() -> None:
    turns = WriteTurns(passes=2)
    await turns.acquire()
    order: list[str] = []
    names = [("n", N), ("r1", R), ("r2", R)] + [(f"d{i}", D) for i in range(6)]
    await _queue(turns, order, names)
    # Two deliveries, then the two passed-over levels, lowest first, then deliveries again.
    assert order[:4] == ["d0", "d1", "n", "r1"]
    assert set(order) == {name for name, _ in names}


async def test_a_writer_cancelled_while_waiting_leaves_the_queue_and_the_rest_go_on() -> None:
    turns = WriteTurns()
    await turns.acquire()
    order: list[str] = []

    async def writer(name: str, urgency: Urgency) -> None:
        await turns.acquire(urgency)
        order.append(name)
        turns.release()

    gone = asyncio.create_task(writer("gone", R))
    stays = asyncio.create_task(writer("stays", N))
    await _queued(turns, 2)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert turns.waiting() == 1
    turns.release()
    await stays
    assert order == ["stays"]
    assert not turns.held


async def test_a_writer_cancelled_just_as_its_turn_came_passes_the_turn_on() -> None:
    turns = WriteTurns()
    await turns.acquire()
    order: list[str] = []

    async def writer(name: str) -> None:
        await turns.acquire()
        order.append(name)
        turns.release()

    first = asyncio.create_task(writer("first"))
    second = asyncio.create_task(writer("second"))
    await _queued(turns, 2)
    turns.release()  # the turn is handed to `first`, which has not resumed yet
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert order == ["second"]
    assert not turns.held


async def test_the_turn_is_free_once_everyone_is_done() -> None:
    turns = WriteTurns()
    await turns.acquire(Urgency.DELIVERY)
    assert turns.held
    turns.release()
    assert not turns.held
    await turns.acquire()  # taken at once
    assert turns.held


async def test_ordinary_transactions_come_in_a_few_at_a_time_and_fewer_beside_urgent_ones() -> None:
    """PostgreSQL's gate: first come first served, `limit` at a time, `while_urgent` while
    urgent work runs."""
    gate = OrdinaryGate(limit=3, while_urgent=1)
    order: list[str] = []

    async def ordinary(name: str) -> None:
        await gate.enter()
        order.append(name)

    async def passes() -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(ordinary(name)) for name in "abcdef"]
    await passes()
    assert order == ["a", "b", "c"]  # no urgent work: `limit` at once, the rest wait in order
    assert gate.ordinary_waiting == 3
    gate.urgent_began()
    gate.leave()
    gate.leave()  # one still in: the urgent limit of 1 is reached
    await passes()
    assert order == ["a", "b", "c"]
    gate.leave()  # none in: one may come
    await passes()
    assert order == ["a", "b", "c", "d"]
    gate.urgent_ended()  # urgent work done: up to `limit` again
    await passes()
    assert order == ["a", "b", "c", "d", "e", "f"]
    await asyncio.gather(*tasks)
