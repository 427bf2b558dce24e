"""Attendance: voice stays in meeting channels, counting an occurrence when it ends, and the
figures and CSV a member or a moderator reads."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingRsvp,
    MeetingVoiceStay,
)
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain.meeting_attendance import Presence, time_present
from bot.services.meetings import messages
from bot.services.meetings.rules import meeting_day
from bot.services.meetings.server_settings import view_in

SELF_REPORT_PURPOSE = "meeting.self_report"
# Stays are kept a day past the occurrence they might count for, then forgotten.
KEEP_STAYS = timedelta(days=1)
OPEN_TOO_LONG = timedelta(hours=12)


async def minimum_presence(session: AsyncSession, guild_id: int) -> timedelta:
    """The server's `/setup meetings presence-minutes`, read when a session is counted."""
    return timedelta(minutes=(await view_in(session, guild_id)).presence_minutes)


async def note_voice(
    session: AsyncSession,
    *,
    guild_id: int,
    user_id: int,
    left_channel: int | None,
    joined_channel: int | None,
    at: datetime,
) -> None:
    """A member moved between voice channels: close their open stay in the channel left, and
    open one in the channel joined if it is a meeting's. Other channels are not recorded."""
    if left_channel is not None:
        await session.execute(
            update(MeetingVoiceStay)
            .where(
                MeetingVoiceStay.guild_id == guild_id,
                MeetingVoiceStay.user_id == user_id,
                MeetingVoiceStay.channel_id == left_channel,
                MeetingVoiceStay.left.is_(None),
            )
            .values(left=at)
            .execution_options(synchronize_session=False)
        )
    if joined_channel is None:
        return
    is_meeting_room = await session.scalar(
        select(Meeting.id)
        .where(
            Meeting.guild_id == guild_id,
            Meeting.voice_channel_id == joined_channel,
            Meeting.deleted_at.is_(None),
        )
        .limit(1)
    )
    if is_meeting_room is not None:
        session.add(
            MeetingVoiceStay(
                guild_id=guild_id, channel_id=joined_channel, user_id=user_id, joined=at
            )
        )


async def count_occurrence(
    session: AsyncSession, meeting: Meeting, start: datetime, now: datetime
) -> None:
    """The occurrence starting at `start` has ended: with a voice channel, record everyone
    present long enough; otherwise ask the members who said Going whether they made it."""
    end = start + timedelta(minutes=meeting.duration_minutes)
    if meeting.voice_channel_id is not None:
        await _count_voice(session, meeting, start, end, now)
        return
    going = await session.scalars(
        select(MeetingRsvp.user_id)
        .where(
            MeetingRsvp.meeting_id == meeting.id,
            MeetingRsvp.occurrence == start,
            MeetingRsvp.answer == messages.GOING,
        )
        .order_by(MeetingRsvp.user_id)
    )
    for user_id in going.all():
        await outbox.enqueue(
            session,
            target=Target("dm", user_id),
            message=messages.self_report(meeting, start),
            purpose=SELF_REPORT_PURPOSE,
            subject_id=meeting.id,
            guild_id=meeting.guild_id,
        )


async def _count_voice(
    session: AsyncSession, meeting: Meeting, start: datetime, end: datetime, now: datetime
) -> None:
    assert meeting.voice_channel_id is not None
    stays = await session.scalars(
        select(MeetingVoiceStay).where(
            MeetingVoiceStay.guild_id == meeting.guild_id,
            MeetingVoiceStay.channel_id == meeting.voice_channel_id,
            MeetingVoiceStay.joined < end,
            or_(
                MeetingVoiceStay.left > start,
                # A stay still open long before the session began lost its leave while the
                # bot was away: it counts for nothing rather than for every later session.
                and_(
                    MeetingVoiceStay.left.is_(None), MeetingVoiceStay.joined > start - OPEN_TOO_LONG
                ),
            ),
        )
    )
    by_member: dict[int, list[Presence]] = defaultdict(list)
    for stay in stays.all():
        by_member[stay.user_id].append(Presence(stay.joined, stay.left))
    minimum = await minimum_presence(session, meeting.guild_id)
    known = set(
        (
            await session.scalars(
                select(MeetingAttendance.user_id).where(
                    MeetingAttendance.meeting_id == meeting.id,
                    MeetingAttendance.occurrence == start,
                )
            )
        ).all()
    )
    day = meeting_day(meeting, start)
    for user_id in sorted(by_member):
        present = time_present(by_member[user_id], start, end)
        if present >= minimum and user_id not in known:
            session.add(
                MeetingAttendance(
                    meeting_id=meeting.id,
                    guild_id=meeting.guild_id,
                    user_id=user_id,
                    occurrence=start,
                    local_day=day,
                    attended=True,
                    how="voice",
                    minutes=int(present.total_seconds()) // 60,
                    at=now,
                )
            )
    # Stays that ended long before can count for nothing any more: forget them.
    old = await session.scalars(
        select(MeetingVoiceStay).where(
            MeetingVoiceStay.guild_id == meeting.guild_id,
            or_(
                MeetingVoiceStay.left < now - KEEP_STAYS,
                and_(
                    MeetingVoiceStay.left.is_(None),
                    MeetingVoiceStay.joined < now - KEEP_STAYS - OPEN_TOO_LONG,
                ),
            ),
        )
    )
    for stay in old.all():
        await session.delete(stay)
    await session.flush()


async def self_report(
    session: AsyncSession,
    meeting: Meeting,
    occurrence: datetime,
    user_id: int,
    attended: bool,
    now: datetime,
) -> None:
    row = await session.scalar(
        select(MeetingAttendance).where(
            MeetingAttendance.meeting_id == meeting.id,
            MeetingAttendance.occurrence == occurrence,
            MeetingAttendance.user_id == user_id,
        )
    )
    if row is None:
        session.add(
            MeetingAttendance(
                meeting_id=meeting.id,
                guild_id=meeting.guild_id,
                user_id=user_id,
                occurrence=occurrence,
                local_day=meeting_day(meeting, occurrence),
                attended=attended,
                how="self",
                at=now,
            )
        )
    else:
        row.attended, row.how, row.at = attended, "self", now
    await session.flush()


def _cell(text: str) -> str:
    """A moderator's text as a spreadsheet shows it, never as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows: Sequence[tuple[MeetingAttendance, str]]) -> bytes:
    """One line per member per occurrence: the meeting's date, the start (UTC), who, whether
    they attended, how it was known and the minutes present in voice."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["date", "start_utc", "meeting", "user_id", "attended", "how", "minutes"])
    for row, title in rows:
        writer.writerow(
            [
                row.local_day.isoformat(),
                row.occurrence.isoformat(),
                _cell(title),
                str(row.user_id),
                "yes" if row.attended else "no",
                row.how,
                "" if row.minutes is None else str(row.minutes),
            ]
        )
    return text.getvalue().encode()
