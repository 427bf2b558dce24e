"""The outbox's operations API on a real database: what features may ask, and what is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from discord.http import HTTPClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import GuildSettings, OutboxMessage
from bot.delivery import operations as ops
from bot.delivery import outbox
from bot.delivery.dispatcher import Dispatcher, Refused
from bot.delivery.outbox import OutgoingMessage, Target, UndeliverableHandlers, enqueue
from bot.delivery.pacing import Pacer
from tests.databases import backend_name

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


async def _rows(database: Database) -> list[tuple[str, str, str]]:
    async with database.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(r.operation, r.state, r.payload["content"]) for r in rows]


CLOSED = OutgoingMessage(content="closed")


async def test_a_retracted_message_not_sent_yet_is_never_sent(database: Database) -> None:
    original = await _send(database, "private words")
    async with database.transaction() as session:
        await outbox.edit(session, original, OutgoingMessage(content="more private words"))
        assert await outbox.retract(session, original, CLOSED) is outbox.Retracted.WITHDRAWN
    assert await _rows(database) == []


async def test_a_retracted_sent_message_is_edited_and_its_words_leave_the_outbox(
    database: Database,
) -> None:
    original = await _send(database, "private words")
    async with database.transaction() as session:
        await outbox.edit(session, original, OutgoingMessage(content="claimed, private"))
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.ref_id.is_(None)).values(state="sent")
        )
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.ref_id == original).values(state="sent")
        )
    async with database.transaction() as session:
        assert await outbox.retract(session, original, CLOSED) is outbox.Retracted.EDITED
    assert await _rows(database) == [
        ("send", "sent", "closed"),
        ("edit", "sent", "closed"),
        ("edit", "pending", "closed"),
    ]


async def test_a_message_being_sent_is_edited_after_and_keeps_its_words_for_the_send(
    database: Database,
) -> None:
    original = await _send(database, "private words")
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == original).values(claimed_by="w")
        )
    async with database.transaction() as session:
        assert await outbox.retract(session, original, CLOSED) is outbox.Retracted.EDITED
    # A retry must post the very same message (its nonce); the edit follows it.
    assert await _rows(database) == [
        ("send", "pending", "private words"),
        ("edit", "waiting", "closed"),
    ]


async def test_a_retracted_message_never_delivered_keeps_no_words(database: Database) -> None:
    original = await _send(database, "private words")
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == original).values(state="failed")
        )
    async with database.transaction() as session:
        assert await outbox.retract(session, original, CLOSED) is outbox.Retracted.NOTHING
        assert await outbox.retract(session, original + 100, CLOSED) is outbox.Retracted.NOTHING
    assert await _rows(database) == [("send", "failed", "closed")]


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


@pytest.mark.skipif(backend_name() != "postgresql", reason="row locks: PostgreSQL")
async def test_a_handler_and_a_member_command_on_the_same_row_do_not_deadlock(
    database: Database,
) -> None:
    """The member's command locks its domain row, then withdraws outbox rows; the feature's
    undeliverable handler locks the same domain row. The handler runs after the outbox row was
    marked (its own transaction), so neither waits for the other in a circle."""
    clock = ManualClock(WHEN)
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=GUILD, moderator_role_id=0, updated_at=WHEN))
    handler_started = asyncio.Event()

    async def note(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        handler_started.set()
        await session.execute(
            update(GuildSettings)
            .where(GuildSettings.guild_id == GUILD)
            .values(moderator_role_id=GuildSettings.moderator_role_id + 1)
        )

    handlers = UndeliverableHandlers()
    handlers.register("test.note", note)
    await _send(database)
    work = Dispatcher(
        HTTPClient(asyncio.get_running_loop()), database, clock, handlers=handlers, worker="a"
    )
    [claimed] = await work.claim(clock.now())

    async def member_command() -> None:
        async with database.transaction() as session:
            await session.execute(
                select(GuildSettings).where(GuildSettings.guild_id == GUILD).with_for_update()
            )
            await handler_started.wait()  # the dispatcher is recording meanwhile
            await outbox.cancel_pending(session, purpose="test.note", subject_id=5)

    await asyncio.wait_for(
        asyncio.gather(member_command(), work._record(claimed, Refused("DMs closed"))),
        timeout=30,
    )
    async with database.read() as session:
        settings = await session.get(GuildSettings, GUILD)
        row = (await session.scalars(select(OutboxMessage))).one()
    assert settings is not None
    assert settings.moderator_role_id == 1  # the handler ran once
    assert (row.state, row.hook) == ("failed", None)
