"""due work and outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 20:25:37
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("state = 'pending'")


def _row_id() -> sa.types.TypeEngine[int]:
    # SQLite only auto-numbers an INTEGER PRIMARY KEY.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "due_work",
        sa.Column("id", _row_id(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("due_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("available_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("finished_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_work")),
    )
    op.create_index("ix_due_work_state_available_at", "due_work", ["state", "available_at"])
    op.create_index("ix_due_work_state_finished_at", "due_work", ["state", "finished_at"])
    op.create_index(
        "ix_due_work_state_kind_available_at", "due_work", ["state", "kind", "available_at"]
    )
    op.create_index(
        "uq_due_work_pending_kind_subject",
        "due_work",
        ["kind", "subject_id"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )

    op.create_table(
        "outbox",
        sa.Column("id", _row_id(), autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("target_kind", sa.String(length=8), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("fallback_kind", sa.String(length=8), nullable=True),
        sa.Column("fallback_id", sa.BigInteger(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("delivered_to", sa.String(length=8), nullable=True),
        sa.Column("sent_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_message_id", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_state_finished_at", "outbox", ["state", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_state_finished_at", table_name="outbox")
    op.drop_index("ix_outbox_state_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("uq_due_work_pending_kind_subject", table_name="due_work")
    op.drop_index("ix_due_work_state_kind_available_at", table_name="due_work")
    op.drop_index("ix_due_work_state_finished_at", table_name="due_work")
    op.drop_index("ix_due_work_state_available_at", table_name="due_work")
    op.drop_table("due_work")
