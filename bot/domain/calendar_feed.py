"""The .ics a member adds to a phone calendar: each meeting as one recurring VEVENT.

Each event carries DTSTART in the meeting's own zone (TZID, with a VTIMEZONE so the file stands
on its own), an RRULE for the weekdays, UNTIL for the end date and one EXDATE per cancelled
occurrence. RFC 5545 reads a local time in a DST gap with the offset from before the gap, and an
ambiguous one as the first, exactly as Steady does (bot/domain/local_time.py), so the phone's
calendar and Steady's reminders agree on every date.

Pure: the caller passes the meetings and the stamp (now); the result is the file's bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from bot.domain.local_time import local_to_utc
from bot.domain.meetings import Recurrence

PRODUCT_ID = "-//Steady//Meetings//EN"
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How far ahead the VTIMEZONE spells out DST changes for meetings without an end date.
_TIMEZONE_HORIZON = timedelta(days=10 * 366)


@dataclass(frozen=True, slots=True)
class FeedMeeting:
    uid: str  # stable across downloads, so a re-import updates instead of duplicating
    title: str
    recurrence: Recurrence
    duration: timedelta
    description: str | None = None
    location: str | None = None


def first_day(recurrence: Recurrence) -> date | None:
    """The first date on or after `starts` on one of the weekdays, cancelled or not
    (RFC 5545 wants DTSTART to be the first instance; a cancelled one is an EXDATE)."""
    for offset in range(7):
        day = recurrence.starts + timedelta(days=offset)
        if recurrence.ends is not None and day > recurrence.ends:
            return None
        if day.weekday() in recurrence.weekdays:
            return day
    raise AssertionError("unreachable: a week holds every weekday")  # pragma: no cover


def _event(meeting: FeedMeeting, *, stamp: datetime) -> Event | None:
    rule = meeting.recurrence
    start_day = first_day(rule)
    if start_day is None:
        return None
    local_at = rule.at.replace(tzinfo=None, fold=0)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", stamp)
    event.add("summary", meeting.title)
    event.add("dtstart", datetime.combine(start_day, local_at, tzinfo=rule.zone))
    event.add("duration", meeting.duration)
    recur: dict[str, object] = {
        "freq": "weekly",
        "wkst": "MO",
        "byday": [_BYDAY[day] for day in sorted(rule.weekdays)],
    }
    if rule.ends is not None:
        # With a zoned DTSTART, UNTIL must be in UTC: the instant of the last day's occurrence.
        recur["until"] = local_to_utc(rule.ends, rule.at, rule.zone)
    event.add("rrule", recur)
    cancelled = sorted(
        day
        for day in rule.cancelled
        if day >= start_day
        and day.weekday() in rule.weekdays
        and (rule.ends is None or day <= rule.ends)
    )
    if cancelled:
        event.add(
            "exdate", [datetime.combine(day, local_at, tzinfo=rule.zone) for day in cancelled]
        )
    if meeting.description:
        event.add("description", meeting.description)
    if meeting.location:
        event.add("location", meeting.location)
    return event


def build_calendar(
    meetings: Sequence[FeedMeeting], *, stamp: datetime, name: str = "Steady meetings"
) -> bytes:
    """An RFC 5545 calendar holding every meeting that has at least one occurrence."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    events = [event for meeting in meetings if (event := _event(meeting, stamp=stamp))]
    for event in events:
        calendar.add_component(event)
    if meetings:
        first = min(meeting.recurrence.starts for meeting in meetings) - timedelta(days=1)
        ends = [meeting.recurrence.ends for meeting in meetings if meeting.recurrence.ends]
        last = max([stamp.date() + _TIMEZONE_HORIZON, *ends]) + timedelta(days=1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    ical: bytes = calendar.to_ical()
    return ical
