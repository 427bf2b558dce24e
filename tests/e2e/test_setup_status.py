"""/setup status through the simulator: a moderator sees their own server's scheduled work only,
and what the daily check had to repair."""

from __future__ import annotations

from sqlalchemy import delete

from bot.app import SteadyBot
from bot.db.models import DueWork
from bot.scheduling.rebuild import rebuild_all
from bot.simulator import Simulator
from tests.e2e.conftest import World


def shown(embeds: list[dict[str, object]]) -> str:
    parts: list[str] = []
    for embed in embeds:
        for item in embed.get("fields", []):  # type: ignore[attr-defined]
            parts.append(f"{item['name']}\n{item['value']}")
    return "\n".join(parts)


async def test_status_counts_only_this_servers_work_and_shows_repairs(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    elsewhere = sim.add_guild("Another Circle")
    for name in ("zoe", "yan", "xia"):
        member = elsewhere.add_member(name)
        await sim.slash(member, "sobriety set", date="2026-01-01")
    await sim.slash(world.alice, "sobriety set", date="2026-01-01")

    status = await sim.slash(world.mo, "setup status")
    text = shown(status.embeds)
    assert "Scheduled work (this server)" in text
    assert "pending: **1** (overdue: 0)" in text  # Alice's next milestone, not the other three
    assert "re-created by the daily check, last 7 days: **0**" in text

    async with bot.database.transaction() as session:  # her planned celebration goes missing
        await session.execute(delete(DueWork).where(DueWork.guild_id == world.guild.id))
    await rebuild_all(bot.database, bot.clock, bot.work_kinds)

    text = shown((await sim.slash(world.mo, "setup status")).embeds)
    assert "pending: **1** (overdue: 0)" in text
    assert "re-created by the daily check, last 7 days: **1** (`milestone` 1)" in text
