"""The text of a message that shows a member's note, encrypted while it waits in the outbox.

The outbox keeps a message's text until it is pruned (7 days after it was sent, 30 if it could
not be delivered), to retry and edit it. A note shown to a mentor (an alert's note, a mentor
request's note) would sit there as text, beside notes that are only ever stored encrypted. So a
message built with `OutgoingMessage(private=True)` has its content stored as a Fernet token,
under the notes' keys, and opened only when the dispatcher claims the row to send it (and for
the member's own export). `python -m bot rotate-keys` re-encrypts these too.

The cipher is the process's notes cipher, given once by `build_services` (`use`), as the
features' outbox handlers are registered once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, cast, select

from bot.db import Database
from bot.db.models.outbox import OutboxMessage
from bot.security.notes import NotesCipher, NoteUnreadable

SEALED = "sealed_content"
# Shown instead when no configured key opens the text (a key removed too early).
UNREADABLE = "(This message can no longer be shown.)"
ROTATE_BATCH = 500

_cipher: NotesCipher | None = None


def use(cipher: NotesCipher) -> None:
    global _cipher
    _cipher = cipher


def _current() -> NotesCipher:
    if _cipher is None:
        raise RuntimeError("private messages need the notes cipher: build_services gives it")
    return _cipher


def sealed(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` with its content replaced by a token (nothing to do without content)."""
    content = payload.get("content")
    if not content:
        return dict(payload)
    token = _current().encrypt(str(content)).decode("ascii")
    return {**payload, "content": None, SEALED: token}


def opened(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` as it is sent: a sealed content decrypted, any other payload as it is."""
    token = payload.get(SEALED)
    if token is None:
        return dict(payload)
    shown = {key: value for key, value in payload.items() if key != SEALED}
    try:
        shown["content"] = _current().decrypt(str(token).encode("ascii"))
    except NoteUnreadable:
        shown["content"] = UNREADABLE
    return shown


async def rotate_sealed_messages(
    database: Database, cipher: NotesCipher, *, batch: int = ROTATE_BATCH
) -> int:
    """Re-encrypt the sealed text of every outbox row under the newest key; how many."""
    has_token = cast(OutboxMessage.payload, String).like(f'%"{SEALED}"%')
    total = 0
    last = 0
    while True:
        async with database.transaction() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.id > last, has_token)
                    .order_by(OutboxMessage.id)
                    .limit(batch)
                    .with_for_update()
                )
            ).all()
            for row in rows:
                token = row.payload.get(SEALED)
                if token is not None:
                    rotated = cipher.rotate(str(token).encode("ascii")).decode("ascii")
                    row.payload = {**row.payload, SEALED: rotated}
                    total += 1
        if not rows:
            return total
        last = rows[-1].id
