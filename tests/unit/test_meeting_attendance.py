from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.meeting_attendance import (
    Presence,
    attended_by_voice,
    groups_since,
    time_present,
    weeks_in_a_row,
)

START = datetime(2026, 12, 1, 19, tzinfo=UTC)
END = START + timedelta(hours=1)
MIN = timedelta(minutes=1)


def test_ten_minutes_counts_and_three_do_not() -> None:
    assert attended_by_voice([Presence(START + 5 * MIN, START + 15 * MIN)], START, END)
    assert not attended_by_voice([Presence(START + 5 * MIN, START + 8 * MIN)], START, END)


def test_only_time_inside_the_occurrence_counts() -> None:
    early = Presence(START - 30 * MIN, START + 4 * MIN)  # mostly before it began
    late = Presence(END - 5 * MIN, END + 30 * MIN)  # mostly after it ended
    assert time_present([early, late], START, END) == 9 * MIN
    assert not attended_by_voice([early, late], START, END)


def test_overlapping_stays_count_once_and_still_there_counts_to_the_end() -> None:
    stays = [Presence(START, START + 8 * MIN), Presence(START + 2 * MIN, START + 6 * MIN)]
    assert time_present(stays, START, END) == 8 * MIN
    assert time_present([Presence(END - 12 * MIN)], START, END) == 12 * MIN


def test_reconnects_add_up() -> None:
    stays = [Presence(START, START + 6 * MIN), Presence(START + 7 * MIN, START + 11 * MIN)]
    assert attended_by_voice(stays, START, END)


@given(
    st.lists(
        st.tuples(st.integers(-90, 150), st.integers(0, 120)).map(
            lambda pair: Presence(START + pair[0] * MIN, START + (pair[0] + pair[1]) * MIN)
        ),
        max_size=6,
    )
)
def test_time_present_matches_counting_minutes(stays: list[Presence]) -> None:
    minutes = sum(
        1
        for m in range(60)
        if any(
            p.joined <= START + m * MIN and (p.left is None or START + m * MIN < p.left)
            for p in stays
        )
    )
    assert time_present(stays, START, END) == minutes * MIN


TODAY = date(2026, 12, 3)  # a Thursday


def test_weeks_in_a_row_with_this_week_still_open() -> None:
    weekly = [date(2026, 11, 17), date(2026, 11, 24)]  # Tuesdays of the two weeks before
    assert weeks_in_a_row(weekly, TODAY) == 2, "no group yet this week breaks nothing"
    assert weeks_in_a_row([*weekly, date(2026, 12, 1)], TODAY) == 3
    assert weeks_in_a_row([date(2026, 11, 17)], TODAY) == 0, "a week without a group ends it"
    assert weeks_in_a_row([], TODAY) == 0
    assert weeks_in_a_row([date(2026, 11, 30), date(2026, 12, 6)], TODAY) == 1, "not the future"


def test_groups_since() -> None:
    attended = [START - timedelta(days=40), START - timedelta(days=3), START]
    assert groups_since(attended, START - timedelta(days=30)) == 2
