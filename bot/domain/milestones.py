"""Counting sober days and finding milestones: pure date arithmetic, no I/O.

The count is always computed from the start date and the member's local "today"; it is never
stored and incremented, so a missed job, a restart or a DST change cannot make it drift.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

# Counted in days from the start date.
DEFAULT_DAY_STEPS: tuple[int, ...] = (1, 7, 30, 60, 90, 180, 270)
# Counted in calendar months: 12 months falls on the first anniversary of the start date and
# 18 months on the same day of the month a year and a half later (the last day of a shorter
# month when that day does not exist). A start on 29 February is celebrated on 28 February in
# common years.
DEFAULT_MONTH_STEPS: tuple[int, ...] = (12, 18)
MAX_LADDER_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class Ladder:
    """Which milestones a streak celebrates: day steps, calendar-month steps, then every calendar
    anniversary after the highest step ("sobriety birthdays")."""

    days: tuple[int, ...] = ()
    months: tuple[int, ...] = ()


DEFAULT_LADDER = Ladder(DEFAULT_DAY_STEPS, DEFAULT_MONTH_STEPS)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date on the member's wall clock at the instant `now`."""
    return now.astimezone(zone).date()


def days_between(start: date, today: date) -> int:
    """Whole days sober: 0 on the start date, 1 on the day after."""
    return max(0, (today - start).days)


def calendar_days(start: date, months: int) -> int:
    """Days from `start` to the same calendar day `months` later (clamped to a month's end, as
    relativedelta does; written out because every card and plan asks several times)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return (date(year, month, day) - start).days


def _fixed_steps(start: date, ladder: Ladder) -> list[int]:
    return sorted({*ladder.days, *(calendar_days(start, m) for m in ladder.months)})


def next_milestone(start: date, days: int, ladder: Ladder = DEFAULT_LADDER) -> int:
    """The first milestone strictly after `days`: the ladder's steps, then each anniversary."""
    fixed = _fixed_steps(start, ladder)
    for step in fixed:
        if step > days:
            return step
    floor = max(days, fixed[-1] if fixed else 0)
    # Years are 365 or 366 days long, so the anniversary after `floor` is at most two away.
    year = max(1, floor // 366)
    while calendar_days(start, 12 * year) <= floor:
        year += 1
    return calendar_days(start, 12 * year)


def is_milestone(start: date, days: int, ladder: Ladder = DEFAULT_LADDER) -> bool:
    return days > 0 and next_milestone(start, days - 1, ladder) == days


def highest_reached(
    start: date, days: int, at_least: int, ladder: Ladder = DEFAULT_LADDER
) -> int | None:
    """The highest milestone in [at_least, days], or None: what a belated celebration names."""
    best: int | None = None
    step = next_milestone(start, max(at_least, 1) - 1, ladder)
    while step <= days:
        best = step
        step = next_milestone(start, step, ladder)
    return best


def milestone_date(start: date, days: int) -> date:
    return start + timedelta(days=days)


def milestone_name(start: date, days: int) -> str:
    """How a milestone is named: "2 years" on an anniversary, "18 months", else "30 days"."""
    years = max(1, days // 366)
    while calendar_days(start, 12 * years) < days:
        years += 1
    if days > 0 and calendar_days(start, 12 * years) == days:
        return f"{years} year{'' if years == 1 else 's'}"
    if days > 0 and calendar_days(start, 18) == days:
        return "18 months"
    return f"{days} day{'' if days == 1 else 's'}"


def local_instant(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `hour`:00 on `day` in `zone`.

    In a spring-forward gap the wall time does not exist; zoneinfo then uses the offset from
    before the change, which lands just after the gap, the reading a person would expect.
    """
    wall = datetime.combine(day, time(hour=hour), tzinfo=zone)
    return wall.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Span:
    years: int
    months: int
    days: int

    def describe(self) -> str:
        parts = [
            f"{value} {unit}{'' if value == 1 else 's'}"
            for value, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if value
        ]
        return ", ".join(parts) if parts else "0 days"


def span(start: date, today: date) -> Span:
    delta = relativedelta(max(today, start), start)
    return Span(delta.years, delta.months, delta.days)


def parse_ladder(raw: str) -> tuple[int, ...]:
    """A comma- or space-separated list of day counts; raises ValueError with what is wrong."""
    pieces = [p for p in raw.replace(",", " ").split() if p]
    if not pieces:
        raise ValueError("the ladder needs at least one day count")
    if len(pieces) > 50:
        raise ValueError("a ladder can have at most 50 steps")
    values: set[int] = set()
    for piece in pieces:
        if not piece.isdigit():
            raise ValueError(f"`{piece[:12]}` is not a whole number of days")
        value = int(piece)
        if not 1 <= value <= MAX_LADDER_DAYS:
            raise ValueError(f"{value} is outside 1–{MAX_LADDER_DAYS} days")
        values.add(value)
    return tuple(sorted(values))


def format_ladder(ladder: Iterable[int]) -> str:
    return ", ".join(str(step) for step in ladder)
