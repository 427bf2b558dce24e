"""The one source of "now" for Steady.

Everything that needs the current time takes a `Clock`, so tests and the demo can move time
deliberately. No other module calls `datetime.now()`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests and the offline demo."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        instant = _require_aware(instant)
        if instant < self._now:
            raise ValueError("a ManualClock never goes backwards")
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("clock instants must be timezone-aware")
    return instant.astimezone(UTC)
