"""The request budget shared by processes on one PostgreSQL database (bot/delivery/pacing.py
`SharedPacer`): a lone process holds the whole window and a crowd of alerts leaves at once;
two processes crowding together never exceed the window between them and both are served; a
process that stopped frees its tokens at once, one that died when its holding lapses; and a
database out of reach slows requests to an even pace instead of stalling them. Real loop
time, with a window scaled down to 0.2 s."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import Database
from bot.delivery.pacing import LAPSE_GRACE, RENEW_EVERY, SharedPacer
from tests.databases import backend_name
from tests.unit.test_pacing import EPSILON, crowd

pytestmark = pytest.mark.skipif(
    backend_name() != "postgresql", reason="the shared budget is PostgreSQL's (SQLite: one process)"
)

WINDOW = 0.2
BURST = 48


def most_in_a_window(arrivals: list[float], window: float = WINDOW) -> int:
    """The most requests that reached "Discord" within any `window` (sliding)."""
    ordered = sorted(arrivals)
    return max(
        sum(1 for later in ordered[i:] if later < at + window - EPSILON)
        for i, at in enumerate(ordered)
    )


async def holdings(database: Database) -> dict[str, int]:
    async with database.read() as session:
        rows = await session.execute(text("SELECT holder, held FROM request_tokens"))
        return {holder: held for holder, held in rows.all()}


async def holding_all(
    database: Database, holder: str, other: str
) -> tuple[SharedPacer, SharedPacer]:
    """Two processes' pacers; the first has taken the whole window, before the other asks."""
    first = SharedPacer(database, burst=BURST, window=WINDOW, holder=holder)
    second = SharedPacer(database, burst=BURST, window=WINDOW, holder=other)
    await crowd(first, 1)
    assert first.held == BURST
    return first, second


async def held_elsewhere(database: Database, held: int, *, lapse_ours: bool = False) -> None:
    """Another process holds `held` tokens for a minute (after ours lapsed, if `lapse_ours`)."""
    async with database.transaction() as session:
        if lapse_ours:
            await session.execute(text("UPDATE request_tokens SET expires_at = 0"))
        await session.execute(
            text(
                "INSERT INTO request_tokens (holder, held, wanted, expires_at) "
                "VALUES ('other', :held, 0, EXTRACT(EPOCH FROM clock_timestamp()) + 60)"
            ),
            {"held": held},
        )


async def test_a_lone_process_sends_a_crowd_of_alerts_at_once(database: Database) -> None:
    pacer = SharedPacer(database, burst=BURST, window=WINDOW, holder="alone")
    arrivals = await crowd(pacer, 100)
    # After the one renewal that takes the whole window: the first 48 at once, the rest as
    # the first ones' answers are a window old. Not evenly spaced, one after the other.
    assert arrivals[BURST - 1] - arrivals[0] < WINDOW / 4
    assert most_in_a_window(arrivals) <= BURST
    assert pacer.held == BURST
    assert pacer.renewals <= 3
    await pacer.close()


async def test_two_processes_crowding_together_share_the_window_and_both_are_served(
    database: Database,
) -> None:
    first, second = await holding_all(database, "first", "second")
    both = await asyncio.gather(crowd(first, 150), crowd(second, 150))
    assert len(both[0]) == len(both[1]) == 150
    # Both lists are timed from the same moment: together never more than the window allows.
    assert most_in_a_window(both[0] + both[1]) <= BURST
    # The second was given tokens within a renewal or two, not after the first's crowd.
    assert min(both[1]) < 3 * RENEW_EVERY
    assert sum((await holdings(database)).values()) <= BURST
    await first.close()
    await second.close()


async def test_a_busy_process_gives_tokens_back_to_another_processs_alerts(
    database: Database,
) -> None:
    wave, alerts = await holding_all(database, "wave", "alerts")
    bulk = asyncio.create_task(crowd(wave, 40 * BURST))  # a wave lasting 40 windows (8 s)
    arrived = await crowd(alerts, 10)
    # Within a renewal of the wave's keeper, a window of its requests draining and a starved
    # poll or two: not at the end of the wave, which is still going.
    assert max(arrived) < 3 * RENEW_EVERY + 2 * WINDOW
    assert not bulk.done()
    bulk.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await bulk
    await wave.close()
    await alerts.close()


async def test_a_process_that_needs_nothing_gives_its_tokens_to_one_that_is_short(
    database: Database,
) -> None:
    quiet, busy = await holding_all(database, "quiet", "busy")
    arrivals = await crowd(busy, 10 * BURST)
    # At the whole window's rate once the quiet one gave back (about a renewal), not at half.
    windows = (arrivals[-1] - arrivals[0]) / WINDOW
    assert windows < 10 + 2 * RENEW_EVERY / WINDOW
    assert most_in_a_window(arrivals) <= BURST
    await quiet.close()
    await busy.close()


