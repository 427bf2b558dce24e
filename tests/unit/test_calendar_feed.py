"""The .ics feed read back with icalendar: the rule, its zone, its end and its cancellations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar, Event

from bot.domain import meetings as mt
from bot.domain.calendar_feed import FeedMeeting, build_calendar, first_day
from bot.domain.meetings import Recurrence

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 12, 1, 12, tzinfo=UTC)

GROUP = FeedMeeting(
    uid="meeting-7@steady",
    title="Evening IOP group",
    recurrence=Recurrence(
        frozenset({0, 2}),  # Monday and Wednesday
        time(19),
        NEW_YORK,
        starts=date(2027, 2, 24),  # a Wednesday, before the March DST change
        ends=date(2027, 4, 28),
        cancelled=frozenset({date(2027, 3, 15), date(2027, 3, 16)}),  # the 16th isn't a meeting
    ),
    duration=timedelta(minutes=90),
    description="Bring your workbook",
    location="Room 4",
)
PEER = FeedMeeting(
    uid="meeting-8@steady",
    title="Saturday peer meeting",
    recurrence=Recurrence(frozenset({5}), time(1, 30), LONDON, starts=date(2026, 10, 3)),
    duration=timedelta(minutes=60),
)


def _events(ics: bytes) -> dict[str, Event]:
    return {event.uid: event for event in Calendar.from_ical(ics).events}


def _expand(event: Event, count: int) -> list[datetime]:
    """What a phone calendar would do: expand RRULE from DTSTART, minus the EXDATEs."""
    rules = rruleset()
    for rule in event.rrules:
        rules.rrule(rrulestr(rule.to_ical().decode(), dtstart=event.start))  # type: ignore[arg-type]
    for when in event.exdates:
        assert isinstance(when, datetime)
        rules.exdate(when)
    found: list[datetime] = []
    for local in rules:
        found.append(local.astimezone(UTC))
        if len(found) == count:
            break
    return found


def test_the_feed_parses_back_with_zone_rule_end_and_cancellations() -> None:
    ics = build_calendar([GROUP, PEER], stamp=STAMP)
    calendar = Calendar.from_ical(ics)
    assert calendar.prodid.startswith("-//Steady//")
    assert {tz.tz_name for tz in calendar.timezones} == {"America/New_York", "Europe/London"}
    event = _events(ics)["meeting-7@steady"]
    assert event.summary == "Evening IOP group"
    assert event.location == "Room 4"
    assert event.description == "Bring your workbook"
    assert b"DTSTART;TZID=America/New_York:20270224T190000" in ics
    assert event.start == datetime(2027, 2, 24, 19, tzinfo=NEW_YORK)
    assert event.duration == timedelta(minutes=90)
    (rule,) = event.rrules
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["BYDAY"] == ["MO", "WE"]
    assert rule["UNTIL"] == [datetime(2027, 4, 28, 23, tzinfo=UTC)]  # 19:00 EDT
    assert b"EXDATE;TZID=America/New_York:20270315T190000" in ics
    assert event.exdates == [datetime(2027, 3, 15, 19, tzinfo=NEW_YORK)], "only real dates"


def test_a_phone_expanding_the_feed_gets_steadys_occurrences() -> None:
    events = _events(build_calendar([GROUP, PEER], stamp=STAMP))
    for meeting in (GROUP, PEER):
        ours = mt.occurrences_after(meeting.recurrence, STAMP - timedelta(days=400), 30)
        assert _expand(events[meeting.uid], 30) == ours


def test_an_ambiguous_start_is_the_first_of_the_two_in_the_feed_too() -> None:
    # 2026-10-25 is a Sunday in London's fall-back; Saturdays never hit it, a Sunday does.
    sunday = FeedMeeting(
        "meeting-9@steady",
        "Night owls",
        Recurrence(frozenset({6}), time(1, 30), LONDON, starts=date(2026, 10, 25)),
        timedelta(minutes=30),
    )
    event = _events(build_calendar([sunday], stamp=STAMP))["meeting-9@steady"]
    assert _expand(event, 1) == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
    assert mt.next_occurrence(sunday.recurrence, STAMP - timedelta(days=60)) == _expand(event, 1)[0]


def test_a_meeting_that_never_happens_is_left_out() -> None:
    never = FeedMeeting(
        "meeting-10@steady",
        "Empty",
        Recurrence(
            frozenset({0}), time(10), LONDON, starts=date(2026, 12, 2), ends=date(2026, 12, 5)
        ),
        timedelta(minutes=60),
    )
    assert first_day(never.recurrence) is None
    assert _events(build_calendar([never, PEER], stamp=STAMP)).keys() == {"meeting-8@steady"}


def test_an_empty_feed_is_still_a_calendar() -> None:
    assert Calendar.from_ical(build_calendar([], stamp=STAMP)).events == []
