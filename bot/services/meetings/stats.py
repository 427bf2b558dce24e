"""Meetings' figures for /stats: sessions held, attendances, and how many of the members who
said Going were there.

A session was *held* when its meeting's schedule had it in the window, it was not cancelled,
it had ended by now, and the meeting existed then (created before it, not deleted before
it). Sessions are computed from each meeting's current schedule: a meeting whose days were
changed is counted as if it had always run on the new ones.

The attendance rate is attended / expected, where *expected* is the members who said Going
(the reminder buttons or Discord's Interested) to a held session, and *attended* those of them
recorded there (present in voice long enough, or saying afterwards they went). Members who came
without saying Going count as attendances but not in the rate, which would otherwise go over
100%.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import Meeting, MeetingAttendance, MeetingCancellation, MeetingRsvp
from bot.domain import meetings as rule
from bot.services.meetings import messages
from bot.services.meetings.rules import duration_of, recurrence_of
from bot.services.privacy.stats import Figure

SECTION = "Meetings"


async def held_sessions(
    session: AsyncSession, guild_id: int, since: datetime, now: datetime
) -> set[tuple[int, datetime]]:
    """(meeting id, start) of every session held in the server from `since` to `now`."""
    meetings = (
        await session.scalars(
            select(Meeting).where(
                Meeting.guild_id == guild_id,
                Meeting.created_at < now,
                (Meeting.deleted_at.is_(None)) | (Meeting.deleted_at > since),
            )
        )
    ).all()
    cancelled: dict[int, set[date]] = {}
    if meetings:
        rows = await session.execute(
            select(MeetingCancellation.meeting_id, MeetingCancellation.day).where(
                MeetingCancellation.meeting_id.in_([m.id for m in meetings])
            )
        )
        for meeting_id, day in rows.all():
            cancelled.setdefault(meeting_id, set()).add(day)
    held: set[tuple[int, datetime]] = set()
    for meeting in meetings:
        recurrence = recurrence_of(meeting, frozenset(cancelled.get(meeting.id, ())))
        duration = duration_of(meeting)
        for start in rule.occurrences_between(recurrence, max(since, meeting.created_at), now):
            ended = start + duration <= now
            existed = meeting.deleted_at is None or start < meeting.deleted_at
            if ended and existed:
                held.add((meeting.id, start))
    return held


async def meeting_figures(
    session: AsyncSession, guild_id: int, since: datetime, now: datetime
) -> list[Figure]:
    held = await held_sessions(session, guild_id, since, now)
    going = (
        await session.execute(
            select(MeetingRsvp.meeting_id, MeetingRsvp.occurrence, MeetingRsvp.user_id).where(
                MeetingRsvp.guild_id == guild_id,
                MeetingRsvp.occurrence >= since,
                MeetingRsvp.answer == messages.GOING,
            )
        )
    ).all()
    present = (
        await session.execute(
            select(
                MeetingAttendance.meeting_id,
                MeetingAttendance.occurrence,
                MeetingAttendance.user_id,
            ).where(
                MeetingAttendance.guild_id == guild_id,
                MeetingAttendance.occurrence >= since,
                MeetingAttendance.attended.is_(True),
            )
        )
    ).all()
    expected = {tuple(row) for row in going if (row[0], row[1]) in held}
    attended = {tuple(row) for row in present if (row[0], row[1]) in held}
    came_as_said = len(expected & attended)
    return [
        Figure(SECTION, "sessions held", count=len(held)),
        Figure(SECTION, "attendances", count=len(attended)),
        Figure(
            SECTION,
            "attendance rate (of members who said Going)",
            share=came_as_said / len(expected) if expected else None,
            basis=len(expected),
        ),
    ]
