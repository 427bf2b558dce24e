"""How the demo's transcript reads: headings with the date and the members' local times, and
`<t:…>` markup as each reader's Discord client shows it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# Whose local time the section headings show, beside UTC.
LOCAL_TIMES = (("New York", "America/New_York"), ("London", "Europe/London"))
PLACES = {zone: place for place, zone in LOCAL_TIMES}
# A reader nobody gave a zone to reads in the community's own city.
DEFAULT_ZONE = "America/New_York"

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
# Who reads a transcript line: the member of a DM, or whoever alone sees an ephemeral reply.
_READER = re.compile(r"^(?:DM to (\S+)|\S+ \(only (\S+) sees\))")


def heading(text: str, when: datetime) -> str:
    """A section heading with the date and the time in UTC and where the members live."""
    local = " · ".join(
        f"{when.astimezone(ZoneInfo(zone)):%H:%M} {place}" for place, zone in LOCAL_TIMES
    )
    return f"\n── {text} ({when:%a %-d %b %Y}, {when:%H:%M} UTC · {local}) ──"


def _relative(at: datetime, now: datetime) -> str:
    minutes = round((now - at).total_seconds() / 60)
    if abs(minutes) < 1:
        return "just now"
    if abs(minutes) < 90:
        amount = f"{abs(minutes)} minute{'' if abs(minutes) == 1 else 's'}"
    else:
        hours = round(abs(minutes) / 60)
        amount = f"{hours} hour{'' if hours == 1 else 's'}"
    return f"{amount} ago" if minutes > 0 else f"in {amount}"


def readable_timestamps(text: str, now: datetime, zone: str = DEFAULT_ZONE) -> str:
    """`<t:…>` markup as a client in `zone` shows it at `now` ("R" counts from `now`)."""
    place = PLACES.get(zone, zone)

    def shown(match: re.Match[str]) -> str:
        at = datetime.fromtimestamp(int(match.group(1)), tz=UTC).astimezone(ZoneInfo(zone))
        style = match.group(2)
        if style == "R":
            return _relative(at, now)
        if style in ("t", "T"):
            return f"{at:%H:%M} {place} time"
        if style in ("d", "D"):
            return f"{at:%a %-d %b %Y}"
        return f"{at:%a %-d %b %Y %H:%M} {place} time"

    return _TIMESTAMP.sub(shown, text)


class ReadableLines(list[str]):
    """The simulator's transcript lines, each made readable when it is written: at that
    moment of the demo's clock (a reminder's "in 1 hour" stays what its reader saw) and in
    its reader's timezone (`zones` by member name, else DEFAULT_ZONE)."""

    def __init__(self, now: Callable[[], datetime], zones: Mapping[str, str]) -> None:
        super().__init__()
        self._now = now
        self._zones = zones
        self._muted = False

    def append(self, line: str) -> None:
        if self._muted:
            return
        found = _READER.match(line)
        reader = (found.group(1) or found.group(2)) if found else None
        zone = self._zones.get(reader or "", DEFAULT_ZONE)
        super().append(readable_timestamps(line, self._now(), zone))

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Steps that are only the demo's way of waiting are not shown."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False
