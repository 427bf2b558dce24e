"""Messages that show a member's note keep it encrypted in the outbox: stored as a token, opened
only when the dispatcher claims the row, edited sealed too, and rotated with the notes' keys."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from discord.http import HTTPClient
from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import OutboxMessage
from bot.delivery import outbox, sealing
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.security.notes import NotesCipher, generate_key

GUILD = 1001
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
NOTE = "their note, in their words"
KEY = generate_key().encode()


@pytest.fixture(autouse=True)
def cipher(monkeypatch: pytest.MonkeyPatch) -> NotesCipher:
    """This test's key, in place of the process's until the test ends."""
    notes = NotesCipher([KEY])
    monkeypatch.setattr(sealing, "_cipher", notes)
    return notes


def _private(text: str) -> OutgoingMessage:
    return OutgoingMessage(content=text, private=True)


async def _send(database: Database, message: OutgoingMessage) -> int:
    async with database.transaction() as session:
        return await enqueue(
            session,
            target=Target("dm", 7),
            message=message,
            purpose="test.note",
            subject_id=5,
            guild_id=GUILD,
        )


async def _stored(database: Database) -> str:
    async with database.read() as session:
        return json.dumps((await session.scalars(select(OutboxMessage.payload))).all())


async def test_a_private_message_is_stored_sealed_and_claimed_as_written(
    database: Database,
) -> None:
    await _send(database, _private(NOTE))
    await _send(database, OutgoingMessage(content="an ordinary reminder"))
    assert NOTE not in await _stored(database)
    assert "an ordinary reminder" in await _stored(database)
    work = Dispatcher(HTTPClient(asyncio.get_running_loop()), database, ManualClock(NOW))
    claimed = await work.claim(NOW)
    assert [c.payload["content"] for c in claimed] == [NOTE, "an ordinary reminder"]
    assert all(sealing.SEALED not in c.payload for c in claimed)


async def test_an_edit_of_a_private_message_is_sealed_too(database: Database) -> None:
    original = await _send(database, _private("first words"))
    async with database.transaction() as session:
        await outbox.edit(session, original, _private(NOTE))
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == original).values(state="sent")
        )
    async with database.transaction() as session:
        await outbox.edit(session, original, _private(NOTE + " again"))
    stored = await _stored(database)
    assert "first words" not in stored
    assert NOTE not in stored


async def test_rotation_re_encrypts_sealed_messages_under_the_newest_key(
    database: Database,
) -> None:
    await _send(database, _private(NOTE))
    await _send(database, OutgoingMessage(content="an ordinary reminder"))
    new = generate_key().encode()
    assert await sealing.rotate_sealed_messages(database, NotesCipher([new, KEY]), batch=1) == 1
    sealing.use(NotesCipher([new]))  # the old key removed after rotating
    async with database.read() as session:
        payloads = (
            await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
        ).all()
    assert [sealing.opened(p)["content"] for p in payloads] == [NOTE, "an ordinary reminder"]


async def test_a_sealed_message_no_key_opens_is_shown_as_unreadable(database: Database) -> None:
    await _send(database, _private(NOTE))
    sealing.use(NotesCipher([generate_key().encode()]))
    async with database.read() as session:
        payload = await session.scalar(select(OutboxMessage.payload))
    assert payload is not None
    assert sealing.opened(payload)["content"] == sealing.UNREADABLE
