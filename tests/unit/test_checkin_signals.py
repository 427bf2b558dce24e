"""Silence and a falling mood: a gentle nudge to the mentor, rarely and only when it fits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.checkins.signals import (
    MoodPoint,
    SilenceState,
    after_checkin,
    after_missed_prompt,
    mood_has_dropped,
    mood_nudge_due,
    prompt_answered,
)

T0 = datetime(2026, 12, 1, 20, tzinfo=UTC)
DAY = timedelta(days=1)


def _miss(state: SilenceState, times: int) -> tuple[SilenceState, list[bool]]:
    nudges = []
    for _ in range(times):
        state, nudge = after_missed_prompt(state)
        nudges.append(nudge)
    return state, nudges


def test_the_third_missed_prompt_in_a_row_nudges_once() -> None:
    state, nudges = _miss(SilenceState(), 6)
    assert nudges == [False, False, True, False, False, False]
    assert state.missed_in_a_row == 6


def test_a_check_in_ends_the_spell_and_a_new_spell_nudges_again() -> None:
    state, _ = _miss(SilenceState(), 2)
    state = after_checkin()
    state, nudges = _miss(state, 2)
    assert nudges == [False, False], "two misses after a check-in are not three in a row"
    state, nudges = _miss(state, 1)
    assert nudges == [True]
    state = after_checkin()
    _, nudges = _miss(state, 3)
    assert nudges == [False, False, True]


def test_a_prompt_is_answered_by_a_check_in_before_the_next_prompt() -> None:
    assert prompt_answered(T0, T0 + DAY, [T0 + timedelta(hours=2)])
    assert not prompt_answered(T0, T0 + DAY, [T0 - timedelta(hours=1), T0 + DAY])


def _points(moods: list[int], start: datetime = T0) -> list[MoodPoint]:
    return [MoodPoint(start + i * DAY, mood) for i, mood in enumerate(moods)]


def test_a_fall_from_a_good_fortnight_is_a_drop() -> None:
    assert mood_has_dropped(_points([4, 4, 4, 4, 2, 2, 1]))  # 1.67 after 4.0


def test_low_but_steady_is_not_a_drop() -> None:
    assert not mood_has_dropped(_points([2, 2, 3, 2, 2, 1, 2]))  # 1.67 after 2.25


def test_a_drop_needs_the_recent_average_at_two_or_below() -> None:
    assert not mood_has_dropped(_points([5, 5, 5, 3, 3, 2]))  # 2.67 is not low enough


def test_the_margin_is_at_least_one_and_a_half() -> None:
    assert mood_has_dropped(_points([4, 3, 2, 2, 2]))  # baseline 3.5, recent 2.0: exactly 1.5
    assert not mood_has_dropped(_points([4, 3, 3, 2, 2, 2]))  # baseline 3.33: 1.33 below


def test_check_ins_older_than_fourteen_days_are_not_the_baseline() -> None:
    old = [MoodPoint(T0 - timedelta(days=20), 5)]
    recent = _points([2, 2, 2], start=T0)
    assert not mood_has_dropped(old + recent), "no check-in in the 14 days before"
    assert mood_has_dropped([*old, MoodPoint(T0 - timedelta(days=13), 5), *recent])


def test_fewer_than_four_check_ins_is_never_a_drop() -> None:
    assert not mood_has_dropped(_points([1, 1, 1]))


def test_points_may_come_in_any_order() -> None:
    assert mood_has_dropped(list(reversed(_points([4, 4, 4, 4, 2, 2, 1]))))


def test_a_mood_nudge_at_most_once_a_week() -> None:
    falling = _points([4, 4, 4, 4, 2, 2, 1])
    now = T0 + 7 * DAY
    assert mood_nudge_due(falling, now=now, last_nudged=None)
    assert not mood_nudge_due(falling, now=now, last_nudged=now - 6 * DAY)
    assert mood_nudge_due(falling, now=now, last_nudged=now - 7 * DAY)
    assert not mood_nudge_due(_points([3, 3, 3, 3]), now=now, last_nudged=None)
