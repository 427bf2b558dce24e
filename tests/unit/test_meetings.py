"""Meeting occurrences in their own zone, checked against a slow walk over local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import meetings as mt
from bot.domain.meetings import Recurrence
from bot.domain.weekdays import EVERY_DAY
from bot.errors import InvalidInput

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_nineteen_hundred_stays_nineteen_hundred_local_across_dst() -> None:
    for zone, change in ((NEW_YORK, date(2026, 3, 8)), (LONDON, date(2026, 3, 29))):
        rule = Recurrence(EVERY_DAY, time(19), zone, starts=change - timedelta(days=3))
        found = mt.occurrences_after(rule, _utc(2026, 1, 1, 0), 6)
        assert [o.astimezone(zone).time() for o in found] == [time(19)] * 6
        gaps = sorted(b - a for a, b in pairwise(found))
        assert gaps == [timedelta(hours=23)] + [timedelta(hours=24)] * 4, "one short night"
        before, after = found[0], found[-1]
        assert before.utcoffset() == after.utcoffset() == timedelta(0)
        assert before.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()


def test_a_spring_forward_gap_moves_forward_by_the_gap() -> None:
    rule = Recurrence(frozenset({SUN}), time(2, 30), NEW_YORK, starts=date(2026, 3, 1))
    first, gap_day, after = mt.occurrences_after(rule, _utc(2026, 3, 1, 0), 3)
    assert first.astimezone(NEW_YORK).time() == time(2, 30)
    assert gap_day == _utc(2026, 3, 8, 7, 30)
    assert gap_day.astimezone(NEW_YORK).time() == time(3, 30)
    assert after.astimezone(NEW_YORK).time() == time(2, 30)


def test_a_fall_back_fold_is_the_first_of_the_two() -> None:
    rule = Recurrence(frozenset({SUN}), time(1, 30), LONDON, starts=date(2026, 10, 25))
    assert mt.next_occurrence(rule, _utc(2026, 10, 24, 0)) == _utc(2026, 10, 25, 0, 30)
    assert mt.next_occurrence(rule, _utc(2026, 10, 25, 0, 30)) == _utc(2026, 11, 1, 1, 30)


def test_weekdays_ends_and_cancellations() -> None:
    rule = Recurrence(
        frozenset({MON, WED, FRI}),
        time(18),
        LONDON,
        starts=date(2026, 12, 1),  # a Tuesday
        ends=date(2026, 12, 11),
        cancelled=frozenset({date(2026, 12, 4)}),
    )
    found = mt.occurrences_after(rule, _utc(2026, 11, 1, 0), 10)
    assert [o.date() for o in found] == [
        date(2026, 12, 2),
        date(2026, 12, 7),
        date(2026, 12, 9),
        date(2026, 12, 11),
    ]
    assert mt.next_occurrence(rule, found[-1]) is None
    assert mt.occurrence_on(rule, date(2026, 12, 4)) is None, "cancelled"
    assert mt.occurrence_on(rule, date(2026, 12, 8)) is None, "a Tuesday"
    assert mt.occurrence_on(rule, date(2026, 12, 14)) is None, "after the end"
    assert mt.occurrence_on(rule, date(2026, 12, 9)) == _utc(2026, 12, 9, 18)


def test_the_ends_date_includes_its_own_occurrence() -> None:
    rule = Recurrence(
        EVERY_DAY, time(23, 30), NEW_YORK, starts=date(2026, 12, 1), ends=date(2026, 12, 1)
    )
    assert mt.occurrences_after(rule, _utc(2026, 11, 30, 0), 5) == [_utc(2026, 12, 2, 4, 30)]


def test_occurrences_in_a_window_include_the_start_and_not_the_end() -> None:
    rule = Recurrence(EVERY_DAY, time(12), LONDON, starts=date(2026, 12, 1))
    found = mt.occurrences_between(rule, _utc(2026, 12, 2, 12), _utc(2026, 12, 5, 12))
    assert found == [_utc(2026, 12, 2, 12), _utc(2026, 12, 3, 12), _utc(2026, 12, 4, 12)]


def test_meetings_of_one_shape_keep_their_own_zone_and_cancellations() -> None:
    # The same weekdays, time and dates in two zones, one with a cancelled session, asked in
    # turn (the wall times of one shape are computed once and shared): each keeps its own.
    days, starts = frozenset({TUE, THU}), date(2026, 12, 1)
    london = Recurrence(days, time(19), LONDON, starts, cancelled=frozenset({date(2026, 12, 3)}))
    new_york = Recurrence(days, time(19), NEW_YORK, starts)
    after = _utc(2026, 12, 1, 0)
    for _ in range(2):
        assert mt.occurrences_after(london, after, 3) == [
            _utc(2026, 12, 1, 19),
            _utc(2026, 12, 8, 19),
            _utc(2026, 12, 10, 19),
        ]
        assert mt.occurrences_after(new_york, after, 3) == [
            _utc(2026, 12, 2, 0),
            _utc(2026, 12, 4, 0),
            _utc(2026, 12, 9, 0),
        ]


def test_a_recurrence_must_make_sense() -> None:
    with pytest.raises(ValueError, match="weekday"):
        Recurrence(frozenset(), time(12), LONDON, starts=date(2026, 1, 1))
    with pytest.raises(ValueError, match="end before"):
        Recurrence(EVERY_DAY, time(12), LONDON, starts=date(2026, 1, 2), ends=date(2026, 1, 1))


def test_reminders_are_dropped_once_the_meeting_started() -> None:
    start = _utc(2026, 12, 1, 19)
    assert not mt.reminder_is_stale(start, start - timedelta(seconds=1))
    assert mt.reminder_is_stale(start, start)
    assert mt.reminder_instants(start, (timedelta(hours=1), timedelta(minutes=10))) == [
        (timedelta(hours=1), _utc(2026, 12, 1, 18)),
        (timedelta(minutes=10), _utc(2026, 12, 1, 18, 50)),
    ]


# Brute-force reference: walk every local day, and find each occurrence's instant by scanning
# UTC minutes for the wall clock, without zoneinfo's fold rules or dateutil.


def _reference(rule: Recurrence, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    day = max(rule.starts, after.astimezone(rule.zone).date() - timedelta(days=2))
    while len(found) < count and (rule.ends is None or day <= rule.ends):
        if day.weekday() in rule.weekdays and day not in rule.cancelled:
            instant = _scan(day, rule.at, rule.zone)
            if instant > after:
                found.append(instant)
        day += timedelta(days=1)
    return found


def _scan(day: date, at: time, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, at)
    probe = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=15)
    previous = probe.astimezone(zone).replace(tzinfo=None)
    for _ in range(54 * 60):
        probe += timedelta(minutes=1)
        local = probe.astimezone(zone).replace(tzinfo=None)
        if local == wall:
            return probe  # the first instant showing this wall time
        if previous < wall < local:  # the clock jumped over it: forward by the jump
            return probe + (wall - previous) - timedelta(minutes=1)
        previous = local
    raise AssertionError("no instant found")


ZONES = st.sampled_from(["America/New_York", "Europe/London"])
TRANSITIONS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25)]


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    zone = ZoneInfo(draw(ZONES))
    starts = draw(st.sampled_from(TRANSITIONS)) + timedelta(days=draw(st.integers(-20, 5)))
    ends = draw(st.one_of(st.none(), st.integers(0, 40).map(lambda n: starts + timedelta(days=n))))
    cancelled = draw(
        st.frozensets(st.integers(0, 40).map(lambda n: starts + timedelta(days=n)), max_size=4)
    )
    # Early-morning times meet the gaps and folds; any time is allowed.
    hour = draw(st.one_of(st.integers(0, 3), st.integers(0, 23)))
    minute = draw(st.sampled_from([0, 1, 15, 30, 59]))
    return Recurrence(
        draw(st.frozensets(st.integers(0, 6), min_size=1)),
        time(hour, minute),
        zone,
        starts=starts,
        ends=ends,
        cancelled=cancelled,
    )


@settings(max_examples=150, deadline=None)
@given(rule=recurrences(), hours_after=st.integers(-30 * 24, 30 * 24), count=st.integers(1, 8))
def test_occurrences_match_a_walk_over_local_days(
    rule: Recurrence, hours_after: int, count: int
) -> None:
    after = datetime.combine(rule.starts, time(12), tzinfo=UTC) + timedelta(hours=hours_after)
    assert mt.occurrences_after(rule, after, count) == _reference(rule, after, count)


@settings(max_examples=60, deadline=None)
@given(rule=recurrences(), days=st.integers(1, 20))
def test_a_window_holds_exactly_the_occurrences_inside_it(rule: Recurrence, days: int) -> None:
    start = datetime.combine(rule.starts, time(0), tzinfo=UTC)
    end = start + timedelta(days=days)
    inside = [o for o in _reference(rule, start - timedelta(microseconds=1), 40) if o < end]
    assert mt.occurrences_between(rule, start, end) == inside


# Reading moderators' input.


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, (timedelta(hours=1),)),
        ("24h,1h,10m", (timedelta(hours=24), timedelta(hours=1), timedelta(minutes=10))),
        ("10m, 1h 1h", (timedelta(hours=1), timedelta(minutes=10))),
        ("7d", (timedelta(days=7),)),
        ("1h30m", (timedelta(minutes=90),)),
    ],
)
def test_reminder_offsets(raw: str | None, expected: tuple[timedelta, ...]) -> None:
    assert mt.parse_reminders(raw) == expected


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("5x", "`5x` isn't a reminder time"),
        ("1h,soon", "`soon` isn't"),
        ("-5m", "isn't a reminder time"),
        ("8d", "more than 7 days"),
        ("169h", "more than 7 days"),
        ("0m", "before the meeting"),
        ("1m,2m,3m,4m,5m,6m", "Up to 5"),
        (" , ", "like `24h,1h,10m`"),
    ],
)
def test_bad_reminder_offsets(raw: str, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        mt.parse_reminders(raw)


@given(st.lists(st.integers(1, 7 * 24 * 60), min_size=1, max_size=5))
def test_formatted_reminders_read_back(minutes: list[int]) -> None:
    offsets = tuple(sorted({timedelta(minutes=m) for m in minutes}, reverse=True))
    assert mt.parse_reminders(mt.format_reminders(offsets)) == offsets


def test_canonical_reminders_read_like_the_examples() -> None:
    assert mt.format_reminders(mt.parse_reminders("24h,1h,10m")) == "24h,1h,10m"
    assert mt.format_reminders(mt.parse_reminders("2d,90m")) == "2d,1h30m"


def test_duration() -> None:
    assert mt.parse_duration(None) == timedelta(minutes=60)
    assert mt.parse_duration(15) == timedelta(minutes=15)
    assert mt.parse_duration(480) == timedelta(hours=8)
    for bad in (14, 481, 0):
        with pytest.raises(InvalidInput, match="15 to 480 minutes"):
            mt.parse_duration(bad)


def test_weekdays_refuse_an_unknown_day_kindly() -> None:
    assert mt.parse_meeting_weekdays("mon,wed,fri") == {MON, WED, FRI}
    with pytest.raises(InvalidInput, match="`funday` isn't a day I know"):
        mt.parse_meeting_weekdays("mon,funday")


def test_dates_and_ranges() -> None:
    assert mt.parse_meeting_date("2026-12-01", what="starts") == date(2026, 12, 1)
    with pytest.raises(InvalidInput, match="`starts`; use YYYY-MM-DD"):
        mt.parse_meeting_date("1/12/2026", what="starts")
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        mt.parse_meeting_date("2026-02-30", what="ends")
    mt.check_date_range(date(2026, 12, 1), date(2026, 12, 1))
    with pytest.raises(InvalidInput, match="before `starts`"):
        mt.check_date_range(date(2026, 12, 2), date(2026, 12, 1))


def test_titles_and_locations() -> None:
    assert mt.parse_title("  Tuesday   group ") == "Tuesday group"
    assert mt.parse_location(None) is None
    assert mt.parse_location(" Room 4, 12 High St ") == "Room 4, 12 High St"
    for bad, needle in (
        ("", "needs a title"),
        ("x" * 101, "100 characters"),
        ("hi @everyone", "mentions"),
        ("<@&123> group", "mentions"),
    ):
        with pytest.raises(InvalidInput, match=needle):
            mt.parse_title(bad)
    with pytest.raises(InvalidInput, match="100 characters"):
        mt.parse_location("x" * 101)
    with pytest.raises(InvalidInput, match="mentions"):
        mt.parse_location("@here")
