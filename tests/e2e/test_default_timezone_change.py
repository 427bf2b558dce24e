"""Changing `default_timezone` while the bot is stopped re-plans the celebrations of members
counted in it, at the next start, keeping a milestone that falls today."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import URL

from bot.simulator import Simulator
from tests.e2e.conftest import START, World, url_text


async def _advance_to(sim: Simulator, instant: datetime) -> None:
    assert sim.clock is not None
    await sim.advance(seconds=(instant - sim.clock.now()).total_seconds())


async def test_a_new_default_zone_moves_pending_celebrations(
    world: World, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    url = url_text(database_url)
    async with sim.run_bot(url, START):
        await sim.slash(alice, "sobriety set", date="2026-02-23")  # day 7 on 2 March
        await sim.slash(bob, "timezone set", zone="Europe/London")  # his own zone: unaffected
        await sim.slash(bob, "sobriety set", date="2026-02-23")
    async with sim.run_bot(url, default_timezone="Asia/Tokyo"):
        # 09:00 in Tokyo on 2 March is midnight UTC; the old plan said 09:00 UTC.
        await _advance_to(sim, datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
        assert len(sim.dms(alice)) == 1
        assert sim.dms(bob) == []
        await _advance_to(sim, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        assert len(sim.dms(alice)) == 1  # once
        assert len(sim.dms(bob)) == 1


async def test_a_milestone_today_is_kept_when_its_new_hour_has_passed(
    world: World, database_url: URL
) -> None:
    sim, alice = world.sim, world.alice
    url = url_text(database_url)
    async with sim.run_bot(url, START):
        await sim.slash(alice, "sobriety set", date="2026-02-23")
    # Restarted at 03:00 UTC on 2 March: 12:00 in Tokyo, past the celebration hour there, while
    # the old plan (09:00 UTC) is still ahead.
    async with sim.run_bot(
        url, datetime(2026, 3, 2, 3, 0, tzinfo=UTC), default_timezone="Asia/Tokyo"
    ):
        await sim.advance(minutes=1)
        texts = [str(m.embeds[0].get("title")) for m in sim.dms(alice)]
        assert texts == ["🎉 7 days"]
        await _advance_to(sim, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        assert len(sim.dms(alice)) == 1
