"""The outbox on a real database: writing rows, claiming them, status, pruning, acknowledgements.

Sending itself is the dispatcher's REST edge and is tested end to end through the simulator
(tests/e2e/test_delivery*.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest
from discord.http import HTTPClient
from sqlalchemy import select, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import DueWork, OutboxMessage
from bot.delivery import acks
from bot.delivery.buttons import ack_button, action_row
from bot.delivery.dispatcher import (
    LEASE,
    MAX_ATTEMPTS,
    UNCERTAIN_ATTEMPTS,
    UNCERTAIN_CAP,
    Dispatcher,
    Refused,
    Retry,
    Sent,
)
from bot.delivery.outbox import (
    AS_SOON_AS_POSSIBLE,
    OutgoingMessage,
    Target,
    UndeliverableHandlers,
    enqueue,
)
from bot.delivery.status import DeliveryHealth
from bot.scheduling import ledger
from bot.scheduling.maintenance import KEEP_SENT, prune

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
GUILD = 1001


async def add(
    database: Database, n: int = 1, *, purpose: str = "test.dm", **kwargs: object
) -> list[int]:
    ids = []
    async with database.transaction() as session:
        for i in range(n):
            ids.append(
                await enqueue(
                    session,
                    target=Target("dm", 500 + i),
                    message=OutgoingMessage(content=f"hello {i}"),
                    purpose=purpose,
                    guild_id=GUILD,
                    **kwargs,  # type: ignore[arg-type]
                )
            )
    return ids


async def outbox(database: Database) -> list[OutboxMessage]:
    async with database.read() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(found.all())


def dispatcher(database: Database, clock: ManualClock, worker: str, **kwargs: object) -> Dispatcher:
    http = HTTPClient(asyncio.get_running_loop())
    return Dispatcher(http, database, clock, worker=worker, **kwargs)  # type: ignore[arg-type]


class Unlucky(random.Random):
    """Jitter at its longest: the back-off's upper bound."""

    def random(self) -> float:
        return 0.999


async def test_enqueue_stores_the_message_ready_at_once(database: Database) -> None:
    async with database.transaction() as session:
        row_id = await enqueue(
            session,
            target=Target("dm", 7),
            message=OutgoingMessage(
                content="Your mentor checked in",
                embeds=({"title": "Check-in"},),
                components=(action_row(ack_button("I'm reaching out")),),
                mention_users=(7,),
            ),
            purpose="checkin.alert",
            subject_id=99,
            guild_id=GUILD,
            fallback=Target("channel", 8),
        )
    [row] = await outbox(database)
    assert row.id == row_id
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, AS_SOON_AS_POSSIBLE)
    assert (row.target_kind, row.target_id, row.fallback_kind, row.fallback_id) == (
        "dm",
        7,
        "channel",
        8,
    )
    assert row.public is False
    assert row.payload["content"] == "Your mentor checked in"
    assert row.payload["embeds"] == [{"title": "Check-in"}]
    button = row.payload["components"][0]["components"][0]
    assert button["custom_id"] == f"steady:ack:{row_id}"  # the row's own id, for after restarts
    assert row.payload["mention_users"] == [7]


async def test_enqueue_refuses_what_cannot_be_right(database: Database) -> None:
    with pytest.raises(ValueError, match="needs content"):
        OutgoingMessage()
    with pytest.raises(ValueError, match="unknown target kind"):
        Target("group", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="purpose"):
        await add(database, purpose="")
    assert await outbox(database) == []


async def test_not_before_holds_a_message_back(database: Database) -> None:
    clock = ManualClock(T0)
    await add(database, not_before=T0 + timedelta(hours=2))
    work = dispatcher(database, clock, "a")
    assert await work.next_due() == T0 + timedelta(hours=2)
    assert await work.claim(T0) == []
    assert len(await work.claim(T0 + timedelta(hours=2))) == 1


async def test_claims_are_disjoint_and_leased(database_url: URL) -> None:
    first, second = Database.connect(database_url), Database.connect(database_url)
    try:
        clock = ManualClock(T0)
        await add(first, 250)
        a, b = dispatcher(first, clock, "a"), dispatcher(second, clock, "b")

        async def drain(work: Dispatcher) -> list[int]:
            taken: list[int] = []
            while batch := await work.claim(T0):
                taken.extend(row.id for row in batch)
                await asyncio.sleep(0)
            return taken

        got_a, got_b = await asyncio.gather(drain(a), drain(b))
        assert not set(got_a) & set(got_b)
        assert len(got_a) + len(got_b) == 250
        rows = await outbox(first)
        assert {r.next_attempt_at for r in rows} == {T0 + LEASE}
        assert {r.attempts for r in rows} == {1}
        # A claimer that died: its rows come back once the lease is over.
        assert await a.claim(T0 + LEASE - timedelta(seconds=1)) == []
        assert len(await b.claim(T0 + LEASE)) == 100
    finally:
        await first.dispose()
        await second.dispose()


