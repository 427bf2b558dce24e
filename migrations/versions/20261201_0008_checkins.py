"""daily check-ins: members' choices, check-ins (notes encrypted), alerts and their copies,
server settings and extra crisis lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("opened_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("asked_again", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("craving", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'resolved', 'stood_down')",
            name=op.f("ck_checkin_alerts_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_alerts")),
    )
    with op.batch_alter_table("checkin_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_checkin_alerts_active_member",
            ["guild_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'claimed')"),
            postgresql_where=sa.text("status IN ('open', 'claimed')"),
        )

    op.create_table(
        "checkin_crisis_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("added_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_crisis_lines")),
        sa.UniqueConstraint("guild_id", "name", name=op.f("uq_checkin_crisis_lines_guild_id_name")),
    )
    op.create_table(
        "checkin_members",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("sharing", sa.String(length=16), server_default="none", nullable=False),
        sa.Column("prompt_time", sa.String(length=5), nullable=True),
        sa.Column("prompt_days", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("paused_through", sa.Date(), nullable=True),
        sa.Column("last_prompt_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("missed_in_a_row", sa.Integer(), server_default="0", nullable=False),
        sa.Column("silence_nudged", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("mood_nudged_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sharing IN ('none', 'scores', 'scores-and-notes')",
            name=op.f("ck_checkin_members_sharing"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_members")),
        sa.UniqueConstraint(
            "guild_id", "user_id", name=op.f("uq_checkin_members_guild_id_user_id")
        ),
    )
    op.create_table(
        "checkin_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("alerts_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("on_call_role_id", sa.BigInteger(), nullable=True),
        sa.Column("craving_alert", sa.Integer(), server_default="8", nullable=False),
        sa.Column("mood_alert", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_step_minutes", sa.Integer(), server_default="15", nullable=False),
        sa.Column("second_step_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("keep_notes_days", sa.Integer(), server_default="90", nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "craving_alert BETWEEN 0 AND 10", name=op.f("ck_checkin_settings_craving_alert")
        ),
        sa.CheckConstraint(
            "first_step_minutes < second_step_minutes", name=op.f("ck_checkin_settings_step_order")
        ),
        sa.CheckConstraint(
            "keep_notes_days BETWEEN 1 AND 365", name=op.f("ck_checkin_settings_keep_notes_days")
        ),
        sa.CheckConstraint(
            "mood_alert BETWEEN 1 AND 5", name=op.f("ck_checkin_settings_mood_alert")
        ),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_checkin_settings")),
    )
    op.create_table(
        "checkins",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("craving", sa.Integer(), nullable=False),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("craving BETWEEN 0 AND 10", name=op.f("ck_checkins_craving")),
        sa.CheckConstraint("mood BETWEEN 1 AND 5", name=op.f("ck_checkins_mood")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_checkins_guild_id_user_id_at", ["guild_id", "user_id", "at"], unique=False
        )

    op.create_table(
        "checkin_alert_copies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=True),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["checkin_alerts.id"],
            name=op.f("fk_checkin_alert_copies_alert_id_checkin_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_alert_copies")),
    )
    with op.batch_alter_table("checkin_alert_copies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_alert_copies_alert_id"), ["alert_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_alert_copies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_alert_copies_alert_id"))

    op.drop_table("checkin_alert_copies")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_guild_id_user_id_at")
        batch_op.drop_index("ix_checkins_at")

    op.drop_table("checkins")
    op.drop_table("checkin_settings")
    op.drop_table("checkin_members")
    op.drop_table("checkin_crisis_lines")
    with op.batch_alter_table("checkin_alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_checkin_alerts_active_member",
            sqlite_where=sa.text("status IN ('open', 'claimed')"),
            postgresql_where=sa.text("status IN ('open', 'claimed')"),
        )

    op.drop_table("checkin_alerts")
