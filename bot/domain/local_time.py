"""Wall-clock times in a member's or a meeting's own zone, and the instants they name.

Two rules decide what a local time means on the days daylight saving time changes:
- a time that does not exist (the spring-forward gap) moves forward by the length of the gap,
  so 02:30 on the day New York skips from 02:00 to 03:00 is 03:30 EDT;
- a time that happens twice (the fall-back fold) is the first of the two, so 01:30 on the day
  New York repeats 01:00–02:00 is 01:30 EDT, not EST.
These are what `zoneinfo` does with `fold=0`, and what RFC 5545 prescribes for calendars, so a
phone calendar reading Steady's .ics agrees with Steady's own reminders.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput

_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def parse_clock_time(raw: str) -> time:
    """An HH:MM time on a 24-hour clock (`9:05` is accepted as 09:05)."""
    match = _HHMM.fullmatch(raw.strip())
    if match is not None:
        hour, minute = (int(part) for part in match.groups())
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput("Please give the time as HH:MM on a 24-hour clock, for example `20:00`.")


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day` in `zone`, by the two rules above."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    return wall.astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date on the wall clock in `zone` at `instant`."""
    return instant.astimezone(zone).date()
