"""The outbox's operations API on a real database: what features may ask, and what is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.db.models import OutboxMessage
from bot.delivery import operations as ops
from bot.delivery import outbox
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.delivery.pacing import Pacer

GUILD = 1001
WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def _send(database: Database, text: str = "hello", **kwargs: object) -> int:
    async with database.transaction() as session:
        return await enqueue(
            session,
            target=Target("channel", 9),
            message=OutgoingMessage(content=text),
            purpose="test.note",
            subject_id=5,
            guild_id=GUILD,
            **kwargs,  # type: ignore[arg-type]
        )


async def test_edits_of_one_message_coalesce_into_the_latest(database: Database) -> None:
    original = await _send(database)
    async with database.transaction() as session:
        first = await outbox.edit(session, original, OutgoingMessage(content="two"))
        second = await outbox.edit(session, original, OutgoingMessage(content="three"))
    async with database.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert first == second
    assert [(r.operation, r.state, r.payload["content"]) for r in rows] == [
        ("send", "pending", "hello"),
        ("edit", "waiting", "three"),  # waits for the original's send
    ]


async def test_an_edit_of_something_never_delivered_is_refused_plainly(database: Database) -> None:
    original = await _send(database)
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == original).values(state="failed")
        )
    async with database.transaction() as session:
        assert await outbox.edit(session, original, OutgoingMessage(content="x")) is None
        with pytest.raises(LookupError):
            await outbox.edit(session, original + 100, OutgoingMessage(content="x"))


async def test_cancel_pending_keeps_to_the_named_guild(database: Database) -> None:
    await _send(database)
    async with database.transaction() as session:
        other = await enqueue(
            session,
            target=Target("channel", 9),
            message=OutgoingMessage(content="elsewhere"),
            purpose="test.note",
            subject_id=5,
            guild_id=GUILD + 1,
        )
    async with database.transaction() as session:
        assert (
            await outbox.cancel_pending(session, purpose="test.note", subject_id=5, guild_id=GUILD)
            == 1
        )
    async with database.read() as session:
        assert (await session.scalars(select(OutboxMessage.id))).all() == [other]


async def test_operations_name_what_they_act_on(database: Database) -> None:
    note = await _send(database)
    async with database.transaction() as session:
        event = await ops.perform(
            session,
            ops.create_event(name="Group", start=WHEN, end=WHEN + timedelta(hours=1), location="X"),
            purpose="test.meeting",
            guild_id=GUILD,
        )
        with pytest.raises(ValueError, match="on= a row, or thing_id="):
            await ops.perform(session, ops.delete_event(), purpose="test.meeting", guild_id=GUILD)
        with pytest.raises(ValueError, match="thread operation acts on a thread"):
            await ops.perform(session, ops.delete_thread(), purpose="t.x", guild_id=GUILD, on=event)
        with pytest.raises(LookupError, match="creates nothing"):
            await ops.perform(session, ops.delete_event(), purpose="t.x", guild_id=GUILD, on=note)
        waiting = await ops.perform(
            session, ops.delete_event(), purpose="test.meeting", guild_id=GUILD, on=event
        )
        row = await session.get(OutboxMessage, waiting)
        assert row is not None
        assert (row.state, row.ref_id) == ("waiting", event)


async def test_the_pacer_serves_an_urgent_request_before_queued_ones() -> None:
    pacer = Pacer(rate=1000)
    order: list[str] = []

    async def request(name: str, urgent: bool = False) -> None:
        await pacer.acquire(urgent=urgent)
        order.append(name)

    normal = [asyncio.create_task(request(f"bulk {i}")) for i in range(5)]
    await asyncio.sleep(0)  # they are all queued
    urgent = asyncio.create_task(request("SOS", urgent=True))
    await asyncio.gather(*normal, urgent)
    assert order.index("SOS") <= 1  # at most the slot already handed out went first
