"""mentor request notes encrypted at rest: a column for the sealed note

The note a member writes with `/mentor request` was stored as text in `note`. From this revision
it is a Fernet token in `sealed_note` (the same keys as check-in notes). A migration cannot see
the keys (they live in STEADY_ENCRYPTION_KEYS or the key file beside the database), so the text
of requests written before it is encrypted by the bot itself: at every start (before it serves
anyone) and by `python -m bot rotate-keys`, each such note moves into `sealed_note` and `note`
is emptied. Until then it is still shown. `note` stays, empty, for databases upgraded while
a request still had one; a later revision can drop it.

Downgrading drops the sealed notes with their column (there is no key here to decrypt them).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN in place, also on SQLite: the table is not copied, so no page of the old
    # table (with the notes' text) is left behind in the file's free space.
    with op.batch_alter_table("mentoring_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_note", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentoring_requests", schema=None) as batch_op:
        batch_op.drop_column("sealed_note")