async def test_a_process_that_stops_frees_its_tokens_as_its_requests_stop_counting(
    database: Database,
) -> None:
    leaving = SharedPacer(database, burst=BURST, window=WINDOW, holder="leaving")
    await crowd(leaving, 1)
    assert (await holdings(database))["leaving"] == BURST
    await leaving.close()
    # Its one request still counts for a window after its answer: that token stays its own.
    assert await holdings(database) == {"leaving": 1}
    arriving = SharedPacer(database, burst=BURST, window=WINDOW, holder="arriving")
    arrivals = await crowd(arriving, BURST)
    assert arrivals[BURST - 2] - arrivals[0] < WINDOW / 4  # the rest of the window at once
    assert arrivals[-1] - arrivals[0] >= WINDOW / 2  # the last once that request stopped counting
    still = arriving.counted
    assert still >= 1  # its last request was answered less than a window ago
    await arriving.close()
    assert (await holdings(database))["arriving"] == still

    idle = SharedPacer(database, burst=BURST, window=WINDOW, holder="idle")
    await idle.close()  # nothing counted: nothing kept
    assert "idle" not in await holdings(database)


async def test_the_tokens_of_a_process_that_died_are_free_once_its_holding_lapses(
    database: Database,
) -> None:
    dead = SharedPacer(database, burst=BURST, window=WINDOW, holder="dead", ttl=0.5)
    await crowd(dead, 1)
    assert dead._keeper is not None
    dead._keeper.cancel()  # killed: nothing renews it, nothing gives it back
    loop = asyncio.get_running_loop()
    start = loop.time()
    survivor = SharedPacer(database, burst=BURST, window=WINDOW, holder="survivor")
    arrivals = await crowd(survivor, BURST)
    # Not before the dead one's holding lapsed, and a grace after it for its last requests.
    assert loop.time() - start >= 0.5 + LAPSE_GRACE - 0.1
    assert arrivals[-1] - arrivals[0] < WINDOW  # then the whole window
    assert survivor.held == BURST
    await survivor.close()


async def test_a_renewal_after_its_own_holding_lapsed_takes_back_only_free_tokens(
    database: Database,
) -> None:
    late = SharedPacer(database, burst=BURST, window=WINDOW, holder="late")
    await crowd(late, 1)
    assert late.held == BURST
    # Its row lapsed in the database (its renewals stalled) and another took the tokens.
    await held_elsewhere(database, BURST, lapse_ours=True)
    await late._renew()
    assert late.held == 0
    assert sum((await holdings(database)).values()) == BURST
    await late.close()


async def test_a_renewal_after_a_lapse_still_publishes_what_it_counts(database: Database) -> None:
    late = SharedPacer(database, burst=BURST, window=WINDOW, holder="late")
    await crowd(late, 1)
    await held_elsewhere(database, BURST - 10, lapse_ours=True)
    assert late.counted == 1  # answered less than a window ago
    await late._renew()
    held = await holdings(database)
    assert held["late"] >= 1  # the request it still counts is in its row, not given away
    assert sum(held.values()) <= BURST
    await late.close()


async def test_a_database_out_of_reach_holds_new_requests_without_hammering_it() -> None:
    unreachable = Database.connect(make_url("postgresql+asyncpg://steady@127.0.0.1:9/none"))
    pacer = SharedPacer(unreachable, burst=BURST, window=WINDOW, holder="cut off")
    try:
        # Nothing sent: the process could not record what it sent, and holds no token.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(crowd(pacer, 3), 1.0)
        # Asked again after 0.1 s, then less and less often: not in a loop.
        assert 2 <= pacer.attempts <= 6
        assert pacer.renewals == 0
    finally:
        await pacer.close()
        await unreachable.dispose()


async def test_a_request_after_one_gave_up_while_starved_is_still_served(
    database: Database,
) -> None:
    await held_elsewhere(database, BURST)
    pacer = SharedPacer(database, burst=BURST, window=WINDOW, holder="starved")
    # Every token is held elsewhere: the request gives up (a row's time limit ran out).
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pacer.acquire(urgent=True), 0.3)
    keeper = pacer._keeper
    assert keeper is not None
    await asyncio.wait_for(keeper, 5)  # nothing held, counted or waiting: the keeper ended
    async with database.transaction() as session:
        await session.execute(text("DELETE FROM request_tokens WHERE holder = 'other'"))
    # The ticker still waits inside its slot for the one that gave up: the next request must
    # start the keeper again, or nothing is ever sent.
    await asyncio.wait_for(pacer.acquire(urgent=True), 3)
    pacer._release(sent=True)
    await pacer.close()
