"""Mentor request notes at rest: encrypted when written, shown and exported as written, notes
stored as text before encryption still shown and then encrypted, and rotation to a new key."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import URL

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import MentoringOffer, MentoringRequest, OutboxMessage
from bot.delivery import sealing
from bot.security.notes import KEYS_ENV, NotesCipher, NoteUnreadable, generate_key
from bot.services.container import Services, build_services
from bot.services.mentoring.notes import rotate_request_notes, seal_plain_notes
from bot.services.mentoring.offers import OFFER_PURPOSE
from bot.services.privacy.registry import MemberRef

GUILD, MOD, MENTOR, DEV = 10, 99, 21, 31
NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
NOTE = "I work nights and weekends are hard"
ROOT = Path(__file__).resolve().parents[2]


def _services(database: Database, key: bytes) -> Services:
    return build_services(database, ManualClock(NOW), Settings(), NotesCipher([key]))


async def _stored(database: Database) -> tuple[bytes | None, str | None]:
    """DEV's request's note: (the token, the text of a note not encrypted yet)."""
    async with database.read() as session:
        row = (
            await session.execute(
                select(MentoringRequest.sealed_note, MentoringRequest.plain_note).where(
                    MentoringRequest.requester_id == DEV
                )
            )
        ).one()
    return row[0], row[1]


async def _offer_text(database: Database) -> str:
    """The offer DM as it is sent; its stored copy holds the note only encrypted."""
    async with database.read() as session:
        payload = await session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.purpose == OFFER_PURPOSE)
        )
    assert payload is not None
    assert NOTE not in json.dumps(payload)
    return str(sealing.opened(payload)["content"])


async def _mentor(services: Services) -> None:
    await services.mentoring.applications.apply(GUILD, MENTOR, kind="mentor")
    await services.mentoring.vetting.approve(GUILD, MOD, MENTOR)


async def _exported_note(services: Services, database: Database) -> str | None:
    [mentoring] = [d for d in services.member_data() if d.feature == "mentoring"]
    async with database.read() as session:
        exported = await mentoring.export(session, MemberRef(GUILD, DEV))
    note: str | None = exported["requests"][0]["note"]
    return note


async def test_a_request_note_is_stored_encrypted_and_shown_and_exported_as_written(
    database: Database,
) -> None:
    key = generate_key().encode()
    services = _services(database, key)
    await services.mentoring.requests.request(GUILD, DEV, raw_note=NOTE)
    sealed, plain = await _stored(database)
    assert plain is None
    assert sealed is not None
    assert NOTE.encode() not in sealed
    assert NotesCipher([key]).decrypt(sealed) == NOTE
    await _mentor(services)  # the waiting request is offered to her
    assert NOTE in await _offer_text(database)
    assert await _exported_note(services, database) == NOTE


async def test_a_note_stored_as_text_before_encryption_is_shown_then_encrypted(
    database: Database,
) -> None:
    key = generate_key().encode()
    services = _services(database, key)
    await services.mentoring.requests.request(GUILD, DEV, raw_note="placeholder")
    async with database.transaction() as session:  # what an upgraded database holds
        await session.execute(update(MentoringRequest).values(plain_note=NOTE, sealed_note=None))
    assert await _exported_note(services, database) == NOTE

    await services.on_start()
    sealed, plain = await _stored(database)
    assert plain is None
    assert sealed is not None
    assert NotesCipher([key]).decrypt(sealed) == NOTE
    assert await seal_plain_notes(database, NotesCipher([key])) == 0  # nothing left to do
    await _mentor(services)
    assert NOTE in await _offer_text(database)


async def test_rotation_re_encrypts_request_notes_under_the_newest_key(
    database: Database,
) -> None:
    old, new = generate_key().encode(), generate_key().encode()
    services = _services(database, old)
    await services.mentoring.requests.request(GUILD, DEV, raw_note=NOTE)
    await services.mentoring.requests.request(GUILD, DEV + 1, raw_note=None)
    assert await rotate_request_notes(database, NotesCipher([new, old]), batch=1) == 1
    sealed, _plain = await _stored(database)
    assert sealed is not None
    assert NotesCipher([new]).decrypt(sealed) == NOTE
    with pytest.raises(NoteUnreadable):
        NotesCipher([old]).decrypt(sealed)


def test_rotate_keys_encrypts_notes_left_as_text_and_rotates_request_notes(
    database_url: URL, tmp_path: Path
) -> None:
    old, new = generate_key(), generate_key()

    async def write() -> None:
        database = Database.connect(database_url)
        try:
            services = _services(database, old.encode())
            await services.mentoring.requests.request(GUILD, DEV, raw_note=NOTE)
            await services.mentoring.requests.request(GUILD, DEV + 1, raw_note="placeholder")
            async with database.transaction() as session:
                await session.execute(
                    update(MentoringRequest)
                    .where(MentoringRequest.requester_id == DEV + 1)
                    .values(plain_note="left as text", sealed_note=None)
                )
        finally:
            await database.dispose()

    async def read() -> list[str]:
        database = Database.connect(database_url)
        try:
            async with database.read() as session:
                rows = (
                    await session.execute(
                        select(MentoringRequest.sealed_note, MentoringRequest.plain_note)
                    )
                ).all()
        finally:
            await database.dispose()
        assert [plain for _sealed, plain in rows] == [None, None]
        return sorted(NotesCipher([new.encode()]).decrypt(s) for s, _plain in rows if s)

    asyncio.run(write())
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEADY_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "STEADY_DATABASE_URL": database_url.render_as_string(hide_password=False),
        KEYS_ENV: f"{new},{old}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-keys"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "encrypted 1 mentor request notes stored as text" in result.stdout
    assert "re-encrypted 2 notes with the newest key (of 2)" in result.stdout
    assert asyncio.run(read()) == [NOTE, "left as text"]


async def test_a_mentee_put_back_on_the_list_keeps_their_note_for_the_next_mentor(
    database: Database,
) -> None:
    services = _services(database, generate_key().encode())
    await _mentor(services)
    await services.mentoring.requests.request(GUILD, DEV, raw_note=NOTE)
    async with database.read() as session:
        offer_id = await session.scalar(select(MentoringOffer.id))
    assert offer_id is not None
    await services.mentoring.answers.accept(offer_id, MENTOR)
    await services.mentoring.vetting.remove(GUILD, MOD, MENTOR)
    await services.mentoring.applications.apply(GUILD, MENTOR + 1, kind="mentor")
    await services.mentoring.vetting.approve(GUILD, MOD, MENTOR + 1)
    async with database.read() as session:
        offers = (
            await session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.purpose == OFFER_PURPOSE, OutboxMessage.target_id == MENTOR + 1
                )
            )
        ).all()
    assert [NOTE in str(sealing.opened(payload)["content"]) for payload in offers] == [True]
