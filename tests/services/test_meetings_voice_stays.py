"""A voice stay whose leave was missed (the bot was away) does not count for later sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import Meeting, MeetingAttendance
from bot.services.container import build_services
from bot.services.meetings import MeetingOptions, VoiceChoice
from bot.services.meetings.attendance import count_occurrence

GUILD, MO, ALICE, BOB, ROOM = 10, 20, 21, 22, 30
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SESSION = datetime(2026, 3, 3, 18, tzinfo=UTC)


async def test_a_stay_left_open_days_ago_counts_for_nothing(database: Database) -> None:
    clock = ManualClock(NOW)
    services = build_services(database, clock, Settings())
    meetings = services.meetings
    await meetings.create(
        GUILD,
        MO,
        MeetingOptions(
            title="Voice group",
            weekdays="daily",
            time="18:00",
            timezone="Europe/London",
            voice=VoiceChoice(ROOM, "voice"),
        ),
    )
    await meetings.voice_changed(GUILD, ALICE, None, ROOM)  # never seen leaving
    clock.set(SESSION + timedelta(minutes=5))
    await meetings.voice_changed(GUILD, BOB, None, ROOM)  # still there at the end
    clock.set(SESSION + timedelta(hours=1))
    async with database.transaction() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None
        await count_occurrence(session, meeting, SESSION, clock.now())
    async with database.read() as session:
        attended = (await session.scalars(select(MeetingAttendance.user_id))).all()
    assert list(attended) == [BOB]
