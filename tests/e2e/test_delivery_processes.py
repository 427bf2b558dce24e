"""Two real bot processes on one PostgreSQL database, one simulator: Discord's global budget is
shared between them (bot/delivery/pacing.py), so together they stay under 50 requests/s."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter

import pytest
from sqlalchemy.engine import URL

from bot import runtime
from bot.config import Settings
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.simulator import Simulator
from tests.databases import backend_name
from tests.e2e.conftest import World, url_text
from tests.e2e.test_delivery import OPEN_DM, SEND

pytestmark = pytest.mark.skipif(
    backend_name() != "postgresql", reason="several processes need PostgreSQL"
)

# A real `run` with the real clock and wake-ups; only the endpoints point at the simulator.
RUN = """
import asyncio, sys
from bot import runtime
from bot.clock import SystemClock
from bot.config import Settings
from bot.simulator.harness import discord_endpoints

async def main(url, api, gateway, token):
    settings = Settings(database_url=url, discord_token=token)
    with discord_endpoints(api, gateway):
        database = await runtime.open_database(settings)
        bot = runtime.create_bot(settings, database, SystemClock(), guild_ready_timeout=0.05)
        await runtime.run_until_stopped(bot, token)

asyncio.run(main(*sys.argv[1:]))
"""

MEMBERS = 300  # 600 requests: 12 s at the global floor, long enough for both to overlap


async def test_two_processes_share_the_global_budget_and_deliver_each_dm_once(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    members = [world.guild.add_member(f"member{i:03d}") for i in range(MEMBERS)]
    database = await runtime.open_database(Settings(database_url=url))
    try:
        async with database.transaction() as session:
            for member in members:
                await enqueue(
                    session,
                    target=Target("dm", member.id),
                    message=OutgoingMessage(content="Your group starts in an hour."),
                    purpose="test.wave",
                    guild_id=world.guild.id,
                )
    finally:
        await database.dispose()

    arguments = [url, sim.api_base, sim.gateway_url, sim.token]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, *arguments, stderr=asyncio.subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        await sim.wait_until(lambda: all(sim.dms(m) for m in members), within=120)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(p.wait(), 60) for p in processes]

    assert codes == [0, 0]
    got = Counter(len(sim.dms(m)) for m in members)
    assert got == {1: MEMBERS}  # none lost, none twice
    ours = [r for r in sim.requests if r.route in (SEND, OPEN_DM)]
    assert [r for r in ours if r.status == 429] == []  # together under Discord's limit
    assert len([r for r in ours if r.ok]) == 2 * MEMBERS
