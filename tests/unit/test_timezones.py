from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.timezones import parse_timezone, suggest_timezones, supported_timezones
from bot.errors import InvalidInput


@pytest.mark.parametrize("raw", ["EST", "UTC+3", "Foo/Bar", "../../etc/passwd", "", "Etc/GMT+3"])
def test_rejects_names_that_are_not_places_with_an_example(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_timezone(raw)
    assert "America/New_York" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Europe/London", "Europe/London"),
        (" america/new_york ", "America/New_York"),
        ("UTC", "UTC"),
    ],
)
def test_accepts_iana_places_case_insensitively(raw: str, expected: str) -> None:
    assert parse_timezone(raw).key == expected


def test_error_never_echoes_formatting_or_long_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_timezone("`@everyone`")
    assert "`@everyone`" not in caught.value.message
    with pytest.raises(InvalidInput) as long_input:
        parse_timezone("x" * 500)
    assert "x" * 41 not in long_input.value.message


def test_suggestions_find_cities_and_stay_within_discords_limit() -> None:
    assert "America/New_York" in suggest_timezones("new_y")
    assert "America/New_York" in suggest_timezones("new y")
    assert suggest_timezones("kolk") == ["Asia/Kolkata"]
    assert len(suggest_timezones("")) == 25
    assert len(suggest_timezones("a")) <= 25


@given(st.text(max_size=60))
def test_any_text_either_parses_to_a_supported_zone_or_is_refused(raw: str) -> None:
    try:
        zone = parse_timezone(raw)
    except InvalidInput:
        return
    assert zone.key in supported_timezones()
