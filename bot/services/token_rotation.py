"""Re-encrypting one column of notes under the newest key, for `python -m bot rotate-keys`.

Each feature names its own encrypted columns (check-ins: `upkeep.rotate_notes`; mentoring:
`notes.rotate_request_notes`); the walk is the same for all of them.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute

from bot.db import Database
from bot.security.notes import NotesCipher

ROTATE_BATCH = 500


async def rotate_column(
    database: Database,
    cipher: NotesCipher,
    column: InstrumentedAttribute[bytes | None],
    *,
    batch: int = ROTATE_BATCH,
) -> int:
    """Replace every token in `column` (of a table whose key is `id`) by the same note under
    the newest key, one transaction per batch, the text never leaving memory; how many.
    Idempotent: an interrupted run is simply run again."""
    model = column.class_
    key: InstrumentedAttribute[int] = model.id
    total = 0
    last = 0
    while True:
        async with database.transaction() as session:
            rows = (
                await session.execute(
                    select(key, column)
                    .where(key > last, column.is_not(None))
                    .order_by(key)
                    .limit(batch)
                    .with_for_update()
                )
            ).all()
            for row_id, token in rows:
                assert token is not None  # selected only rows with a note
                await session.execute(
                    update(model).where(key == row_id).values({column.key: cipher.rotate(token)})
                )
        if not rows:
            return total
        total += len(rows)
        last = rows[-1][0]
