"""From a meeting's row to its recurrence and occurrences; reading the create/edit options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import Meeting, MeetingCancellation
from bot.domain import meetings as rule
from bot.domain.local_time import local_date, parse_clock_time
from bot.domain.timezones import parse_timezone
from bot.domain.weekdays import format_weekdays
from bot.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class VoiceChoice:
    """The channel given as `voice`: its id and what kind of channel it is."""

    id: int
    kind: str  # "voice", "stage" or anything else (refused)


@dataclass(frozen=True, slots=True)
class MeetingOptions:
    """What a moderator typed into /meeting create or /meeting edit (None: not given)."""

    title: str | None = None
    weekdays: str | None = None
    time: str | None = None
    timezone: str | None = None
    duration: int | None = None
    starts: str | None = None
    ends: str | None = None
    channel_id: int | None = None
    voice: VoiceChoice | None = None
    location: str | None = None
    description: str | None = None
    reminders: str | None = None
    role_id: int | None = None


MAX_DESCRIPTION = 1000


def apply_options(meeting: Meeting, options: MeetingOptions, *, today: date) -> None:
    """Check every option given and write it to `meeting`; raises InvalidInput (nothing is
    written then: the caller's transaction rolls back)."""
    if options.voice is not None and options.location is not None:
        raise InvalidInput(
            "A meeting happens in a voice channel **or** at a location, not both: "
            "give `voice` or `location`."
        )
    if options.title is not None:
        meeting.title = rule.parse_title(options.title)
        meeting.title_key = meeting.title.casefold()
    if options.weekdays is not None:
        meeting.weekdays = format_weekdays(rule.parse_meeting_weekdays(options.weekdays))
    if options.time is not None:
        meeting.at = parse_clock_time(options.time)
    if options.timezone is not None:
        meeting.zone = parse_timezone(options.timezone).key
    if options.duration is not None:
        meeting.duration_minutes = int(rule.parse_duration(options.duration).total_seconds()) // 60
    if options.starts is not None:
        meeting.starts = rule.parse_meeting_date(options.starts, what="starts")
    if options.ends is not None:
        meeting.ends = rule.parse_meeting_date(options.ends, what="ends")
    rule.check_date_range(meeting.starts or today, meeting.ends)
    if options.channel_id is not None:
        meeting.channel_id = options.channel_id
    if options.voice is not None:
        if options.voice.kind not in ("voice", "stage"):
            raise InvalidInput(
                "`voice` needs a voice or stage channel, where members meet. For reminder "
                "posts, use `channel`."
            )
        meeting.voice_channel_id = options.voice.id
        meeting.voice_is_stage = options.voice.kind == "stage"
        meeting.location = None
    if options.location is not None:
        meeting.location = rule.parse_location(options.location)
        if meeting.location is not None:
            meeting.voice_channel_id = None
            meeting.voice_is_stage = False
    if options.description is not None:
        text = options.description.strip()
        if len(text) > MAX_DESCRIPTION:
            raise InvalidInput(f"Please keep the description to {MAX_DESCRIPTION} characters.")
        meeting.description = text or None
    if options.reminders is not None:
        meeting.reminders = rule.format_reminders(rule.parse_reminders(options.reminders))
    if options.role_id is not None:
        if options.role_id == meeting.guild_id:
            raise InvalidInput("Steady never pings @everyone; choose a role for this group.")
        meeting.role_id = options.role_id


async def cancelled_days(session: AsyncSession, meeting_id: int) -> frozenset[date]:
    days = await session.scalars(
        select(MeetingCancellation.day).where(MeetingCancellation.meeting_id == meeting_id)
    )
    return frozenset(days.all())


def recurrence_of(meeting: Meeting, cancelled: frozenset[date] = frozenset()) -> rule.Recurrence:
    return rule.Recurrence(
        weekdays=rule.parse_meeting_weekdays(meeting.weekdays),
        at=meeting.at,
        zone=ZoneInfo(meeting.zone),
        starts=meeting.starts,
        ends=meeting.ends,
        cancelled=cancelled,
    )


async def recurrence_in(session: AsyncSession, meeting: Meeting) -> rule.Recurrence:
    return recurrence_of(meeting, await cancelled_days(session, meeting.id))


def duration_of(meeting: Meeting) -> timedelta:
    return timedelta(minutes=meeting.duration_minutes)


@lru_cache(maxsize=1024)
def offsets_of(raw: str) -> tuple[timedelta, ...]:
    """The offsets of a stored (canonical) reminders string. Remembered: planning every
    meeting reads the same few spellings tens of thousands of times, and parsing each again
    was a tenth of the planning time."""
    return rule.parse_reminders(raw)


def current_or_next(
    recurrence: rule.Recurrence, duration: timedelta, now: datetime
) -> datetime | None:
    """The occurrence still running at `now`, else the next one: the one whose end is ahead."""
    return rule.next_occurrence(recurrence, now - duration)


def meeting_day(meeting: Meeting, occurrence: datetime) -> date:
    return local_date(occurrence, ZoneInfo(meeting.zone))
