"""Recurring meetings: when each occurrence happens, and reading what moderators type.

Occurrences come from `dateutil.rrule` over the meeting's *local* wall clock (naive datetimes
in its own zone), so 19:00 stays 19:00 local across daylight saving time; each wall time is
then turned into an instant by the rules in bot/domain/local_time.py: a time inside the
spring-forward gap moves forward by the gap (02:30 → 03:30) and one inside the fall-back fold
is the first of the two. Nothing is stored per occurrence: callers ask for the next few.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule, weekday

from bot.domain.local_time import local_date, local_to_utc
from bot.domain.weekdays import parse_weekdays
from bot.errors import InvalidInput

MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 15, 480, 60
MAX_REMINDER = timedelta(days=7)
MAX_REMINDERS = 5
DEFAULT_REMINDERS = (timedelta(hours=1),)
MAX_TITLE = 100
MAX_LOCATION = 100

_WEEKDAYS = tuple(weekday(index) for index in range(7))
_OFFSET = re.compile(r"(\d{1,5})([dhm])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MENTION = re.compile(r"<[@#][!&]?\d+>|@(everyone|here)|<@|@", re.IGNORECASE)
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A meeting's rule: these weekdays (0 = Monday) at this local time, from `starts` to
    `ends` (inclusive, local dates), except the `cancelled` local dates."""

    weekdays: frozenset[int]
    at: time
    zone: ZoneInfo
    starts: date
    ends: date | None = None
    cancelled: frozenset[date] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("a recurrence needs at least one weekday in 0..6")
        if self.ends is not None and self.ends < self.starts:
            raise ValueError("a recurrence cannot end before it starts")


@lru_cache(maxsize=4096)
def _wall_times(weekdays: frozenset[int], at: time, first: date, ends: date | None) -> rrule:
    """The rule's local wall times from the local date `first` on. Remembered: building an
    rrule costs more than walking the few dates asked of it, and `/meeting list` asks for the
    same meetings' week over and over through a day, as planning does for meetings of one
    pattern ("weekdays at 19:00"). (rrule's own result cache is left off: it made the first
    walk of a rule three times slower, and most walks are first ones.) The cancelled dates are
    skipped by the caller, so the key holds only what shapes the rule."""
    wall = at.replace(tzinfo=None, fold=0)
    return rrule(
        WEEKLY,
        dtstart=datetime.combine(first, wall),
        until=None if ends is None else datetime.combine(ends, wall),
        byweekday=[_WEEKDAYS[day] for day in sorted(weekdays)],
    )


def _instants(recurrence: Recurrence, after: datetime) -> Iterator[datetime]:
    # Walk from the local day before `after`: the meeting's date may be behind UTC's.
    from_day = local_date(after, recurrence.zone) - timedelta(days=1)
    first = max(from_day, recurrence.starts)
    for wall in _wall_times(recurrence.weekdays, recurrence.at, first, recurrence.ends):
        day = wall.date()
        if day in recurrence.cancelled:  # an EXDATE: that one session does not happen
            continue
        instant = local_to_utc(day, recurrence.at, recurrence.zone)
        if instant > after:
            yield instant


