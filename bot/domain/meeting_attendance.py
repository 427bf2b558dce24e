"""Attendance from voice presence, and the figures a member sees about their own commitment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.errors import InvalidInput

DEFAULT_PRESENCE_MINUTES = 10
DEFAULT_MINIMUM_PRESENCE = timedelta(minutes=DEFAULT_PRESENCE_MINUTES)
# A server may ask for as little as a minute (drop-in groups) and as much as the longest
# meeting lasts (480 minutes), matching the check constraint on meeting_settings.
MIN_PRESENCE_MINUTES = 1
MAX_PRESENCE_MINUTES = 480


def check_presence_minutes(minutes: int) -> int:
    """The voice minutes a server counts as attending, or a kind refusal."""
    if not MIN_PRESENCE_MINUTES <= minutes <= MAX_PRESENCE_MINUTES:
        raise InvalidInput(
            f"Presence minutes go from {MIN_PRESENCE_MINUTES} to {MAX_PRESENCE_MINUTES} (the "
            "longest a meeting can last). Nothing was changed."
        )
    return minutes


@dataclass(frozen=True, slots=True)
class Presence:
    """One stay in the meeting's voice channel; `left` is None while still there."""

    joined: datetime
    left: datetime | None = None


def time_present(presences: Sequence[Presence], start: datetime, end: datetime) -> timedelta:
    """How long someone was in the channel during [start, end): overlapping stays (a second
    device, a reconnect) are counted once."""
    spans = sorted(
        (max(p.joined, start), min(p.left or end, end))
        for p in presences
        if p.joined < end and (p.left is None or p.left > start)
    )
    merged: list[list[datetime]] = []
    for span_start, span_end in spans:
        if merged and span_start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span_end)
        else:
            merged.append([span_start, span_end])
    return sum((span_end - span_start for span_start, span_end in merged), timedelta(0))


def attended_by_voice(
    presences: Sequence[Presence],
    start: datetime,
    end: datetime,
    minimum: timedelta = DEFAULT_MINIMUM_PRESENCE,
) -> bool:
    """Present for at least `minimum` (server setting, default 10 minutes) of the occurrence."""
    return time_present(presences, start, end) >= minimum


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def weeks_in_a_row(attended: Iterable[date], today: date) -> int:
    """Consecutive weeks (Monday to Sunday, local dates) with at least one group, ending this
    week, or last week while this week has none yet: a week still under way breaks nothing."""
    weeks = {week_start(day) for day in attended if day <= today}
    current = week_start(today)
    if current not in weeks:
        current -= timedelta(days=7)
    count = 0
    while current in weeks:
        count += 1
        current -= timedelta(days=7)
    return count


def groups_since(attended: Iterable[datetime], since: datetime) -> int:
    """Groups attended at or after `since` (e.g. the last 30 days)."""
    return sum(1 for at in attended if at >= since)
