"""Two real bot processes on one PostgreSQL database, one simulator: Discord's global budget is
shared between them (bot/delivery/pacing.py), so together they stay under 50 requests/s."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.engine import URL

from bot import runtime
from bot.config import Settings
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.simulator import Simulator
from bot.simulator.processes import bot_processes
from tests.databases import backend_name
from tests.e2e.conftest import World, url_text
from tests.e2e.test_delivery import OPEN_DM, SEND

pytestmark = pytest.mark.skipif(
    backend_name() != "postgresql", reason="several processes need PostgreSQL"
)

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

    async with bot_processes(sim, url, 2) as codes:
        await sim.wait_until(lambda: all(sim.dms(m) for m in members), within=120)

    assert codes == [0, 0]
    got = Counter(len(sim.dms(m)) for m in members)
    assert got == {1: MEMBERS}  # none lost, none twice
    ours = [r for r in sim.requests if r.route in (SEND, OPEN_DM)]
    assert [r for r in ours if r.status == 429] == []  # together under Discord's limit
    assert len([r for r in ours if r.ok]) == 2 * MEMBERS
