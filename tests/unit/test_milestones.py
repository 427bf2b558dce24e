from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import milestones as ms

ZONES = [
    "America/New_York",
    "Europe/London",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour DST shift
    "UTC",
]
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 1, 1))


def test_day_one_is_the_day_after_the_start() -> None:
    assert ms.days_between(date(2026, 3, 1), date(2026, 3, 1)) == 0
    assert ms.days_between(date(2026, 3, 1), date(2026, 3, 2)) == 1


def _dates_of(start: date, count: int, ladder: ms.Ladder = ms.DEFAULT_LADDER) -> list[date]:
    steps, day = [], 0
    for _ in range(count):
        day = ms.next_milestone(start, day, ladder)
        steps.append(ms.milestone_date(start, day))
    return steps


def test_default_ladder_then_calendar_anniversaries() -> None:
    start = date(2023, 3, 1)
    assert _dates_of(start, 12) == [
        *(start + timedelta(days=n) for n in (1, 7, 30, 60, 90, 180, 270)),
        date(2024, 3, 1),  # 1 year: 366 days, across a 29 February
        date(2024, 9, 1),  # 18 months, on the calendar date
        date(2025, 3, 1),
        date(2026, 3, 1),
        date(2027, 3, 1),
    ]
    names = [ms.milestone_name(start, (d - start).days) for d in _dates_of(start, 10)[7:]]
    assert names == ["1 year", "18 months", "2 years"]


def test_two_years_is_never_told_before_the_anniversary() -> None:
    # The case from the issue: 730 days after 2023-03-01 is 2025-02-28, not the anniversary.
    start = date(2023, 3, 1)
    assert not ms.is_milestone(start, 730)
    assert ms.is_milestone(start, 731)
    assert ms.milestone_name(start, 731) == "2 years"
    assert ms.span(start, date(2025, 3, 1)).describe() == "2 years"


def test_a_29_february_start_celebrates_on_28_february_in_common_years() -> None:
    start = date(2024, 2, 29)
    anniversaries = [d for d in _dates_of(start, 12) if d.month == 2]
    assert anniversaries == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    assert ms.milestone_name(start, (date(2028, 2, 29) - start).days) == "4 years"
    assert ms.span(start, date(2025, 2, 28)).describe() == "1 year"


def test_custom_ladder_stays_in_days_then_continues_yearly_past_its_top() -> None:
    start = date(2023, 3, 1)
    ladder = ms.Ladder(days=(3, 10, 100, 365))
    assert ms.next_milestone(start, 0, ladder) == 3
    assert ms.next_milestone(start, 100, ladder) == 365  # in days, as the server chose
    assert ms.milestone_name(start, 365) == "365 days"  # 29 Feb 2024 lies inside
    assert ms.next_milestone(start, 365, ladder) == 366  # the first anniversary follows
    assert ms.next_milestone(start, 366, ladder) == 731


def test_only_the_highest_missed_milestone_is_named() -> None:
    start = date(2021, 1, 1)
    assert ms.highest_reached(start, 100, 30) == 90
    assert ms.highest_reached(start, 29, 7) == 7
    assert ms.highest_reached(start, 6, 7) is None
    assert ms.highest_reached(start, 800, 365) == 730  # 1 January 2023


@given(instants, st.sampled_from(ZONES))
def test_local_today_is_the_date_on_the_members_wall_clock(now: datetime, zone: str) -> None:
    tz = ZoneInfo(zone)
    today = ms.local_today(now, tz)
    assert today == now.astimezone(tz).date()
    # None of these zones changes offset at midnight, so local midnight always exists.
    assert (
        ms.local_instant(today, 0, tz) <= now < ms.local_instant(today + timedelta(days=1), 0, tz)
    )


@given(dates, st.integers(min_value=0, max_value=40_000))
def test_count_is_exactly_the_calendar_distance(start: date, days: int) -> None:
    today = start + timedelta(days=days)
    assert ms.days_between(start, today) == days
    assert ms.milestone_date(start, days) == today


