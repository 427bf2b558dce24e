from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.sobriety_input import parse_date, parse_label, parse_time
from bot.errors import InvalidInput

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("2025-02-30", "isn't a date on the calendar"),
        ("yesterday", "YYYY-MM-DD"),
        ("03/04/2025", "YYYY-MM-DD"),
        ("2026-03-02", "in the future"),
        ("1899-12-31", "1900"),
        ("", "YYYY-MM-DD"),
    ],
)
def test_bad_dates_say_what_is_expected(raw: str, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        parse_date(raw, today=TODAY)


def test_format_error_gives_an_example() -> None:
    with pytest.raises(InvalidInput, match="2026-03-01"):
        parse_date("yesterday", today=TODAY)


def test_good_dates() -> None:
    assert parse_date(" 2024-02-29 ", today=TODAY) == date(2024, 2, 29)
    assert parse_date("2026-03-01", today=TODAY) == TODAY


@pytest.mark.parametrize("raw", ["24:00", "9:30", "12:60", "noon", "12-30"])
def test_bad_times(raw: str) -> None:
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_time(raw)


def test_good_time() -> None:
    assert parse_time("21:05") == time(21, 5)


@pytest.mark.parametrize(
    "raw",
    [
        "x" * 41,
        "<@123>",
        "@everyone",
        "hi @here",
        "tab\there",
        "new\nline",
        "   ",
        "a`b",
        "\u202eevil",
    ],
)
def test_bad_labels(raw: str) -> None:
    with pytest.raises(InvalidInput):
        parse_label(raw)


def test_labels_are_tidied_and_default() -> None:
    assert parse_label(None) == "sobriety"
    assert parse_label("  days   in program ") == "days in program"
    assert parse_label("👨‍👩‍👧 family") == "👨‍👩‍👧 family"
