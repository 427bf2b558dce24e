"""What members type into /mentor: each bad input gets an explanation that says what to type."""

from __future__ import annotations

import pytest

from bot.domain.languages import describe_languages, parse_language, parse_languages
from bot.domain.matching import Window
from bot.domain.matching_input import (
    DEFAULT_FOCUS_LIST,
    parse_availability,
    parse_capacity,
    parse_focus,
    parse_focus_list,
    parse_text,
    suggest_focus,
)
from bot.errors import InvalidInput


def test_focus_is_read_against_the_server_list_in_its_spelling() -> None:
    assert parse_focus("Alcohol,  mental   health, lgbtq+", DEFAULT_FOCUS_LIST) == (
        "alcohol",
        "mental health",
        "LGBTQ+",
    )
    assert parse_focus(None, DEFAULT_FOCUS_LIST) == ()
    assert parse_focus("family, Family", DEFAULT_FOCUS_LIST) == ("family",)


def test_an_unknown_focus_suggests_the_closest_one() -> None:
    with pytest.raises(InvalidInput, match="Did you mean `family`"):
        parse_focus("alcohol, famly", DEFAULT_FOCUS_LIST)
    with pytest.raises(InvalidInput, match="isn't on this server's focus list") as caught:
        parse_focus("knitting", DEFAULT_FOCUS_LIST)
    assert "Did you mean" not in caught.value.message


def test_focus_autocomplete_completes_the_last_item() -> None:
    assert suggest_focus("alcohol, fa", DEFAULT_FOCUS_LIST) == [
        "alcohol, family",
        "alcohol, faith-based",
    ]
    assert "alcohol" not in suggest_focus("alcohol, ", DEFAULT_FOCUS_LIST)[0].split(", ")[1:]


def test_a_focus_list_is_plain_words() -> None:
    assert parse_focus_list("Alcohol, grief ,alcohol") == ("Alcohol", "grief")
    with pytest.raises(InvalidInput):
        parse_focus_list(" , ")
    with pytest.raises(InvalidInput):
        parse_focus_list("@everyone")


@pytest.mark.parametrize(
    ("typed", "code"),
    [("Spanish", "es"), ("es", "es"), ("español", "es"), ("Farsi", "fa"), ("Mandarin", "zh")],
)
def test_languages_are_read_by_name_or_code(typed: str, code: str) -> None:
    assert parse_language(typed) == code


def test_a_language_list_defaults_to_english_and_drops_repeats() -> None:
    assert parse_languages(None) == ("en",)
    assert parse_languages("English, es, Spanish") == ("en", "es")
    assert describe_languages(("en", "es")) == "English, Spanish"


@pytest.mark.parametrize("typed", ["Englsh", "xx", "qaa", "und", "a" * 50])
def test_an_unknown_language_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="don't recognise"):
        parse_language(typed)


def test_availability_windows_may_cross_midnight() -> None:
    assert parse_availability("18:00-22:00, 23:30 - 01:15") == (
        Window(18 * 60, 22 * 60),
        Window(23 * 60 + 30, 75),
    )
    assert parse_availability("20:00-24:00") == (Window(20 * 60, 0),)
    assert parse_availability(None) == ()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("evenings", "from-to on a 24-hour clock"),
        ("6pm-10pm", "from-to on a 24-hour clock"),
        ("18:00-25:00", "isn't on the clock"),
        ("18:07-22:00", "quarter hours"),
        ("18:00-18:00", "same time"),
    ],
)
def test_bad_availability_says_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_availability(typed)


def test_capacity_is_one_to_ten() -> None:
    assert parse_capacity(None) == 2
    assert parse_capacity(10) == 10
    for bad in (0, 11):
        with pytest.raises(InvalidInput, match="1 to 10"):
            parse_capacity(bad)


def test_notes_never_carry_mentions_and_stay_short() -> None:
    assert parse_text("  I'd like someone who knows night shifts ", what="note") == (
        "I'd like someone who knows night shifts"
    )
    assert parse_text("   ", what="note") is None
    for bad in ("hi <@123>", "@everyone help", "hey @here"):
        with pytest.raises(InvalidInput, match="mentions"):
            parse_text(bad, what="note")
    with pytest.raises(InvalidInput, match="300 characters"):
        parse_text("x" * 301, what="note")
