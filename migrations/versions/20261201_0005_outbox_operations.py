"""outbox operations: lanes, edits and other operations, reconciliation, DM channels, budget

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("operation", sa.String(length=24), server_default="send", nullable=False)
        )
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("ref_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("attempt_started_at", bot.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("uncertain_since", bot.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("external_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("hook", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("hook_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch.create_index(
            "ix_outbox_state_priority_next_attempt_at", ["state", "priority", "next_attempt_at"]
        )
        batch.create_index("ix_outbox_purpose_subject_id", ["purpose", "subject_id"])
        batch.create_index("ix_outbox_ref_id", ["ref_id"])
        batch.create_index("ix_outbox_hook_next_attempt_at", ["hook", "next_attempt_at"])
    op.create_table(
        "dm_channels",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_dm_channels")),
    )
    op.create_table(
        "request_budget",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_request_budget")),
    )


def downgrade() -> None:
    op.drop_table("request_budget")
    op.drop_table("dm_channels")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_hook_next_attempt_at")
        batch.drop_index("ix_outbox_ref_id")
        batch.drop_index("ix_outbox_purpose_subject_id")
        batch.drop_index("ix_outbox_state_priority_next_attempt_at")
        batch.drop_column("hook_attempts")
        batch.drop_column("hook")
        batch.drop_column("external_id")
        batch.drop_column("uncertain_since")
        batch.drop_column("attempt_started_at")
        batch.drop_column("ref_id")
        batch.drop_column("priority")
        batch.drop_column("operation")
