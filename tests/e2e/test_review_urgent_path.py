"""Reviewer's tests for the urgent path (branch `urgent`): what its own tests miss."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db import Urgency
from bot.db.write_turns import ORDINARY_AT_ONCE
from bot.simulator import SimMember
from tests.databases import backend_name
from tests.e2e.checkins_helpers import pair, posts, set_up_alerts
from tests.e2e.conftest import World
from tests.e2e.test_urgent_path import (
    CROWD,
    SEND,
    check_in,
    count_checkins,
    until_queued,
)


@pytest.mark.skipif(backend_name() != "sqlite", reason="SQLite's write turns")
async def test_an_escalation_step_due_during_a_crowd_is_posted_before_the_crowd_is_stored(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    """The alert's next step (nobody claimed it in 15 minutes: the on-call role is pinged) is
    on the alert's way to a human as much as the first DM: it must not wait for a crowd of
    ordinary check-ins queued before it, as the README's urgent lane promises."""
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(minutes=14, seconds=59)
    assert posts(sim, alerts.channel) == []
    crowd = [world.guild.add_member(f"member{i:03d}") for i in range(CROWD)]
    stored: list[int] = []
    seen: list[int] = []
    channel = str(alerts.channel.id)

    def on_request() -> None:
        request = sim.requests[-1]
        if request.route == SEND and request.ok and request.params.get("channel_id") == channel:
            seen.append(len(stored))

    sim.request_log.on_add(on_request)

    async def ordinary(member: SimMember) -> None:
        await check_in(bot, world, member, support=False)
        stored.append(member.id)

    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_turn() -> None:
        async with bot.database.transaction():
            holding.set()
            await release.wait()

    # Told when one more writer than the crowd queues for a turn (the ledger's pass).
    queued_behind = asyncio.Event()
    turns = bot.database._turns()  # a probe only: who queues
    assert turns is not None
    acquire = turns.acquire

    async def noting_acquire(urgency: Urgency = Urgency.NORMAL) -> None:
        waiting = acquire(urgency)
        task = asyncio.ensure_future(waiting)
        await asyncio.sleep(0)
        if bot.database.writers_waiting() > CROWD:
            queued_behind.set()
        await task

    turns.acquire = noting_acquire  # type: ignore[method-assign]

    with bot.realtime.woken_on_commit(bot.clock.now):
        holder = asyncio.create_task(hold_the_turn())
        await holding.wait()
        waiting = [asyncio.create_task(ordinary(member)) for member in crowd]
        await until_queued(bot, CROWD)
        # The step comes due: the ledger's pass asks for its turn behind the crowd.
        due = asyncio.create_task(sim.advance(seconds=1))
        await asyncio.wait_for(queued_behind.wait(), timeout=30)
        release.set()
        await sim.wait_until(lambda: seen, within=60)
        await asyncio.gather(holder, due, *waiting)
        await bot.realtime.settled()

    assert len(posts(sim, alerts.channel)) == 1
    assert seen[0] < CROWD // 2  # on `urgent` it is posted only after all 200 (FIFO)
    assert await count_checkins(bot) == CROWD + 1


async def test_an_alert_committed_while_another_alerts_send_is_being_retried_does_not_wait_for_it(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    """Alice's alert DM gets a 500; discord.py waits (1 s, more on later tries, up to 60 s for
    a row that hangs) and sends it again. Dana asks for support meanwhile: her mentor's DM
    must not queue behind Alice's retry (the urgent lane sends a whole claimed batch before it
    claims again, so it does)."""
    sim, alice, bob, dana = world.sim, world.alice, world.bob, world.dana
    frank = world.guild.add_member("frank")
    await pair(database_url, world, alice, bob)
    await pair(database_url, world, dana, frank)
    bob_channel, frank_channel = str(sim.dm_channel(bob).id), str(sim.dm_channel(frank).id)
    order: list[str] = []
    asked: list[asyncio.Task[None]] = []

    def on_request() -> None:
        request = sim.requests[-1]
        if request.route != SEND:
            return
        where = request.params.get("channel_id")
        if where == bob_channel:
            order.append("bob ok" if request.ok else "bob failed")
            if not request.ok and not asked:
                task = asyncio.create_task(check_in(bot, world, dana, support=True))
                task.add_done_callback(lambda _: order.append("dana stored"))
                asked.append(task)
        elif where == frank_channel and request.ok:
            order.append("frank ok")

    sim.request_log.on_add(on_request)
    sim.fail_next(SEND, 500)  # discord.py retries this one itself, after a second
    with bot.realtime.woken_on_commit(bot.clock.now):
        await check_in(bot, world, alice, support=True)
        await sim.wait_until(lambda: "bob ok" in order and "frank ok" in order, within=30)
        await asyncio.gather(*asked)
        await bot.realtime.settled()

    assert order[0] == "bob failed"
    assert order.index("dana stored") < order.index("bob ok")  # her alert was ready in time
    assert order.index("frank ok") < order.index("bob ok")


@pytest.mark.skipif(backend_name() != "postgresql", reason="PostgreSQL's ordinary gate")
async def test_ordinary_transactions_are_not_held_back_while_the_urgent_lane_waits_on_discord(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    """The gate's tighter bound exists to give urgent transactions the event loop. While the
    urgent lane's only alert is waiting out discord.py's retry sleep after a 500 (seconds; up to
    a minute for a request that hangs), there is nothing urgent to give the loop to: ordinary
    transactions come in as many at once as ever (ORDINARY_AT_ONCE), not ORDINARY_WHILE_URGENT."""
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    bob_channel = str(sim.dm_channel(bob).id)
    order: list[str] = []
    inside: list[int] = []
    released = asyncio.Event()
    started: list[asyncio.Task[None]] = []

    async def ordinary(index: int) -> None:
        async with bot.database.transaction() as session:
            await session.execute(text("SELECT 1"))
            inside.append(index)
            if len(inside) == ORDINARY_AT_ONCE:
                order.append("all in at once")
                released.set()
            await released.wait()
        inside.remove(index)

    def on_request() -> None:
        request = sim.requests[-1]
        if request.route != SEND or request.params.get("channel_id") != bob_channel:
            return
        if request.ok:
            order.append("bob ok")
            released.set()
        elif not started:
            started.extend(asyncio.create_task(ordinary(i)) for i in range(8))

    sim.request_log.on_add(on_request)
    sim.fail_next(SEND, 500)  # discord.py sleeps a second, then sends it again
    with bot.realtime.woken_on_commit(bot.clock.now):
        await check_in(bot, world, alice, support=True)
        await sim.wait_until(lambda: "bob ok" in order, within=30)
        await asyncio.gather(*started)
        await bot.realtime.settled()

    assert "all in at once" in order
    assert order.index("all in at once") < order.index("bob ok")
