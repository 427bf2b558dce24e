from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.local_time import local_to_utc, parse_clock_time
from bot.domain.weekdays import format_weekdays, parse_weekdays
from bot.errors import InvalidInput

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("raw", "days"),
    [
        ("daily", set(range(7))),
        ("Weekdays", {0, 1, 2, 3, 4}),
        ("mon,wed,fri", {0, 2, 4}),
        (" Monday, thurs  sun ", {0, 3, 6}),
        ("fri,fri", {4}),
    ],
)
def test_weekday_spellings(raw: str, days: set[int]) -> None:
    assert parse_weekdays(raw) == frozenset(days)


def test_an_unknown_day_is_named_kindly() -> None:
    with pytest.raises(InvalidInput, match="`funday` isn't a day I know"):
        parse_weekdays("mon,funday")
    with pytest.raises(InvalidInput, match="which days"):
        parse_weekdays(" , ")


@given(st.frozensets(st.integers(0, 6), min_size=1))
def test_formatted_days_read_back(days: frozenset[int]) -> None:
    assert parse_weekdays(format_weekdays(days)) == days


@pytest.mark.parametrize("raw", ["24:00", "12:60", "noon", "12-30", "1230", "", "20:00:00"])
def test_times_must_be_hh_mm(raw: str) -> None:
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_clock_time(raw)


def test_good_times() -> None:
    assert parse_clock_time("20:00") == time(20, 0)
    assert parse_clock_time(" 9:05 ") == time(9, 5)


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    # 2026-03-08: New York goes from 02:00 EST to 03:00 EDT.
    instant = local_to_utc(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert instant == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert instant.astimezone(NEW_YORK).time() == time(3, 30)
    # 2026-03-29: London goes from 01:00 GMT to 02:00 BST.
    assert local_to_utc(date(2026, 3, 29), time(1, 30), LONDON).astimezone(LONDON).time() == time(
        2, 30
    )


def test_a_time_in_the_fall_fold_is_the_first_of_the_two() -> None:
    # 2026-11-01: New York repeats 01:00-02:00 (EDT, then EST).
    assert local_to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    # 2026-10-25: London repeats 01:00-02:00 (BST, then GMT).
    assert local_to_utc(date(2026, 10, 25), time(1, 30), LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
