"""The outbox on a real database: writing rows, claiming them, status, pruning, acknowledgements.

Sending itself is the dispatcher's REST edge and is tested end to end through the simulator
(tests/e2e/test_delivery*.py).
"""

from __future__ import annotations

import asyncio
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
from bot.delivery.dispatcher import LEASE, Dispatcher
from bot.delivery.outbox import AS_SOON_AS_POSSIBLE, OutgoingMessage, Target, enqueue
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


def dispatcher(database: Database, clock: ManualClock, worker: str) -> Dispatcher:
    return Dispatcher(HTTPClient(asyncio.get_running_loop()), database, clock, worker=worker)


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
        await ledger.schedule(session, "milestone", 1, T0 - timedelta(hours=1))
        await ledger.schedule(session, "milestone", 2, T0 + timedelta(hours=1))
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
    service = acks.Acknowledgements(database, clock)
    assert await service.acknowledge(row_id, 5) == "Thank you for reaching out."
    assert await service.acknowledge(row_id, 6) == acks.AGAIN
    assert await service.acknowledge(row_id + 100, 5) == acks.GONE
    assert calls == [(77, 5)]
    [row] = await outbox(database)
    assert (row.acknowledged_by, row.acknowledged_at) == (5, T0)
