"""Keeping Steady's own REST traffic under Discord's global limit (50 requests per second).

discord.py only reacts to a global 429 after it happened; at that point every request waits.
The dispatcher asks this pacer before each request it makes (DM-channel opens included), so it
stays under the limit instead of bouncing off it. Real (loop) time, not the bot's clock:
Discord's limits run on real time even when the bot's clock is a test's ManualClock.
"""

from __future__ import annotations

import asyncio

# Below 50 to leave room for the network's jitter and for the bot's other REST calls.
DEFAULT_RATE = 47.0


class Pacer:
    def __init__(self, rate: float = DEFAULT_RATE) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._next_slot = 0.0
        self.requests = 0

    async def acquire(self) -> None:
        """Wait for this request's slot: slots are `interval` apart, handed out in call order."""
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        self.requests += 1
        if slot > now:
            await asyncio.sleep(slot - now)
