"""Review: the acknowledgement of an outbox message takes locks against the one lock order.

`Acknowledgements.acknowledge` locks the outbox row (class 3 in bot/scheduling/locks.py) and
then calls the feature's handler in the same transaction; the handler locks the feature's own
row (class 1: the alert being claimed). A command or timed handler that locks that row first
and then edits or cancels the outbox row (a claim editing every copy of the alert, an
escalation step) takes the same two locks the other way round: PostgreSQL aborts one of them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import OutboxMessage
from bot.db.models.settings import GuildSettings
from bot.delivery import acks, outbox
from bot.delivery.acks import Acknowledgements
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.scheduling import locks

pytestmark = pytest.mark.postgres_only

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
GUILD = 1001
MESSAGE = 4242


async def test_a_click_and_a_command_on_the_same_alert_do_not_deadlock(database: Database) -> None:
    async with database.transaction() as session:
        session.add(GuildSettings(guild_id=GUILD, updated_at=T0))  # stands in for the alert
        row_id = await enqueue(
            session,
            target=Target("channel", 77),
            message=OutgoingMessage(content="Someone would like support."),
            purpose="review.alert",
            guild_id=GUILD,
        )
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(state="sent", sent_channel_id=77, sent_message_id=MESSAGE)
        )
    command_holds_alert, click_holds_row = asyncio.Event(), asyncio.Event()

    async def claimed(session: AsyncSession, _subject_id: int | None, _user_id: int) -> str:
        click_holds_row.set()
        await locks.lock_row(session, GuildSettings, GUILD)  # the feature locks its alert
        return "Thank you for reaching out."

    acks.on_acknowledged("review.alert", claimed)

    async def command() -> None:
        # A mentor's /alert claim (or the escalation step): the alert first, as locks.py says,
        # then every copy of it edited.
        async with database.transaction() as session:
            await locks.lock_row(session, GuildSettings, GUILD)
            command_holds_alert.set()
            await click_holds_row.wait()
            await outbox.edit(session, row_id, OutgoingMessage(content="Claimed by mo."))

    async def click() -> str:
        await command_holds_alert.wait()
        return await Acknowledgements(database, ManualClock(T0)).acknowledge(row_id, 5, MESSAGE)

    results = await asyncio.wait_for(
        asyncio.gather(command(), click(), return_exceptions=True), timeout=30
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