async def test_status_counts_without_content(database: Database) -> None:
    clock = ManualClock(T0)
    ids = await add(database, 6)
    await add(database, 1, purpose="other.guild")
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[0])
            .values(state="dead", last_error="400/50035", finished_at=T0 - timedelta(minutes=1))
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(state="failed", last_error="DMs closed (403/50007)", finished_at=T0)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[2])
            .values(last_error="503", attempts=2)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[3])
            .values(state="sent", finished_at=T0)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.purpose == "other.guild")
            .values(guild_id=GUILD + 1)
        )
        await ledger.schedule(session, "milestone", 1, T0 - timedelta(hours=1), guild_id=GUILD)
        await ledger.schedule(session, "milestone", 2, T0 + timedelta(hours=1), guild_id=GUILD)
        await ledger.schedule(session, "milestone", 3, T0 - timedelta(hours=1), guild_id=GUILD + 1)
    report = await DeliveryHealth(database, clock).report(GUILD)
    assert (report.outbox_pending, report.outbox_retrying) == (3, 1)
    assert (report.outbox_failed, report.outbox_dead) == (1, 1)
    assert [(p.what, p.reason) for p in report.latest_problems] == [
        ("test.dm", "DMs closed (403/50007)"),
        ("test.dm", "400/50035"),
    ]
    assert (report.work_pending, report.work_overdue) == (2, 1)
    text = repr(report)
    assert "hello" not in text  # never the messages themselves


async def test_prune_keeps_pending_and_recent_rows(database: Database) -> None:
    clock = ManualClock(T0)
    old, recent, pending, dead = await add(database, 4)
    async with database.transaction() as session:
        for row_id, state, finished in (
            (old, "sent", T0 - KEEP_SENT - timedelta(hours=1)),
            (recent, "sent", T0 - timedelta(days=1)),
            (dead, "dead", T0 - KEEP_SENT - timedelta(hours=1)),
        ):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(state=state, finished_at=finished)
            )
        session.add(
            DueWork(
                kind="x",
                subject_id=1,
                due_at=T0,
                available_at=T0,
                state="done",
                attempts=1,
                finished_at=T0 - timedelta(days=40),
            )
        )
    pruned = await prune(database, clock)
    assert (pruned.outbox, pruned.due_work) == (1, 1)
    assert [r.id for r in await outbox(database)] == [recent, pending, dead]


async def test_the_first_acknowledgement_counts(database: Database) -> None:
    clock = ManualClock(T0)
    calls: list[tuple[int | None, int]] = []

    async def acknowledged(session: AsyncSession, subject_id: int | None, user_id: int) -> str:
        calls.append((subject_id, user_id))
        return "Thank you for reaching out."

    acks.on_acknowledged("test.ack", acknowledged)
    [row_id] = await add(database, purpose="test.ack", subject_id=77)
    await mark_sent(database, row_id, message_id=4242)
    service = acks.Acknowledgements(database, clock)
    assert await service.acknowledge(row_id, 5, 4242) == "Thank you for reaching out."
    assert await service.acknowledge(row_id, 6, 4242) == acks.AGAIN
    assert await service.acknowledge(row_id + 100, 5, 4242) == acks.GONE
    assert calls == [(77, 5)]
    [row] = await outbox(database)
    assert (row.acknowledged_by, row.acknowledged_at) == (5, T0)


async def mark_sent(database: Database, row_id: int, *, message_id: int) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(state="sent", sent_channel_id=1, sent_message_id=message_id, finished_at=T0)
        )


async def test_a_button_of_another_message_does_not_acknowledge_this_row(
    database: Database,
) -> None:
    """On SQLite an outbox id can come back after pruning: a button left on an old message
    carries the same id as a new row, but it is not the new row's message."""
    clock = ManualClock(T0)
    calls: list[tuple[int | None, int]] = []

    async def acknowledged(session: AsyncSession, subject_id: int | None, user_id: int) -> None:
        calls.append((subject_id, user_id))

    acks.on_acknowledged("test.reused", acknowledged)
    [row_id] = await add(database, purpose="test.reused", subject_id=78)
    service = acks.Acknowledgements(database, clock)
    assert await service.acknowledge(row_id, 5, 1111) == acks.NOT_YET  # not marked sent yet
    await mark_sent(database, row_id, message_id=2222)
    assert await service.acknowledge(row_id, 5, 1111) == acks.GONE  # the old message's button
    [row] = await outbox(database)
    assert (row.acknowledged_by, row.acknowledged_at) == (None, None)
    assert calls == []
    assert await service.acknowledge(row_id, 6, 2222) == acks.FIRST  # its own button counts
    assert calls == [(78, 6)]


