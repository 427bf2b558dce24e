"""Prompts arrive at the member's own local time, across DST, and late ones are dropped."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.checkins.schedule import PromptSchedule, next_prompt, prompt_is_stale
from bot.domain.weekdays import EVERY_DAY, WORKING_DAYS

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
ZONES = ["America/New_York", "Europe/London", "Asia/Kolkata", "Pacific/Kiritimati", "UTC"]


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [
        ("America/New_York", _utc(2026, 12, 2, 1, 0)),  # 20:00 EST
        ("Europe/London", _utc(2026, 12, 1, 20, 0)),  # 20:00 GMT
        ("Asia/Kolkata", _utc(2026, 12, 1, 14, 30)),  # 20:00 IST
    ],
)
def test_twenty_hundred_local_in_three_zones(zone: str, expected_utc: datetime) -> None:
    schedule = PromptSchedule(time(20, 0), EVERY_DAY, ZoneInfo(zone))
    assert next_prompt(schedule, _utc(2026, 12, 1, 12, 0)) == expected_utc


def test_twenty_hundred_stays_local_across_the_dst_change() -> None:
    schedule = PromptSchedule(time(20, 0), EVERY_DAY, NEW_YORK)
    before = next_prompt(schedule, _utc(2026, 3, 7, 12))
    after = next_prompt(schedule, before)
    assert before == _utc(2026, 3, 8, 1)  # 20:00 EST on the 7th
    assert after == _utc(2026, 3, 9, 0)  # 20:00 EDT on the 8th: 23 hours later
    assert after.astimezone(NEW_YORK).time() == time(20, 0)


def test_a_prompt_in_the_gap_moves_forward_and_in_the_fold_is_the_first() -> None:
    gap = PromptSchedule(time(2, 30), EVERY_DAY, NEW_YORK)
    assert next_prompt(gap, _utc(2026, 3, 8, 0)).astimezone(NEW_YORK).time() == time(3, 30)
    fold = PromptSchedule(time(1, 30), EVERY_DAY, LONDON)
    first = next_prompt(fold, _utc(2026, 10, 24, 12))
    assert first == _utc(2026, 10, 25, 0, 30)  # 01:30 BST, not 01:30 GMT an hour later
    assert next_prompt(fold, first) == _utc(2026, 10, 26, 1, 30)  # only once that day


def test_only_the_chosen_days() -> None:
    schedule = PromptSchedule(time(9, 0), WORKING_DAYS, LONDON)
    friday_evening = _utc(2026, 12, 4, 18)
    assert next_prompt(schedule, friday_evening) == _utc(2026, 12, 7, 9)  # Monday


def test_paused_days_are_skipped_through_the_last_one() -> None:
    schedule = PromptSchedule(time(20, 0), EVERY_DAY, LONDON, paused_through=date(2026, 12, 10))
    assert next_prompt(schedule, _utc(2026, 12, 1, 12)) == _utc(2026, 12, 11, 20)


def test_a_schedule_needs_a_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        PromptSchedule(time(20, 0), frozenset(), LONDON)


def test_a_prompt_not_sent_before_the_next_one_is_dropped() -> None:
    schedule = PromptSchedule(time(20, 0), EVERY_DAY, LONDON)
    due = _utc(2026, 12, 1, 20)
    assert not prompt_is_stale(schedule, due, due + timedelta(hours=23, minutes=59))
    assert prompt_is_stale(schedule, due, due + timedelta(hours=24))
    weekly = PromptSchedule(time(20, 0), frozenset({1}), LONDON)  # Tuesdays
    assert not prompt_is_stale(weekly, due, due + timedelta(days=3))


def _reference_next(schedule: PromptSchedule, after: datetime) -> datetime:
    """Walk UTC minutes' worth of local days the slow way: every scheduled local day's instant,
    found by scanning the day's minutes for the first one whose wall clock reaches the time."""
    day = after.astimezone(schedule.zone).date() - timedelta(days=1)
    while True:
        if day.weekday() in schedule.days and (
            schedule.paused_through is None or day > schedule.paused_through
        ):
            instant = _first_instant_at_or_past(day, schedule.at, schedule.zone)
            if instant > after:
                return instant
        day += timedelta(days=1)


def _first_instant_at_or_past(day: date, at: time, zone: ZoneInfo) -> datetime:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    wall = datetime.combine(day, at)
    for minute in range(0, 30 * 60):
        instant = start + timedelta(minutes=minute)
        local = instant.astimezone(zone).replace(tzinfo=None)
        if local == wall:
            return instant  # exists: the first of possibly two
        if local > wall and local.date() == day:
            # The wall clock jumped past `wall`: a gap. Move forward by the gap's length.
            offset_now = instant.astimezone(zone).utcoffset()
            offset_before = (instant - timedelta(minutes=1)).astimezone(zone).utcoffset()
            assert offset_now is not None
            assert offset_before is not None
            return instant + (wall + (offset_now - offset_before) - local)
    raise AssertionError("no instant found")


@given(
    after=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    pause=st.one_of(st.none(), st.integers(-3, 40)),
)
def test_next_prompt_matches_a_brute_force_walk(
    after: datetime, zone: str, at: time, days: frozenset[int], pause: int | None
) -> None:
    tz = ZoneInfo(zone)
    paused = None if pause is None else after.astimezone(tz).date() + timedelta(days=pause)
    schedule = PromptSchedule(at, days, tz, paused_through=paused)
    assert next_prompt(schedule, after) == _reference_next(schedule, after)


# Days on which New York or London change their clocks, so the property above meets gaps and
# folds far more often than uniformly drawn dates would.
TRANSITION_DAYS = [
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 14),
    date(2027, 10, 31),
]


@given(
    day=st.sampled_from(TRANSITION_DAYS),
    minutes_before=st.integers(0, 3 * 24 * 60),
    zone=st.sampled_from(["America/New_York", "Europe/London"]),
    at=st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 30, 59])),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_next_prompt_near_dst_changes_matches_the_walk(
    day: date, minutes_before: int, zone: str, at: time, days: frozenset[int]
) -> None:
    tz = ZoneInfo(zone)
    after = datetime.combine(day, time(4), tzinfo=UTC) - timedelta(minutes=minutes_before)
    schedule = PromptSchedule(at, days, tz)
    assert next_prompt(schedule, after) == _reference_next(schedule, after)
