"""Planning many meetings at once (start-up, the daily rebuild) writes exactly the work that
planning them one by one writes, and the rebuild re-creates a meeting's lost work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import DueWork, Meeting
from bot.scheduling import locks
from bot.services.container import build_services
from bot.services.meetings import MeetingOptions, planning
from bot.services.privacy.registry import FORMER_MEMBER, MemberRef

GUILD, MO, ALICE, BOB = 10, 20, 21, 22
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def pending(database: Database) -> list[tuple[Any, ...]]:
    async with database.read() as session:
        found = await session.execute(
            select(DueWork.kind, DueWork.subject_id, DueWork.key, DueWork.due_at, DueWork.payload)
            .where(DueWork.state == "pending", DueWork.kind.startswith("meeting."))
            .order_by(DueWork.subject_id, DueWork.kind, DueWork.key)
        )
        return [tuple(row) for row in found.all()]


async def test_planning_in_bulk_matches_planning_one_by_one(database: Database) -> None:
    services = build_services(database, ManualClock(NOW), Settings())
    meetings = services.meetings
    for title, days, at, reminders in [
        ("Morning group", "weekdays", "08:30", "24h,1h"),
        ("Evening group", "daily", "18:00", "10m"),
        ("Weekend group", "sat,sun", "11:00", "2h"),
    ]:
        await meetings.create(
            GUILD,
            MO,
            MeetingOptions(
                title=title,
                weekdays=days,
                time=at,
                timezone="Europe/London",
                location="Hall",
                reminders=reminders,
                channel_id=99,
            ),
        )
    await meetings.subscribe(GUILD, ALICE, "Evening group", "30m")
    await meetings.subscribe(GUILD, BOB, "Evening group", "2h,30m")
    await meetings.cancel(GUILD, MO, "Evening group", "2026-03-01", None)
    one_by_one = await pending(database)
    # Morning: the 1h reminder (24h before has passed) and the end; Evening (today cancelled):
    # its 10m post, DMs at 30m and 2h, and the end; Weekend: 2h and the end.
    assert len(one_by_one) == 2 + 4 + 2

    async with database.transaction() as session:
        await session.execute(delete(DueWork).where(DueWork.kind.startswith("meeting.")))
    assert await pending(database) == []
    async with database.transaction() as session:
        ids = list((await session.scalars(select(Meeting.id))).all())
        await planning.plan_many(session, await planning.lock_many(session, ids), NOW)
    assert await pending(database) == one_by_one


async def test_the_rebuild_replans_a_meeting_whose_work_was_lost(database: Database) -> None:
    services = build_services(database, ManualClock(NOW), Settings())
    await services.meetings.create(
        GUILD,
        MO,
        MeetingOptions(
            title="Evening group",
            weekdays="daily",
            time="18:00",
            timezone="Europe/London",
            location="Hall",
            channel_id=99,
        ),
    )
    planned = await pending(database)
    async with database.transaction() as session:
        await session.execute(delete(DueWork).where(DueWork.kind == planning.END_KIND))
    assert await services.meetings.rebuild(NOW) == {GUILD: 1}
    assert await pending(database) == planned
    assert await services.meetings.rebuild(NOW) == {}  # nothing missing any more
    async with database.read() as session:
        meeting = await locks.lock_row(session, Meeting, planned[0][1])
        assert meeting is not None
        assert meeting.planned_start == datetime(2026, 3, 1, 18, tzinfo=UTC)


async def test_erasing_a_moderator_keeps_their_meetings_without_their_id(
    database: Database,
) -> None:
    services = build_services(database, ManualClock(NOW), Settings())
    await services.meetings.create(
        GUILD,
        MO,
        MeetingOptions(title="Evening group", weekdays="daily", time="18:00", location="Hall"),
    )
    async with database.transaction() as session:
        for data in services.member_data():
            await data.erase(session, MemberRef(GUILD, MO))
    async with database.read() as session:
        creators = list((await session.scalars(select(Meeting.created_by))).all())
    assert creators == [FORMER_MEMBER]  # the group still meets; nobody's id is left on it