async def test_a_process_whose_claim_ran_out_does_not_record_over_the_new_holder(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(T0)
    [row_id] = await add(database)
    slow, other = dispatcher(database, clock, "slow"), dispatcher(database, clock, "other")
    [mine] = await slow.claim(T0)
    [theirs] = await other.claim(T0 + LEASE)  # the slow one's lease ran out
    with caplog.at_level(logging.WARNING, logger="bot.delivery.dispatcher"):
        await slow._record(mine, Sent("target", 1, 111))
        await slow._record(mine, Retry("503", uncertain=True))
    [row] = await outbox(database)
    assert (row.state, row.claimed_by, row.attempts) == ("pending", "other", 2)
    assert row.sent_message_id is None
    assert slow.stats.claims_lost == 2
    lost = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert lost == [
        f"outbox row {row_id} (test.dm): claim lost before recording Sent; left to its holder",
        f"outbox row {row_id} (test.dm): claim lost before recording Retry; left to its holder",
    ]
    await other._record(theirs, Sent("target", 1, 222))
    [row] = await outbox(database)
    assert (row.state, row.sent_message_id) == ("sent", 222)


async def test_uncertain_outcomes_are_retried_within_the_nonce_window(database: Database) -> None:
    """A network error, a timeout or a 5xx may hide a message Discord accepted: its first
    retries come back while Discord still de-duplicates the nonce (about five minutes)."""
    clock = ManualClock(T0)
    await add(database, 2)
    work = dispatcher(database, clock, "a", rng=Unlucky())
    waits: list[timedelta] = []
    certain_waits: list[timedelta] = []
    for _attempt in range(UNCERTAIN_ATTEMPTS + 1):
        now = clock.now()
        uncertain, certain = await work.claim(now)
        await work._record(uncertain, Retry("network: ClientOSError", uncertain=True))
        await work._record(certain, Retry("a failure known not to have posted"))
        rows = await outbox(database)
        waits.append(rows[0].next_attempt_at - now)
        certain_waits.append(rows[1].next_attempt_at - now)
        clock.set(max(r.next_attempt_at for r in rows))
    assert all(wait <= UNCERTAIN_CAP for wait in waits[:UNCERTAIN_ATTEMPTS])
    assert sum(waits[:UNCERTAIN_ATTEMPTS], timedelta()) < timedelta(minutes=5)
    assert certain_waits[UNCERTAIN_ATTEMPTS - 1] > UNCERTAIN_CAP  # the plain back-off
    assert waits[UNCERTAIN_ATTEMPTS] > UNCERTAIN_CAP  # later ones back off as before


async def test_a_failing_undeliverable_handler_is_retried_then_given_up(
    database: Database,
) -> None:
    """The message is not sent again for the feature's sake: only its handler is tried again,
    with back-off, until MAX_ATTEMPTS runs."""
    clock = ManualClock(T0)
    calls: list[int | None] = []

    async def broken(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        calls.append(subject_id)
        raise RuntimeError("the feature's bookkeeping failed")

    handlers = UndeliverableHandlers()
    handlers.register("test.dm", broken)
    await add(database, subject_id=9)
    work = dispatcher(database, clock, "a", handlers=handlers)
    [claimed] = await work.claim(clock.now())
    await work._record(claimed, Refused("DMs closed (403/50007)"))
    for run in range(1, MAX_ATTEMPTS):
        [row] = await outbox(database)
        assert (row.state, row.attempts, row.hook, row.hook_attempts) == (
            "failed",
            1,
            "undeliverable",
            run,
        )
        assert row.last_error == "DMs closed (403/50007); handler failed: RuntimeError"
        assert await work.next_due() == row.next_attempt_at
        clock.set(row.next_attempt_at)
        await work.run_due()
    [row] = await outbox(database)
    assert (row.state, row.hook, row.hook_attempts) == ("failed", None, MAX_ATTEMPTS)
    assert await work.next_due() is None  # given up: nothing comes back
    assert calls == [9] * MAX_ATTEMPTS


async def test_a_hook_left_by_a_crash_runs_once_at_the_next_pass(database: Database) -> None:
    clock = ManualClock(T0)
    calls: list[int | None] = []

    async def noted(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        calls.append(subject_id)

    handlers = UndeliverableHandlers()
    handlers.register("test.dm", noted)
    await add(database, subject_id=9)
    work = dispatcher(database, clock, "a", handlers=handlers)
    [claimed] = await work.claim(clock.now())
    assert await work._recorder._record(claimed, Refused("DMs closed (403/50007)"))  # then dies
    assert calls == []
    other = dispatcher(database, clock, "b", handlers=handlers)
    [row] = await outbox(database)
    clock.set(row.next_attempt_at)
    await other.run_due()
    await work._recorder.run_hook(row.id)  # the first process comes back to it: already done
    assert calls == [9]
    [row] = await outbox(database)
    assert (row.state, row.hook) == ("failed", None)
