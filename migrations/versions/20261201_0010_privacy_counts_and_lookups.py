"""privacy: an erasure's row count in its own audit column; indexes for a member's lookups

Until now an erasure's audit row carried its count in the action name
("privacy.erasure:12"); existing rows are rewritten to the plain action and the count.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ERASURE = "privacy.erasure"
PREFIX = ERASURE + ":"


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=True))
        batch_op.create_index("ix_audit_log_guild_id_actor_id", ["guild_id", "actor_id"])
        batch_op.create_index("ix_audit_log_guild_id_target_id", ["guild_id", "target_id"])
    # substr and CAST read the same on SQLite and PostgreSQL.
    op.execute(
        sa.text(
            "UPDATE audit_log SET count = CAST(substr(action, :start) AS INTEGER), "
            "action = :plain WHERE action LIKE :pattern"
        ).bindparams(start=len(PREFIX) + 1, plain=ERASURE, pattern=PREFIX + "%")
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_guild_id_viewer_id", ["guild_id", "viewer_id"])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_target_id_target_kind", ["target_id", "target_kind"])
        batch_op.create_index(
            "ix_outbox_acknowledged_by",
            ["acknowledged_by"],
            sqlite_where=sa.text("acknowledged_by IS NOT NULL"),
            postgresql_where=sa.text("acknowledged_by IS NOT NULL"),
        )
    with op.batch_alter_table("checkin_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_checkin_alerts_guild_id_user_id", ["guild_id", "user_id"])


def downgrade() -> None:
    with op.batch_alter_table("checkin_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_alerts_guild_id_user_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_acknowledged_by")
        batch_op.drop_index("ix_outbox_target_id_target_kind")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_guild_id_viewer_id")
    op.execute(
        sa.text(
            "UPDATE audit_log SET action = :prefix || CAST(count AS VARCHAR(20)) "
            "WHERE action = :plain AND count IS NOT NULL"
        ).bindparams(prefix=PREFIX, plain=ERASURE)
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_guild_id_target_id")
        batch_op.drop_index("ix_audit_log_guild_id_actor_id")
        batch_op.drop_column("count")