@given(dates, st.sampled_from(ZONES), st.integers(min_value=0, max_value=23))
def test_celebration_lands_on_the_local_date_at_the_local_hour(
    start: date, zone: str, hour: int
) -> None:
    tz = ZoneInfo(zone)
    for days in (1, 7, 30, 365):
        due = ms.local_instant(ms.milestone_date(start, days), hour, tz)
        local = due.astimezone(tz)
        # On a spring-forward day the hour may not exist; it then lands just after the gap.
        assert local.date() == start + timedelta(days=days)
        assert local.hour in (hour, hour + 1, (hour + 1) % 24)
        assert ms.days_between(start, ms.local_today(due, tz)) == days


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/New_York", date(2026, 3, 8)),  # spring forward
        ("America/New_York", date(2026, 11, 1)),  # fall back
        ("Europe/London", date(2026, 3, 29)),
        ("Europe/London", date(2026, 10, 25)),
    ],
)
def test_dst_changes_never_shift_the_count(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    start = day - timedelta(days=6)
    nine = ms.local_instant(day + timedelta(days=1), 9, tz)
    assert nine.astimezone(tz).hour == 9
    assert ms.days_between(start, ms.local_today(nine, tz)) == 7
    # Every hour of the DST day itself counts as day 6.
    midnight = ms.local_instant(day, 0, tz)
    for hours in range(23):
        instant = midnight + timedelta(hours=hours)
        if instant.astimezone(tz).date() == day:
            assert ms.days_between(start, ms.local_today(instant, tz)) == 6


def test_leap_day_starts_count_normally() -> None:
    start = date(2024, 2, 29)
    assert ms.days_between(start, date(2025, 2, 28)) == 365
    assert ms.milestone_date(start, 365) == date(2025, 2, 28)
    assert ms.span(start, date(2025, 3, 1)).describe() == "1 year, 1 day"


def test_far_east_and_far_west_members_see_different_days_at_one_instant() -> None:
    now = datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert ms.local_today(now, ZoneInfo("Pacific/Kiritimati")) == date(2026, 3, 2)
    assert ms.local_today(now, ZoneInfo("Pacific/Pago_Pago")) == date(2026, 3, 1)


@given(st.lists(st.integers(min_value=1, max_value=36_500), min_size=1, max_size=50))
def test_ladder_round_trips(values: list[int]) -> None:
    ladder = ms.parse_ladder(", ".join(map(str, values)))
    assert ladder == tuple(sorted(set(values)))
    assert ms.parse_ladder(ms.format_ladder(ladder)) == ladder


@pytest.mark.parametrize("raw", ["", "0", "a,b", "7, -1", "99999", ",".join(["1"] * 51)])
def test_bad_ladders_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        ms.parse_ladder(raw)


@given(dates, st.integers(min_value=0, max_value=20_000))
def test_next_milestone_is_always_ahead_and_a_milestone(start: date, days: int) -> None:
    upcoming = ms.next_milestone(start, days)
    assert upcoming > days
    assert ms.is_milestone(start, upcoming)
    assert not any(ms.is_milestone(start, d) for d in range(days + 1, upcoming))


@given(dates, st.integers(min_value=1, max_value=120))
def test_yearly_milestones_fall_on_the_calendar_anniversary(start: date, years: int) -> None:
    step = ms.calendar_days(start, 12 * years)
    assert ms.is_milestone(start, step)
    on = ms.milestone_date(start, step)
    assert on.year == start.year + years
    if (start.month, start.day) == (2, 29) and on.day != 29:
        assert (on.month, on.day) == (2, 28)  # 29 February starts, common years
    else:
        assert (on.month, on.day) == (start.month, start.day)
    # The card on that day and the celebration say the same thing.
    assert ms.milestone_name(start, step) == f"{years} year{'' if years == 1 else 's'}"
    assert ms.span(start, on).describe() == ms.milestone_name(start, step)
    # And the day before is not an anniversary.
    assert not ms.milestone_name(start, step - 1).endswith(("year", "years"))


@given(dates)
def test_eighteen_months_falls_on_the_calendar_date(start: date) -> None:
    step = ms.calendar_days(start, 18)
    assert ms.is_milestone(start, step)
    assert ms.milestone_name(start, step) == "18 months"
    assert ms.span(start, ms.milestone_date(start, step)).describe() == "1 year, 6 months"
    assert ms.next_milestone(start, ms.calendar_days(start, 12)) == step


@given(dates, st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=10))
def test_a_custom_ladder_celebrates_exactly_its_day_counts(start: date, steps: list[int]) -> None:
    ladder = ms.Ladder(days=tuple(sorted(set(steps))))
    top = max(steps)
    for day in range(1, top + 1):
        assert ms.is_milestone(start, day, ladder) == (day in steps)
    beyond = ms.next_milestone(start, top, ladder)
    assert ms.milestone_name(start, beyond).endswith(("year", "years"))


def _transitions(zone: str, year: int) -> list[date]:
    """The local dates on which `zone` changes its UTC offset during `year`."""
    tz = ZoneInfo(zone)
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    noon = [datetime(d.year, d.month, d.day, 12, tzinfo=tz).utcoffset() for d in days]
    return [days[n] for n in range(1, len(days)) if noon[n] != noon[n - 1]]


@given(
    st.sampled_from(["America/New_York", "Europe/London"]),
    st.integers(min_value=1990, max_value=2080),
    st.integers(min_value=0, max_value=1),
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=1, max_value=800),
    st.integers(min_value=0, max_value=47),
)
def test_counts_across_any_dst_transition_follow_the_wall_calendar(
    zone: str, year: int, which: int, near: int, streak: int, half_hours: int
) -> None:
    tz = ZoneInfo(zone)
    day = _transitions(zone, year)[which] + timedelta(days=near)
    start = day - timedelta(days=streak)
    # Every half hour of a day around a transition, counted as a member there would.
    instant = ms.local_instant(day, 0, tz) + timedelta(minutes=30 * half_hours)
    local_day = instant.astimezone(tz).date()
    assert ms.days_between(start, ms.local_today(instant, tz)) == (local_day - start).days
    celebration = ms.local_instant(ms.milestone_date(start, streak), 9, tz)
    assert celebration.astimezone(tz).date() == day
    assert celebration.astimezone(tz).hour == 9


@given(dates, st.integers(min_value=0, max_value=1_200))
def test_calendar_months_agree_with_relativedelta(start: date, months: int) -> None:
    from dateutil.relativedelta import relativedelta

    expected = (start + relativedelta(months=months) - start).days
    assert ms.calendar_days(start, months) == expected
