"""mentor and sponsor matching, and the audit log of moderator actions

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01 08:36:51
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_guild_id_at", ["guild_id", "at"], unique=False)

    op.create_table(
        "mentor_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("focus", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("availability", sa.String(length=100), nullable=True),
        sa.Column("about", sa.String(length=300), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_until", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consecutive_expiries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("applied_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('mentor', 'sponsor')", name=op.f("ck_mentor_profiles_kind")),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'removed')",
            name=op.f("ck_mentor_profiles_state"),
        ),
        sa.CheckConstraint("capacity BETWEEN 1 AND 10", name=op.f("ck_mentor_profiles_capacity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_profiles")),
        sa.UniqueConstraint(
            "guild_id", "user_id", name=op.f("uq_mentor_profiles_guild_id_user_id")
        ),
    )
    with op.batch_alter_table("mentor_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mentor_profiles_guild_id_state", ["guild_id", "state"], unique=False
        )

    op.create_table(
        "mentoring_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("focus", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queued_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('mentor', 'sponsor')", name=op.f("ck_mentoring_requests_kind")
        ),
        sa.CheckConstraint(
            "state IN ('waiting', 'offered', 'matched', 'withdrawn')",
            name=op.f("ck_mentoring_requests_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_requests")),
    )
    with op.batch_alter_table("mentoring_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mentoring_requests_waitlist",
            ["guild_id", "state", "priority", "queued_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_mentoring_requests_open",
            ["guild_id", "requester_id", "kind"],
            unique=True,
            sqlite_where=sa.text("state IN ('waiting', 'offered')"),
            postgresql_where=sa.text("state IN ('waiting', 'offered')"),
        )

    op.create_table(
        "mentoring_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("review_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("sponsor_days", sa.Integer(), server_default="365", nullable=False),
        sa.Column("offer_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("focus_list", sa.JSON(), nullable=True),
        sa.Column("pool_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "offer_hours BETWEEN 1 AND 168", name=op.f("ck_mentoring_settings_offer_hours")
        ),
        sa.CheckConstraint("sponsor_days >= 0", name=op.f("ck_mentoring_settings_sponsor_days")),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_mentoring_settings")),
    )
    op.create_table(
        "mentoring_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("mentor_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.String(length=400), nullable=False),
        sa.Column("offered_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')",
            name=op.f("ck_mentoring_offers_state"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mentoring_requests.id"],
            name=op.f("fk_mentoring_offers_request_id_mentoring_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_offers")),
    )
    with op.batch_alter_table("mentoring_offers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mentoring_offers_guild_id_mentor_id", ["guild_id", "mentor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mentoring_offers_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            "uq_mentoring_offers_open_request",
            ["request_id"],
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )

    op.create_table(
        "mentoring_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("mentee_id", sa.BigInteger(), nullable=False),
        sa.Column("mentor_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('mentor', 'sponsor')", name=op.f("ck_mentoring_pairs_kind")),
        sa.CheckConstraint("state IN ('active', 'ended')", name=op.f("ck_mentoring_pairs_state")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mentoring_requests.id"],
            name=op.f("fk_mentoring_pairs_request_id_mentoring_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_pairs")),
    )
    with op.batch_alter_table("mentoring_pairs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mentoring_pairs_guild_id_mentor_id_state",
            ["guild_id", "mentor_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            "uq_mentoring_pairs_active_mentee",
            ["guild_id", "mentee_id", "kind"],
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("mentoring_pairs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mentoring_pairs_active_mentee",
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )
        batch_op.drop_index("ix_mentoring_pairs_guild_id_mentor_id_state")

    op.drop_table("mentoring_pairs")
    with op.batch_alter_table("mentoring_offers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mentoring_offers_open_request",
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_mentoring_offers_request_id"))
        batch_op.drop_index("ix_mentoring_offers_guild_id_mentor_id")

    op.drop_table("mentoring_offers")
    op.drop_table("mentoring_settings")
    with op.batch_alter_table("mentoring_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mentoring_requests_open",
            sqlite_where=sa.text("state IN ('waiting', 'offered')"),
            postgresql_where=sa.text("state IN ('waiting', 'offered')"),
        )
        batch_op.drop_index("ix_mentoring_requests_waitlist")

    op.drop_table("mentoring_requests")
    with op.batch_alter_table("mentor_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_mentor_profiles_guild_id_state")

    op.drop_table("mentor_profiles")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_guild_id_at")

    op.drop_table("audit_log")
