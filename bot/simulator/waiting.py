"""Waiting on a condition without polling or sleeping: every change wakes the waiters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Changes:
    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(self, probe: Callable[[], T | None], within: float) -> T:
        """The first truthy result of `probe`, re-checked after each change."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            while True:
                found = probe()
                if found:
                    return found
                waiter = loop.create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)
