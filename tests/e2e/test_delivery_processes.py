"""Two real bot processes on one PostgreSQL database, one simulator: Discord's global budget is
shared between them (bot/delivery/pacing.py), so together they stay under 50 requests/s; and,
with a gateway shard each, a member's command is handled by one of them."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bot import runtime
from bot.config import Settings
from bot.db.models import Checkin
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.simulator import Simulator
from bot.simulator.errors import CommandNotAvailable
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


CALLBACK = "POST /interactions/{webhook_id}/{webhook_token}/callback"


async def test_with_a_shard_each_two_processes_handle_a_members_check_in_once(
    sim: Simulator, world: World, database_url: URL
) -> None:
    """Discord sends a server's events to every session of its shard: on one shard both
    processes would record the check-in and answer it (one of them refused). With a shard
    each (as the README says to run them), one process has the server and handles it."""
    url = url_text(database_url)
    async with bot_processes(sim, url, 2, commands_in=world.guild.id) as codes:
        await sim.wait_until(
            lambda: sum(1 for s in sim.gateway.sessions.values() if s.connection) == 2 or None,
            within=60,
        )
        await sim.wait_until(lambda: _synced(sim, world), within=60)
        before = len(sim.requests)
        result = await sim.slash(world.alice, "checkin", mood=3, craving=2)
        assert "mood" in (result.content or "").lower()
        answers = [r for r in sim.requests[before:] if r.route == CALLBACK]
    assert codes == [0, 0]
    assert [r.status for r in answers] == [200]  # one answer, nobody refused a second
    database = await runtime.open_database(Settings(database_url=url))
    try:
        async with database.read() as session:
            stored = await session.scalar(select(func.count()).select_from(Checkin))
    finally:
        await database.dispose()
    assert stored == 1


def _synced(sim: Simulator, world: World) -> bool | None:
    try:
        sim.command("checkin", world.guild)
    except CommandNotAvailable:
        return None
    return True
