"""due work: guild, key and payload; repairs made by the daily rebuild

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("state = 'pending'")


def _row_id() -> sa.types.TypeEngine[int]:
    # SQLite only auto-numbers an INTEGER PRIMARY KEY.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_index("uq_due_work_pending_kind_subject", table_name="due_work")
    with op.batch_alter_table("due_work") as batch:
        batch.add_column(sa.Column("key", sa.String(length=64), server_default="", nullable=False))
        batch.add_column(sa.Column("guild_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    # Rows written before this revision: a milestone's server is its counter's, and the grouped
    # announcement's subject is the server itself. Other kinds did not exist yet.
    op.execute(
        "UPDATE due_work SET guild_id = (SELECT sobriety_counters.guild_id "
        "FROM sobriety_counters WHERE sobriety_counters.id = due_work.subject_id) "
        "WHERE kind = 'milestone'"
    )
    op.execute("UPDATE due_work SET guild_id = subject_id WHERE kind = 'milestone.announce'")
    op.create_index(
        "uq_due_work_pending_kind_subject_key",
        "due_work",
        ["kind", "subject_id", "key"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_index("ix_due_work_guild_id_state", "due_work", ["guild_id", "state"])
    op.create_table(
        "due_work_repairs",
        sa.Column("id", _row_id(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("repairs", sa.Integer(), nullable=False),
        sa.Column("repaired_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_work_repairs")),
    )
    op.create_index(
        "ix_due_work_repairs_guild_id_repaired_at",
        "due_work_repairs",
        ["guild_id", "repaired_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_due_work_repairs_guild_id_repaired_at", table_name="due_work_repairs")
    op.drop_table("due_work_repairs")
    op.drop_index("ix_due_work_guild_id_state", table_name="due_work")
    op.drop_index("uq_due_work_pending_kind_subject_key", table_name="due_work")
    # Going back to one pending row per (kind, subject): keep the earliest of each.
    op.execute(
        "DELETE FROM due_work WHERE state = 'pending' AND id NOT IN ("
        "SELECT min(id) FROM due_work WHERE state = 'pending' GROUP BY kind, subject_id)"
    )
    with op.batch_alter_table("due_work") as batch:
        batch.drop_column("payload")
        batch.drop_column("guild_id")
        batch.drop_column("key")
    op.create_index(
        "uq_due_work_pending_kind_subject",
        "due_work",
        ["kind", "subject_id"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
