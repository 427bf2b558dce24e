"""Scheduled prompts at each member's own evening, silence noticed gently, history, sharing,
notes at rest, and a restart in the middle of an escalation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db import Database
from bot.db.models import AccessLogEntry
from bot.simulator import SimMember, Simulator
from tests.databases import backend_name
from tests.e2e.checkins_helpers import latest, pair, posts, set_up_alerts
from tests.e2e.conftest import START, World, url_text


async def _advance_to(sim: Simulator, instant: datetime) -> None:
    await sim.advance(seconds=(instant - sim.now()).total_seconds())


async def test_a_prompt_arrives_at_20_00_local_in_three_zones_and_opens_the_form(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    zones: dict[SimMember, str] = {
        world.bob: "Europe/London",  # 20:00 UTC on 1 March
        world.alice: "America/New_York",  # 01:00 UTC on 2 March (EST)
        world.dana: "Asia/Tokyo",  # 11:00 UTC on 2 March (20:00 on 1 March had passed)
    }
    for member, zone in zones.items():
        await sim.slash(member, "timezone set", zone=zone)
        reply = await sim.slash(member, "checkins schedule", time="20:00")
        assert "at **20:00**" in reply.content
    await _advance_to(sim, datetime(2026, 3, 1, 19, 59, tzinfo=UTC))
    assert [sim.dms(m) for m in zones] == [[], [], []]
    await _advance_to(sim, datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    assert len(sim.dms(world.bob)) == 1
    await _advance_to(sim, datetime(2026, 3, 2, 0, 59, tzinfo=UTC))
    assert sim.dms(world.alice) == []
    await _advance_to(sim, datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert len(sim.dms(world.alice)) == 1
    await _advance_to(sim, datetime(2026, 3, 2, 10, 59, tzinfo=UTC))
    assert sim.dms(world.dana) == []
    await _advance_to(sim, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    prompt = latest(sim.dms(world.dana))
    form = await sim.click(world.dana, prompt, label="Check in")
    assert form.modal is not None
    assert form.modal["title"] == "Daily check-in"
    done = await sim.submit_modal(world.dana, form, {"mood": "4", "craving": "1"})
    assert "mood **4** (good)" in done.content


async def test_three_missed_prompts_send_the_mentor_one_gentle_nudge(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkins schedule", time="20:00")
    await sim.advance(days=3, hours=8, minutes=1)  # prompts on 1, 2, 3 and 4 March
    assert len(sim.dms(alice)) == 4
    [nudge] = sim.dms(bob)
    assert "hasn't checked in for three prompts in a row" in nudge.content
    await sim.advance(days=4)
    assert len(sim.dms(bob)) == 1  # once per spell of silence


async def test_pause_and_bad_schedule_options(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    assert "HH:MM" in (await sim.slash(alice, "checkins schedule", time="8pm")).content
    bad_days = await sim.slash(alice, "checkins schedule", time="20:00", days="funday")
    assert bad_days.ephemeral
    assert "reminder" not in bad_days.content
    await sim.slash(alice, "checkins schedule", time="20:00", days="weekdays")
    past = await sim.slash(alice, "checkins pause", until="2026-02-01")
    assert "already passed" in past.content
    far = await sim.slash(alice, "checkins pause", until="2028-01-01")
    assert "up to a year" in far.content
    paused = await sim.slash(alice, "checkins pause", until="2026-03-03")
    assert "paused through 2026-03-03" in paused.content
    await sim.advance(days=3)  # Sun 1, Mon 2, Tue 3 March: none sent
    assert sim.dms(alice) == []
    await sim.advance(hours=9)  # Wednesday 4 March, 20:00
    assert len(sim.dms(alice)) == 1
    off = await sim.slash(alice, "checkins off")
    assert "off" in off.content
    await sim.advance(days=3)
    assert len(sim.dms(alice)) == 1


async def test_history_is_a_png_chart_with_averages(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    for mood, craving in ((2, 6), (3, 4), (4, 2)):
        await sim.slash(alice, "checkin", mood=mood, craving=craving)
        await sim.advance(days=1)
    reply = await sim.slash(alice, "checkins history", days=7)
    assert reply.ephemeral
    assert "3 check-ins, average mood **3.0**, average craving **4.0**" in reply.content
    [chart] = reply.files
    assert chart.filename == "checkins.png"
    assert chart.dimensions == (800, 400)
    short = await sim.slash(alice, "checkins history", days=3)
    assert "7 to 90 days" in short.content


async def test_a_mentor_sees_only_what_the_mentee_shares_and_each_read_is_logged(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, note="quiet evening")
    refused = await sim.slash(bob, "checkins mentee", member=alice)
    assert "haven't chosen to share" in refused.content
    await sim.slash(alice, "checkins sharing", mentor="scores")
    shared = await sim.slash(bob, "checkins mentee", member=alice)
    assert shared.ephemeral
    assert "mood 3, craving 2" in shared.content
    assert "quiet evening" not in shared.content
    stranger = await sim.slash(world.dana, "checkins mentee", member=alice)
    assert "members you mentor or sponsor" in stranger.content
    database = Database.connect(database_url)
    try:
        async with database.read() as session:
            reads = (await session.scalars(select(AccessLogEntry))).all()
    finally:
        await database.dispose()
    assert [(r.owner_id, r.viewer_id, r.what) for r in reads] == [
        (alice.id, bob.id, "checkins.shared")
    ]


@pytest.mark.skipif(backend_name() != "sqlite", reason="reads the SQLite database file")
async def test_the_database_file_holds_no_note_in_plain_text(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim = world.sim
    # Alice's mentor is shown her notes: the alert DM holds one, and the outbox keeps it.
    await pair(database_url, world, world.alice, world.mo)
    await sim.slash(world.alice, "checkins sharing", mentor="scores-and-notes")
    await sim.slash(
        world.alice, "checkin", mood=3, craving=2, note="unmistakable words here", support=True
    )
    await sim.slash(world.bob, "sos", note="another private sentence")
    # Dana's request is offered to Bob at once: the offer DM shows its note.
    await sim.slash(world.bob, "mentor apply", kind="mentor")
    await sim.slash(world.mo, "mentors approve", member=world.bob)
    await sim.slash(world.dana, "mentor request", note="a request in my own words")
    await sim.advance(seconds=5)
    assert any("unmistakable words here" in m.content for m in sim.dms(world.mo))
    assert any("in my own words" in m.content for m in sim.dms(world.bob))
    assert database_url.database is not None
    files = list(Path(database_url.database).parent.glob(Path(database_url.database).name + "*"))
    contents = b"".join(path.read_bytes() for path in files)
    assert b"unmistakable" not in contents
    assert b"private sentence" not in contents
    assert b"in my own words" not in contents


async def test_a_restart_mid_chain_neither_loses_nor_repeats_a_step(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    async with sim.run_bot(database_url=url, now=START):
        alerts = await set_up_alerts(world)
        await pair(database_url, world, world.alice, world.bob)
        await sim.slash(world.alice, "checkin", mood=3, craving=2, support=True)
        await sim.advance(minutes=5)
    await sim.advance(minutes=20)  # the bot is down when step 1 comes due
    async with sim.run_bot(database_url=url):
        await sim.advance(seconds=5)
        assert len(posts(sim, alerts.channel)) == 1
        await sim.advance(minutes=10)
        assert len(posts(sim, alerts.channel)) == 2
        await sim.advance(hours=2)
        assert len(posts(sim, alerts.channel)) == 2
    assert len(sim.dms(world.bob)) == 1
