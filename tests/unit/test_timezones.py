from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.timezones import (
    accepted_timezones,
    parse_timezone,
    suggest_timezones,
    supported_timezones,
)
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
        ("GMT", "GMT"),
        ("Etc/UTC", "Etc/UTC"),
        ("etc/gmt", "Etc/GMT"),
        ("US/Eastern", "US/Eastern"),
        ("Asia/Calcutta", "Asia/Calcutta"),
        ("Ｅｕｒｏｐｅ/Ｌｏｎｄｏｎ", "Europe/London"),
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
    assert zone.key in accepted_timezones()


def test_every_place_offered_while_typing_is_accepted() -> None:
    assert set(supported_timezones()) <= set(accepted_timezones())
    assert "Etc/UTC" in accepted_timezones()
    assert not any(name.startswith("Etc/GMT+1") for name in accepted_timezones())


def test_an_abbreviation_leads_with_the_cities_people_mean() -> None:
    assert suggest_timezones("est")[0] == "America/New_York"
    assert suggest_timezones("EST")[0] == "America/New_York"
    assert suggest_timezones("pst")[0] == "America/Los_Angeles"
    assert "America/Creston" in suggest_timezones("est")  # still offered, just not first


def test_a_city_prefix_ranks_before_a_substring_match() -> None:
    # "york" is inside no other name; "ork" is inside several, but only one city starts so.
    assert suggest_timezones("york") == ["America/New_York"]
    found = suggest_timezones("lond")
    assert found[0] == "Europe/London"
    cre = suggest_timezones("cre")
    assert cre[0] == "America/Creston"  # a city starting with it, before names containing it
    assert all("cre" in name.casefold() for name in cre)


@pytest.mark.parametrize("hidden", ["\u200b", "\u2060", "\ufeff", "\u202e", "\n"])
def test_odd_input_is_echoed_safely(hidden: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_timezone(f"Europe/Lon{hidden}don")
    assert hidden not in caught.value.message
    assert f"U+{ord(hidden):04X}" in caught.value.message


def test_abbreviations_and_inverted_offsets_are_explained() -> None:
    with pytest.raises(InvalidInput, match="abbreviation"):
        parse_timezone("EST")
    with pytest.raises(InvalidInput, match="inverted sign"):
        parse_timezone("Etc/GMT+3")
