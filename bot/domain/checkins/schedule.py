"""When a member's daily prompt is due, in their own zone, and when a late one is dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.local_time import local_date, local_to_utc

# Days are walked one by one; a week covers every day set and the search starts at most a
# year ahead (the longest pause), so this bound is never reached by a valid schedule.
_SEARCH_DAYS = 8


@dataclass(frozen=True, slots=True)
class PromptSchedule:
    """A member's prompt: local time, days (0 = Monday) and the last paused day, if any."""

    at: time
    days: frozenset[int]
    zone: ZoneInfo
    paused_through: date | None = None

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("a prompt schedule needs at least one day in 0..6")


def next_prompt(schedule: PromptSchedule, after: datetime) -> datetime:
    """The first prompt instant (UTC) strictly after `after`.

    The local time is kept on every day, across DST: a time inside the spring-forward gap moves
    forward by the gap and one inside the fall-back fold is the first of the two
    (see bot/domain/local_time.py). Days up to and including `paused_through` are skipped.
    """
    # Start a day early: the member's local date may be behind the UTC date.
    day = local_date(after, schedule.zone) - timedelta(days=1)
    if schedule.paused_through is not None and day <= schedule.paused_through:
        day = schedule.paused_through + timedelta(days=1)
    for offset in range(_SEARCH_DAYS + 1):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() not in schedule.days:
            continue
        candidate = local_to_utc(candidate_day, schedule.at, schedule.zone)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: every week holds a scheduled day")  # pragma: no cover


def prompt_is_stale(schedule: PromptSchedule, due: datetime, now: datetime) -> bool:
    """A prompt due at `due` that still has not gone out at `now` is dropped once the member's
    next prompt is due: two prompts at once, or yesterday's arriving today, helps nobody."""
    return now >= next_prompt(schedule, due)
