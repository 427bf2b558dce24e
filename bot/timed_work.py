"""The protocol through which timed work tells the bot (and the simulator) when it is due."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class TimedWork(Protocol):
    async def next_due(self) -> datetime | None:
        """The earliest instant at which something is due, or None when nothing is pending."""
        ...

    async def run_due(self) -> None:
        """Handle everything due at the clock's current time and wait for it to settle."""
        ...
