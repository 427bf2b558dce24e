"""The short trend in a check-in's reply ("mood 3, up from 2 yesterday") and history averages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from statistics import fmean
from zoneinfo import ZoneInfo

from bot.domain.local_time import local_date

_WEEK = 7


def mood_trend(
    mood: int, previous: tuple[datetime, int] | None, *, now: datetime, zone: ZoneInfo
) -> str:
    """Today's mood against the member's previous check-in ("mood 3, up from 2 yesterday"),
    with the day named on the member's own calendar. Facts only, never a judgement."""
    if previous is None:
        return f"mood {mood}"
    at, before = previous
    when = _when(local_date(at, zone), local_date(now, zone))
    if mood == before:
        return f"mood {mood}, the same as {when}"
    direction = "up" if mood > before else "down"
    return f"mood {mood}, {direction} from {before} {when}"


def _when(day: date, today: date) -> str:
    days = (today - day).days
    if days <= 0:
        return "earlier today"
    if days == 1:
        return "yesterday"
    if days < _WEEK:
        return f"on {day:%A}"
    return f"on {day.day} {day:%b}"


def average(values: Iterable[int]) -> float | None:
    """The mean of the scores, or None when there are none (shown as "no check-ins yet")."""
    collected = list(values)
    return fmean(collected) if collected else None
