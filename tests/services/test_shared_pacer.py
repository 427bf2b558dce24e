"""The request budget shared by processes on one PostgreSQL database (bot/delivery/pacing.py):
a queue of requests leases its slots in few round trips, still evenly spaced."""

from __future__ import annotations

import asyncio

import pytest

from bot.db import Database
from bot.delivery.pacing import LARGEST_BLOCK, SharedPacer
from tests.databases import backend_name

pytestmark = pytest.mark.skipif(
    backend_name() != "postgresql", reason="the shared budget is PostgreSQL's (SQLite: one process)"
)


async def test_a_queue_of_requests_leases_its_slots_in_few_round_trips(database: Database) -> None:
    pacer = SharedPacer(database, rate=1000)  # one slot a millisecond, so the test is quick
    loop = asyncio.get_running_loop()
    start = loop.time()
    granted: list[float] = []

    async def request() -> None:
        await pacer.acquire()
        granted.append(loop.time() - start)

    await asyncio.gather(*(request() for _ in range(LARGEST_BLOCK + 6)))
    # One lease for as many as waited (up to LARGEST_BLOCK), then one for the rest: not one
    # round trip per 8 slots, which on a busy loop took longer than the slots lasted.
    assert pacer.leases == 2
    # Still one schedule, evenly spaced: the k-th request no sooner than k slots in.
    assert all(at >= k * 0.001 - 0.002 for k, at in enumerate(sorted(granted)))
    await pacer.close()
