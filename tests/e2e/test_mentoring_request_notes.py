"""A database upgraded from before request notes were encrypted: the note a member wrote then
still reaches the mentor it is offered to, and the bot encrypts it when it starts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import URL

from bot.db import Database
from bot.db.models import MentoringRequest
from bot.simulator import Simulator
from tests.databases import backend_name
from tests.e2e.conftest import START, World, url_text

OLD_NOTE = "written before notes were encrypted"


async def _set_note_as_text(url: URL) -> None:
    """What migration 0011 leaves of a request written before it: the note as text."""
    database = Database.connect(url)
    try:
        async with database.transaction() as session:
            await session.execute(
                update(MentoringRequest).values(plain_note=OLD_NOTE, sealed_note=None)
            )
    finally:
        await database.dispose()


async def _stored(url: URL) -> tuple[bytes | None, str | None]:
    database = Database.connect(url)
    try:
        async with database.read() as session:
            row = (
                await session.execute(
                    select(MentoringRequest.sealed_note, MentoringRequest.plain_note)
                )
            ).one()
    finally:
        await database.dispose()
    return row[0], row[1]


def _file_contents(url: URL) -> bytes:
    assert url.database is not None
    path = Path(url.database)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_an_old_request_note_still_reaches_the_mentor_and_is_encrypted_at_start(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    alice, bob = world.alice, world.bob
    async with sim.run_bot(database_url=url, now=START):
        asked = await sim.slash(alice, "mentor request", note="placeholder")
        assert asked.ephemeral
    await _set_note_as_text(database_url)
    if backend_name() == "sqlite":
        assert OLD_NOTE.encode() in _file_contents(database_url)  # the upgraded file, as it was

    async with sim.run_bot(database_url=url):
        sealed, plain = await _stored(database_url)
        assert plain is None
        assert sealed is not None
        if backend_name() == "sqlite":
            assert OLD_NOTE.encode() not in _file_contents(database_url)
        await sim.slash(bob, "mentor apply", kind="mentor")
        await sim.slash(world.mo, "mentors approve", member=bob)
        await sim.advance(seconds=1)
        [offer] = [m for m in sim.dms(bob) if m.components]
        assert f"<@{alice.id}>" in offer.content
        assert OLD_NOTE in offer.content
