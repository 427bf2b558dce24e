"""/stats never shows a small number exactly: a count below 5, or a median or rate computed
from fewer than 5 things, could point at one member."""

from __future__ import annotations

from bot.services.privacy.stats import Figure, shown


def test_counts_below_five_are_shown_as_fewer_than_five() -> None:
    assert [shown(Figure("s", "x", count=n)) for n in (0, 1, 4, 5, 12)] == [
        "fewer than 5",
        "fewer than 5",
        "fewer than 5",
        "5",
        "12",
    ]


def test_durations_and_rates_need_five_things_to_go_on() -> None:
    assert shown(Figure("s", "median", seconds=600, basis=4)) == "not shown (fewer than 5 to go on)"
    assert shown(Figure("s", "median", seconds=600, basis=5)) == "10 min"
    assert shown(Figure("s", "p95", seconds=7500, basis=9)) == "2 h 5 min"
    assert shown(Figure("s", "attendance", share=0.666, basis=6)) == "67%"
    assert shown(Figure("s", "attendance", share=0.9, basis=None)).startswith("not shown")
