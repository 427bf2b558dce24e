"""Writing many outbox messages in one statement (a meeting's reminder to its subscribers): the
same rows `enqueue` writes, checked the same way, and the runner woken for the earliest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.db import Database
from bot.db.models import OutboxMessage
from bot.db.models.outbox import URGENT
from bot.delivery.buttons import ack_button, action_row
from bot.delivery.outbox import OutgoingMessage, Queued, Target, enqueue, enqueue_many
from bot.scheduling import wake

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HELLO = OutgoingMessage(content="A reminder for a group you subscribed to")
ACKED = OutgoingMessage(content="Please confirm", components=(action_row(ack_button()),))
ITEMS = [
    Queued(Target("dm", 21), HELLO, "meeting.dm_reminder", subject_id=7, guild_id=10),
    Queued(
        Target("dm", 22),
        HELLO,
        "meeting.dm_reminder",
        subject_id=7,
        guild_id=10,
        fallback=Target("channel", 99),
        public=True,
    ),
    Queued(Target("channel", 99), HELLO, "meeting.notice", not_before=T0 + timedelta(hours=1)),
    Queued(Target("dm", 23), HELLO, "checkins.alert", priority=URGENT),
]
COLUMNS = (
    "purpose",
    "priority",
    "subject_id",
    "guild_id",
    "target_kind",
    "target_id",
    "fallback_kind",
    "fallback_id",
    "public",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "operation",
    "hook_attempts",
)


async def written(database: Database) -> list[tuple[Any, ...]]:
    async with database.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [tuple(getattr(row, column) for column in COLUMNS) for row in rows]


async def test_many_at_once_are_the_rows_enqueue_writes_one_by_one(database: Database) -> None:
    async with database.transaction() as session:
        for item in ITEMS:
            await enqueue(
                session,
                target=item.target,
                message=item.message,
                purpose=item.purpose,
                subject_id=item.subject_id,
                guild_id=item.guild_id,
                fallback=item.fallback,
                public=item.public,
                not_before=item.not_before,
                priority=item.priority,
            )
    one_by_one = await written(database)
    async with database.transaction() as session:
        await session.execute(delete(OutboxMessage))
    async with database.transaction() as session:
        await enqueue_many(session, ITEMS)
    assert await written(database) == one_by_one
    assert len(one_by_one) == len(ITEMS)


async def test_a_button_that_names_its_own_message_gets_its_row_id(database: Database) -> None:
    async with database.transaction() as session:
        await enqueue_many(session, [ITEMS[0], Queued(Target("dm", 21), ACKED, "checkins.ack")])
    async with database.read() as session:
        acked = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.purpose == "checkins.ack")
        )
    assert acked is not None
    [row] = acked.payload["components"]
    assert row["components"][0]["custom_id"].endswith(f":{acked.id}")


async def test_one_bad_message_refuses_them_all(database: Database) -> None:
    for bad, said in [
        (Queued(Target("guild", 10), HELLO, "meeting.notice"), "channel or a member's DMs"),
        (
            Queued(
                Target("channel", 99),
                OutgoingMessage(content="hi", mention_roles=(10,)),
                "meeting.notice",
                guild_id=10,
            ),
            "@everyone",
        ),
    ]:
        with pytest.raises(ValueError, match=said):
            async with database.transaction() as session:
                await enqueue_many(session, [ITEMS[0], bad])
    assert await written(database) == []


async def test_the_runner_is_woken_for_the_earliest_message(database: Database) -> None:
    heard: list[datetime | None] = []
    wake.subscribe(heard.append)
    try:
        async with database.transaction() as session:
            await enqueue_many(session, [ITEMS[2]])  # held back an hour
        async with database.transaction() as session:
            await enqueue_many(session, ITEMS)  # some as soon as possible
        async with database.transaction() as session:
            await enqueue_many(session, [])
    finally:
        wake.unsubscribe(heard.append)
    assert heard == [T0 + timedelta(hours=1), None]
