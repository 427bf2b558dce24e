"""A support check-in reaches the mentor without waiting for a crowd of ordinary check-ins.

Many members checking in together queue for the database (SQLite: this process's write turns;
PostgreSQL: the pool's connections). The alert's own transaction, the dispatcher's claim of its
DM and the record of the send must not queue behind them (bot/db/write_turns.py,
bot/db/database.py). Causality only: what had been stored when the mentor's DM reached Discord.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db import Urgency
from bot.db.engine import POOL_OVERFLOW, POOL_SIZE
from bot.db.models import Checkin
from bot.simulator import SimMember, Simulator
from tests.databases import backend_name
from tests.e2e.checkins_helpers import pair
from tests.e2e.conftest import World

SEND = "POST /channels/{channel_id}/messages"
CROWD = 200


def stored_when_dm_left(sim: Simulator, mentor: SimMember, stored: list[int]) -> list[int]:
    """How many of the crowd were stored at the moment each DM to `mentor` reached Discord."""
    channel = str(sim.dm_channel(mentor).id)
    seen: list[int] = []

    def on_request() -> None:
        request = sim.requests[-1]
        if request.route == SEND and request.ok and request.params.get("channel_id") == channel:
            seen.append(len(stored))

    sim.request_log.on_add(on_request)
    return seen


async def until_queued(bot: SteadyBot, count: int, urgency: Urgency | None = None) -> None:
    """Let tasks just created run up to their wait for a write turn (nothing before it waits on
    I/O: a few passes of the loop)."""
    for _ in range(1_000):
        if bot.database.writers_waiting(urgency) == count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{bot.database.writers_waiting(urgency)} writers queued, not {count}")


async def check_in(bot: SteadyBot, world: World, member: SimMember, *, support: bool) -> None:
    await bot.services.checkins.submissions.submit(
        world.guild.id, member.id, mood=3, craving=2, note=None, support=support
    )


async def count_checkins(bot: SteadyBot) -> int:
    async with bot.database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)


@pytest.mark.skipif(backend_name() != "sqlite", reason="SQLite's write turns")
async def test_a_support_checkin_queued_after_a_crowd_reaches_the_mentor_before_the_crowd_is_stored(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    crowd = [world.guild.add_member(f"member{i:03d}") for i in range(CROWD)]
    stored: list[int] = []
    seen = stored_when_dm_left(sim, bob, stored)

    async def ordinary(member: SimMember) -> None:
        await check_in(bot, world, member, support=False)
        stored.append(member.id)

    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_turn() -> None:
        async with bot.database.transaction():
            holding.set()
            await release.wait()

    with bot.realtime.woken_on_commit(bot.clock.now):
        holder = asyncio.create_task(hold_the_turn())
        await holding.wait()
        # The whole crowd queues first, then the member who asks for support.
        waiting = [asyncio.create_task(ordinary(member)) for member in crowd]
        await until_queued(bot, CROWD)
        asking = asyncio.create_task(check_in(bot, world, alice, support=True))
        await until_queued(bot, 1, Urgency.REQUEST)
        release.set()
        await sim.wait_until(lambda: seen, within=60)
        await asyncio.gather(holder, asking, *waiting)
        await bot.realtime.settled()

    assert seen[0] < CROWD // 2  # it did not wait for the crowd (first come first served would)
    assert len(sim.dms(bob)) == 1
    assert await count_checkins(bot) == CROWD + 1  # and the crowd was not starved: all stored


@pytest.mark.skipif(backend_name() != "postgresql", reason="PostgreSQL's connection pool")
async def test_a_support_checkin_reaches_the_mentor_while_every_ordinary_connection_is_taken(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    """Every connection of the main pool is held, and a crowd waits for one: the support
    check-in is stored, its DM claimed, sent and recorded with the urgent pool meanwhile. (The
    ordinary gate lets only a few of this process's own transactions hold connections at once;
    the holders here go around it, as other work on the pool might.)"""
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    crowd = [world.guild.add_member(f"member{i:03d}") for i in range(20)]
    stored: list[int] = []
    seen = stored_when_dm_left(sim, bob, stored)
    connections = POOL_SIZE + POOL_OVERFLOW
    held: list[int] = []
    all_held, release = asyncio.Event(), asyncio.Event()

    async def hold_a_connection(index: int) -> None:
        async with bot.database.transaction(gated=False) as session:
            await session.execute(text("SELECT 1"))  # the connection is checked out now
            held.append(index)
            if len(held) == connections:
                all_held.set()
            await release.wait()

    async def ordinary(member: SimMember) -> None:
        await check_in(bot, world, member, support=False)
        stored.append(member.id)

    with bot.realtime.woken_on_commit(bot.clock.now):
        holders = [asyncio.create_task(hold_a_connection(i)) for i in range(connections)]
        await asyncio.wait_for(all_held.wait(), timeout=30)
        waiting = [asyncio.create_task(ordinary(member)) for member in crowd]
        asking = asyncio.create_task(check_in(bot, world, alice, support=True))
        try:
            await sim.wait_until(lambda: seen, within=20)
        finally:
            release.set()
        await asyncio.gather(asking, *holders, *waiting)
        await bot.realtime.settled()

    assert seen == [0]  # nothing of the crowd could be stored before the DM left
    assert await count_checkins(bot) == len(crowd) + 1


async def test_interaction_replies_take_none_of_the_outboxs_request_slots(
    world: World, bot: SteadyBot
) -> None:
    """Discord does not count interaction responses and follow-ups against the bot's global
    limit (developers/topics/rate-limits.md), so the pacer that keeps the outbox under it must
    not spend its slots on them: a crowd's replies never slow an alert's DM."""
    sim = world.sim
    before = bot.dispatcher.pacer.requests
    for member in (world.alice, world.bob, world.dana):
        reply = await sim.slash(member, "checkin", mood=3, craving=2)  # deferral + follow-up
        assert "recorded mood **3**" in reply.content
    calls = [r for r in sim.requests if "/interactions/" in r.path or "/webhooks/" in r.path]
    assert len(calls) >= 6
    assert all(r.ok for r in calls)
    assert bot.dispatcher.pacer.requests == before
