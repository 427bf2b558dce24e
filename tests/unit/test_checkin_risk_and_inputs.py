"""Which check-ins reach a human, and how members' typing is read."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.checkins import inputs
from bot.domain.checkins.risk import (
    Reason,
    Thresholds,
    assess_checkin,
    assess_sos,
    describe_reasons,
    merge_reasons,
)
from bot.errors import InvalidInput

DEFAULTS = Thresholds()


def test_a_calm_check_in_alerts_nobody() -> None:
    result = assess_checkin(mood=3, craving=4, support=False, note="ok day", thresholds=DEFAULTS)
    assert not result.alert
    assert not result.urgent
    assert result.describe() == ""


def test_asking_for_support_always_alerts() -> None:
    result = assess_checkin(mood=5, craving=0, support=True, note=None, thresholds=DEFAULTS)
    assert result.reasons == (Reason.SUPPORT,)
    assert result.describe() == "asked for support"


def test_craving_alerts_at_the_threshold_not_below() -> None:
    at = assess_checkin(mood=3, craving=8, support=False, note=None, thresholds=DEFAULTS)
    below = assess_checkin(mood=3, craving=7, support=False, note=None, thresholds=DEFAULTS)
    assert at.reasons == (Reason.HIGH_CRAVING,)
    assert not below.alert


def test_mood_alerts_at_the_threshold_not_above() -> None:
    strict = Thresholds(craving_alert=10, mood_alert=2)
    assert assess_checkin(
        mood=2, craving=0, support=False, note=None, thresholds=strict
    ).reasons == (Reason.LOW_MOOD,)
    assert not assess_checkin(mood=3, craving=0, support=False, note=None, thresholds=strict).alert
    assert assess_checkin(mood=1, craving=0, support=False, note=None, thresholds=DEFAULTS).alert


def test_crisis_language_makes_it_urgent_and_comes_first() -> None:
    result = assess_checkin(
        mood=4, craving=9, support=True, note="I want to die", thresholds=DEFAULTS
    )
    assert result.urgent
    assert result.describe() == "urgent, asked for support, high craving"


def test_an_idiom_about_the_craving_is_not_urgent_but_the_score_still_alerts() -> None:
    result = assess_checkin(
        mood=3, craving=9, support=False, note="this craving is killing me", thresholds=DEFAULTS
    )
    assert result.reasons == (Reason.HIGH_CRAVING,)


def test_sos_is_urgent_whatever_it_says() -> None:
    assert assess_sos().urgent
    assert assess_sos().describe() == "urgent, asked for support"


def test_reasons_merge_once_each_most_pressing_first() -> None:
    merged = merge_reasons([Reason.LOW_MOOD, Reason.SUPPORT], [Reason.URGENT, Reason.LOW_MOOD])
    assert merged == (Reason.URGENT, Reason.SUPPORT, Reason.LOW_MOOD)
    assert describe_reasons([Reason.LOW_MOOD, Reason.HIGH_CRAVING]) == "high craving, low mood"


@pytest.mark.parametrize("raw", ["0", "6", "-1", "three", "2.5", "", "99999"])
def test_mood_out_of_range_or_not_a_number_explains_the_scale(raw: str) -> None:
    with pytest.raises(InvalidInput, match=r"1 \(very low\) to 5 \(very good\)"):
        inputs.parse_mood(raw)


@pytest.mark.parametrize("raw", ["11", "-1", "high", "7/10"])
def test_craving_out_of_range_explains_the_scale(raw: str) -> None:
    with pytest.raises(InvalidInput, match=r"0 \(none at all\) to 10"):
        inputs.parse_craving(raw)


def test_scores_in_range() -> None:
    assert inputs.parse_mood(" 2 ") == 2
    assert inputs.parse_mood(5) == 5
    assert inputs.parse_craving("0") == 0
    assert inputs.parse_craving(10) == 10
    with pytest.raises(InvalidInput):
        inputs.parse_craving(11)


def test_notes_keep_mentions_but_not_length() -> None:
    assert inputs.parse_note("  <@123> helped @everyone ") == "<@123> helped @everyone"
    assert inputs.parse_note("   ") is None
    assert inputs.parse_note(None) is None
    assert inputs.parse_note("x" * 1000) == "x" * 1000
    with pytest.raises(InvalidInput, match=r"1,001 characters.*1,000 or fewer"):
        inputs.parse_note("x" * 1001)


@pytest.mark.parametrize(
    ("raw", "expected"), [("yes", True), ("No", False), (None, False), (True, True)]
)
def test_support_answers(raw: str | bool | None, expected: bool) -> None:
    assert inputs.parse_support(raw) is expected


def test_support_must_be_yes_or_no() -> None:
    with pytest.raises(InvalidInput, match="yes or no"):
        inputs.parse_support("maybe")


def test_schedule_options() -> None:
    assert inputs.parse_schedule_time("20:00") == time(20, 0)
    assert inputs.parse_schedule_days(None) == frozenset(range(7))
    assert inputs.parse_schedule_days("mon,wed,fri") == frozenset({0, 2, 4})
    with pytest.raises(InvalidInput, match="HH:MM"):
        inputs.parse_schedule_time("8pm")
    with pytest.raises(InvalidInput, match="isn't a day"):
        inputs.parse_schedule_days("mon,funday")


TODAY = date(2026, 12, 1)


def test_pause_from_today_up_to_a_year_ahead() -> None:
    assert inputs.parse_pause_until("2026-12-01", today=TODAY) == TODAY
    assert inputs.parse_pause_until("2027-12-01", today=TODAY) == date(2027, 12, 1)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("2026-11-30", "already passed"),
        ("2027-12-02", "up to a year"),
        ("next week", "YYYY-MM-DD"),
        ("2026-02-30", "YYYY-MM-DD"),
        ("2026-W49-2", "YYYY-MM-DD"),
        ("20261205", "YYYY-MM-DD"),
    ],
)
def test_bad_pause_dates(raw: str, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        inputs.parse_pause_until(raw, today=TODAY)


def test_history_days() -> None:
    assert inputs.parse_history_days(None) == 30
    assert inputs.parse_history_days(7) == 7
    for bad in (6, 91):
        with pytest.raises(InvalidInput, match="7 to 90 days"):
            inputs.parse_history_days(bad)
