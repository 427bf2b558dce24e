"""Counting sober days and finding milestones: pure date arithmetic, no I/O.

The count is always computed from the start date and the member's local "today"; it is never
stored and incremented, so a missed job, a restart or a DST change cannot make it drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

DEFAULT_LADDER: tuple[int, ...] = (1, 7, 30, 60, 90, 180, 270, 365, 545)
YEAR_DAYS = 365
MAX_LADDER_DAYS = 36_500


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date on the member's wall clock at the instant `now`."""
    return now.astimezone(zone).date()


def days_between(start: date, today: date) -> int:
    """Whole days sober: 0 on the start date, 1 on the day after."""
    return max(0, (today - start).days)


def is_milestone(days: int, ladder: Sequence[int] = DEFAULT_LADDER) -> bool:
    if days <= 0:
        return False
    if days in ladder:
        return True
    return days > max(ladder) and days % YEAR_DAYS == 0


def next_milestone(days: int, ladder: Sequence[int] = DEFAULT_LADDER) -> int:
    """The first milestone strictly after `days`: the ladder, then every 365 days after it."""
    for step in sorted(ladder):
        if step > days:
            return step
    return (max(days, max(ladder)) // YEAR_DAYS + 1) * YEAR_DAYS


def highest_reached(days: int, at_least: int, ladder: Sequence[int] = DEFAULT_LADDER) -> int | None:
    """The highest milestone in [at_least, days], or None: what a belated celebration names."""
    best: int | None = None
    step = at_least if is_milestone(at_least, ladder) else next_milestone(at_least, ladder)
    while step <= days:
        best = step
        step = next_milestone(step, ladder)
    return best


def milestone_date(start: date, days: int) -> date:
    return start + timedelta(days=days)


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
