"""Attendance: voice presence of at least 10 minutes counts, a self-report DM for in-person
groups, each member's figures private to them and moderators, and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.app import SteadyBot
from bot.db.models import AccessLogEntry
from bot.simulator import Simulator
from tests.e2e.conftest import World
from tests.e2e.meeting_steps import settle

TODAY_18 = datetime(2026, 3, 1, 18, tzinfo=UTC)  # 18:00 in London (GMT)


async def test_voice_presence_of_ten_minutes_counts_and_three_does_not(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    room = world.guild.add_voice_channel("Group room")
    await sim.slash(
        world.mo,
        "meeting create",
        title="Voice group",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        voice=room,
    )
    await sim.advance()
    [event] = [e for e in world.guild.scheduled_events if not e.deleted]
    assert (event.channel_id, event.entity_type) == (room.id, 2)

    await sim.advance(hours=6, minutes=5)  # 18:05
    sim.join_voice(world.alice, room)
    sim.join_voice(world.bob, room)
    await settle(sim, bot, world.mo)
    await sim.advance(minutes=3)
    sim.leave_voice(world.bob)  # 3 minutes: not counted
    await settle(sim, bot, world.mo)
    await sim.advance(minutes=7)
    sim.set_voice(world.alice, self_mute=True)  # muting is still being there
    await settle(sim, bot, world.mo)
    await sim.advance(minutes=5)
    sim.leave_voice(world.alice)  # 15 minutes
    await settle(sim, bot, world.mo)
    await sim.advance(hours=1)  # the session has ended and been counted

    alice = await sim.slash(world.alice, "meeting attendance")
    assert alice.ephemeral
    assert "You attended 1 group in the last 30 days" in alice.content
    assert "Weeks in a row with at least one group: 1 week" in alice.content
    bob = await sim.slash(world.bob, "meeting attendance")
    assert "You attended 0 groups" in bob.content


async def test_members_who_said_going_are_asked_afterwards_in_person(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await sim.slash(
        world.mo,
        "meeting create",
        title="Clinic group",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        location="Clinic, room 3",
        channel=world.general,
        reminders="1h",
    )
    await sim.advance(hours=5)  # 17:00: the reminder
    [post] = [m for m in sim.messages(world.general) if m.components]
    await sim.click(world.alice, post, label="Going")
    await sim.click(world.bob, post, label="Can't make it")
    await sim.advance(hours=2)  # 19:00: it has ended
    [ask] = sim.dms(world.alice)
    assert "Were you able to make it?" in ask.text()
    assert sim.dms(world.bob) == []  # only those who said Going are asked
    thanks = await sim.click(world.alice, ask, label="I was there")
    assert "Noted" in thanks.content
    mine = await sim.slash(world.alice, "meeting attendance")
    assert "You attended 1 group" in mine.content


async def test_attendance_is_private_to_the_member_and_moderators(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    refused = await sim.slash(world.bob, "meeting attendance", member=world.alice)
    assert refused.ephemeral
    assert "private" in refused.content
    seen = await sim.slash(world.mo, "meeting attendance", member=world.alice)
    assert f"<@{world.alice.id}> attended 0 groups" in seen.content
    async with bot.database.read() as session:
        log = (await session.scalars(select(AccessLogEntry))).all()
    assert [(e.owner_id, e.viewer_id, e.what) for e in log] == [
        (world.alice.id, world.mo.id, "meetings.attendance")
    ]


async def test_moderators_export_attendance_as_csv(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    room = world.guild.add_voice_channel("Group room")
    await sim.slash(
        world.mo,
        "meeting create",
        title="Voice group",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        voice=room,
    )
    await sim.advance(hours=6)
    sim.join_voice(world.alice, room)
    await settle(sim, bot, world.mo)
    await sim.advance(minutes=20)
    sim.leave_voice(world.alice)
    await settle(sim, bot, world.mo)
    await sim.advance(hours=1)

    refused = await sim.slash(world.alice, "meeting attendance-export", meeting="Voice group")
    assert "for moderators" in refused.content
    dates: dict[str, Any] = {"from": "2026-03-01", "to": "2026-03-01"}  # `from` is a keyword
    reply = await sim.slash(
        world.mo,
        "meeting attendance-export",
        meeting="Voice group",
        **dates,
    )
    [file] = reply.files
    assert file.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(file.data.decode())))
    assert [(r["date"], r["user_id"], r["attended"], r["how"], r["minutes"]) for r in rows] == [
        ("2026-03-01", str(world.alice.id), "yes", "voice", "20")
    ]
    assert rows[0]["start_utc"] == TODAY_18.isoformat()
    by_meeting = await sim.slash(world.mo, "meeting attendance", meeting="Voice group")
    assert ": 1" in by_meeting.content  # one member at that session, no names
