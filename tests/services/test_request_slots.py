"""PostgreSQL: members' urgent requests are recorded a few at a time, in order
(bot/db/write_turns.py REQUESTS_AT_ONCE): side by side on one event loop they only share it,
and a crowd of alerts each took 0.6 s to record. A transaction inside one under way takes no
slot of its own, so it cannot wait for its own outer transaction."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.db import Database, Urgency
from bot.db.write_turns import REQUESTS_AT_ONCE
from tests.databases import backend_name

pytestmark = pytest.mark.skipif(
    backend_name() != "postgresql",
    reason="PostgreSQL's transactions run side by side (SQLite's take turns, one at a time)",
)


async def test_urgent_requests_are_recorded_a_few_at_a_time_in_order(database: Database) -> None:
    inside: list[int] = []
    entered: list[int] = []
    most = 0
    release = asyncio.Event()

    async def request(number: int) -> None:
        nonlocal most
        async with database.transaction(Urgency.REQUEST) as session:
            entered.append(number)
            inside.append(number)
            most = max(most, len(inside))
            await session.execute(text("SELECT 1"))
            await release.wait()
            inside.remove(number)

    tasks = [asyncio.create_task(request(n)) for n in range(6)]
    # Entering the block needs no round trip (the connection is taken at the first
    # statement): a few passes of the loop let in everyone who may come in.
    for _ in range(50):
        await asyncio.sleep(0)
    assert entered == list(range(REQUESTS_AT_ONCE))  # the first ones, and no more
    release.set()
    await asyncio.gather(*tasks)
    assert most == REQUESTS_AT_ONCE
    assert entered == list(range(6))  # first come, first recorded


async def test_a_request_inside_a_request_takes_no_slot(database: Database) -> None:
    async def nested() -> int:
        async with (
            database.transaction(Urgency.REQUEST),
            database.transaction(Urgency.REQUEST) as inner,
        ):
            return int(await inner.scalar(text("SELECT 1")) or 0)

    # More of them than slots, each holding one while it opens the inner transaction.
    results = await asyncio.wait_for(
        asyncio.gather(*(nested() for _ in range(REQUESTS_AT_ONCE + 2))), 10
    )
    assert results == [1] * (REQUESTS_AT_ONCE + 2)