def occurrences_after(recurrence: Recurrence, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrence starts (aware UTC) strictly after `after`, in order."""
    return list(islice(_instants(recurrence, after), count))


def next_occurrence(recurrence: Recurrence, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after`, or None once the meeting has ended."""
    return next(_instants(recurrence, after), None)


def occurrences_between(recurrence: Recurrence, start: datetime, end: datetime) -> list[datetime]:
    """Occurrence starts with `start` <= t < `end` (aware UTC), in order."""
    found: list[datetime] = []
    for instant in _instants(recurrence, start - timedelta(microseconds=1)):
        if instant >= end:
            break
        found.append(instant)
    return found


def occurrence_on(recurrence: Recurrence, day: date) -> datetime | None:
    """The occurrence on local date `day`, if the rule has one there and it is not cancelled
    (what `/meeting cancel date:` checks before cancelling)."""
    if day.weekday() not in recurrence.weekdays or day in recurrence.cancelled:
        return None
    if day < recurrence.starts or (recurrence.ends is not None and day > recurrence.ends):
        return None
    return local_to_utc(day, recurrence.at, recurrence.zone)


def reminder_is_stale(occurrence_start: datetime, now: datetime) -> bool:
    """A reminder whose occurrence has already started is dropped, never sent late."""
    return now >= occurrence_start


def reminder_instants(
    occurrence_start: datetime, offsets: tuple[timedelta, ...]
) -> list[tuple[timedelta, datetime]]:
    """(offset, when) for each reminder of one occurrence, earliest first."""
    return sorted(
        ((offset, occurrence_start - offset) for offset in offsets), key=lambda pair: pair[1]
    )


# Reading what moderators and members type.


def parse_meeting_weekdays(raw: str) -> frozenset[int]:
    """`daily`, `weekdays` or a list like `mon,wed,fri`; `mon,funday` is refused kindly."""
    return parse_weekdays(raw)


def parse_duration(raw: int | None) -> timedelta:
    """Minutes, 15–480 (default 60)."""
    minutes = DEFAULT_DURATION if raw is None else raw
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise InvalidInput(
            f"A meeting lasts {MIN_DURATION} to {MAX_DURATION} minutes (8 hours); "
            f"for example `duration:90`."
        )
    return timedelta(minutes=minutes)


def parse_reminders(raw: str | None) -> tuple[timedelta, ...]:
    """Offsets before the start like `24h,1h,10m` (also `2d`, `1h30m`), up to 7 days, up to 5
    of them; returned longest first, each once. Unset means one hour before."""
    if raw is None:
        return DEFAULT_REMINDERS
    pieces = [piece for piece in raw.replace(",", " ").split() if piece]
    if not pieces:
        raise InvalidInput("Please give reminder times like `24h,1h,10m`.")
    offsets: set[timedelta] = set()
    for piece in pieces:
        offsets.add(_offset(piece))
    if len(offsets) > MAX_REMINDERS:
        raise InvalidInput(f"Up to {MAX_REMINDERS} reminders per meeting, please.")
    return tuple(sorted(offsets, reverse=True))


def _offset(piece: str) -> timedelta:
    text = piece.strip().casefold()
    parts = _OFFSET.findall(text)
    shown = piece[:12].replace("`", "'")
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text.replace(" ", ""):
        raise InvalidInput(
            f"`{shown}` isn't a reminder time I can read. Use a number with d, h or m, "
            "like `24h,1h,10m` (hours, minutes) or `2d` (days)."
        )
    offset = sum((int(number) * _UNITS[unit] for number, unit in parts), timedelta())
    if offset <= timedelta(0):
        raise InvalidInput("A reminder has to come before the meeting, like `10m`.")
    if offset > MAX_REMINDER:
        raise InvalidInput(
            f"`{shown}` is more than 7 days before the meeting; reminders can be up to `7d`."
        )
    return offset


def format_reminders(offsets: tuple[timedelta, ...]) -> str:
    """The canonical spelling, which `parse_reminders` reads back: `24h,1h,10m`."""
    return ",".join(_format_offset(offset) for offset in offsets)


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:  # "24h" reads better than "1d"
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest}m" if hours else f"{rest}m"


def parse_meeting_date(raw: str, *, what: str) -> date:
    """A YYYY-MM-DD date for `starts`, `ends` or `cancel date:`."""
    text = raw.strip()
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    shown = text[:12].replace("`", "'")
    raise InvalidInput(f"`{shown}` isn't a date I can read for `{what}`; use YYYY-MM-DD.")


def check_date_range(starts: date, ends: date | None) -> None:
    if ends is not None and ends < starts:
        raise InvalidInput(f"`ends` ({ends}) is before `starts` ({starts}); please swap them.")


def parse_title(raw: str) -> str:
    """1–100 characters of plain text: no mentions (a title is shown in pings and embeds)."""
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput("A meeting needs a title, like `Tuesday evening group`.")
    if len(text) > MAX_TITLE:
        raise InvalidInput(f"Please keep the title to {MAX_TITLE} characters or fewer.")
    if _MENTION.search(text):
        raise InvalidInput("The title can't contain mentions or @; use the `role` option to ping.")
    return text


def parse_location(raw: str | None) -> str | None:
    """Where an in-person or external meeting happens: up to 100 characters, no mentions."""
    if raw is None or not raw.strip():
        return None
    text = " ".join(raw.split())
    if len(text) > MAX_LOCATION:
        raise InvalidInput(f"Please keep the location to {MAX_LOCATION} characters or fewer.")
    if _MENTION.search(text):
        raise InvalidInput("The location can't contain mentions or @.")
    return text
