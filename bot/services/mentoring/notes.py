"""Mentor request notes at rest: sealed with the notes' cipher, read back where they are shown.

A request's note is stored only as a Fernet token (`MentoringRequest.sealed_note`). Requests
written before notes were encrypted (migration 0011) have their text in `plain_note` until
`seal_plain_notes` moves it: at every start and in `rotate-keys`. Until then the text is shown
as it is, so an upgrade never hides a note.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.db import Database
from bot.db.models import MentoringRequest
from bot.security.notes import NotesCipher, NoteUnreadable
from bot.services.token_rotation import rotate_column

SEAL_BATCH = 500


class RequestNotes:
    def __init__(self, database: Database, cipher: NotesCipher) -> None:
        self._db = database
        self._cipher = cipher

    def seal(self, text: str | None) -> bytes | None:
        return self._cipher.encrypt(text) if text else None

    def read(self, request: MentoringRequest) -> str | None:
        """The note as the requester wrote it; None without one, or when no configured key
        can read it (shown as no note rather than failing the offer)."""
        if request.sealed_note is not None:
            try:
                return self._cipher.decrypt(request.sealed_note)
            except NoteUnreadable:
                return None
        return request.plain_note

    async def seal_plain_notes(self, *, batch: int = SEAL_BATCH) -> int:
        return await seal_plain_notes(self._db, self._cipher, batch=batch)


async def seal_plain_notes(
    database: Database, cipher: NotesCipher, *, batch: int = SEAL_BATCH
) -> int:
    """Encrypt the notes stored as text before migration 0011, one transaction per batch; how
    many. Idempotent and cheap once done (no row has text left)."""
    total = 0
    while True:
        async with database.transaction() as session:
            rows = (
                await session.execute(
                    select(MentoringRequest.id, MentoringRequest.plain_note)
                    .where(MentoringRequest.plain_note.is_not(None))
                    .order_by(MentoringRequest.id)
                    .limit(batch)
                    .with_for_update()
                )
            ).all()
            for row_id, text in rows:
                await session.execute(
                    update(MentoringRequest)
                    .where(MentoringRequest.id == row_id)
                    # An empty text was no note; the old column keeps nothing either way.
                    .values(sealed_note=cipher.encrypt(text) if text else None, plain_note=None)
                )
        if not rows:
            break
        total += len(rows)
    if total:
        await database.forget_freed_pages()
    return total


async def rotate_request_notes(
    database: Database, cipher: NotesCipher, *, batch: int = SEAL_BATCH
) -> int:
    """Re-encrypt every mentor request note under the newest key; how many."""
    return await rotate_column(database, cipher, MentoringRequest.sealed_note, batch=batch)
