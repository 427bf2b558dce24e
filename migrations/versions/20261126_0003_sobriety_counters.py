"""sobriety counters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 20:44:55
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sobriety_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("label_key", sa.String(length=160), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("streak_number", sa.Integer(), server_default="1", nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("celebrate", sa.String(length=16), nullable=False),
        sa.Column("next_milestone_days", sa.Integer(), nullable=True),
        sa.Column("next_milestone_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("held_milestone_days", sa.Integer(), nullable=True),
        sa.Column("past_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "celebrate IN ('channel', 'dm', 'off')", name=op.f("ck_sobriety_counters_celebrate")
        ),
        sa.CheckConstraint(
            "visibility IN ('private', 'members')", name=op.f("ck_sobriety_counters_visibility")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sobriety_counters")),
        sa.UniqueConstraint(
            "guild_id",
            "user_id",
            "label_key",
            name=op.f("uq_sobriety_counters_guild_id_user_id_label_key"),
        ),
    )
    with op.batch_alter_table("sobriety_counters", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sobriety_counters_next_milestone_at", ["next_milestone_at"], unique=False
        )

    op.create_table(
        "milestone_celebrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("streak_number", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("belated", sa.Boolean(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("post_group", sa.Integer(), nullable=True),
        sa.Column("reached_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["sobriety_counters.id"],
            name=op.f("fk_milestone_celebrations_counter_id_sobriety_counters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_celebrations")),
        sa.UniqueConstraint(
            "counter_id",
            "streak_number",
            "days",
            name=op.f("uq_milestone_celebrations_counter_id_streak_number_days"),
        ),
    )
    with op.batch_alter_table("milestone_celebrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_celebrations_counter_id"), ["counter_id"], unique=False
        )
        batch_op.create_index(
            "ix_milestone_celebrations_guild_id_announced", ["guild_id", "announced"], unique=False
        )

    op.create_table(
        "sobriety_streaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["sobriety_counters.id"],
            name=op.f("fk_sobriety_streaks_counter_id_sobriety_counters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sobriety_streaks")),
    )
    with op.batch_alter_table("sobriety_streaks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sobriety_streaks_counter_id"), ["counter_id"], unique=False
        )

    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("milestones_channel_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("celebration_hour", sa.Integer(), server_default="9", nullable=False)
        )
        batch_op.add_column(sa.Column("milestone_ladder", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("milestone_ladder")
        batch_op.drop_column("celebration_hour")
        batch_op.drop_column("milestones_channel_id")

    with op.batch_alter_table("sobriety_streaks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sobriety_streaks_counter_id"))

    op.drop_table("sobriety_streaks")
    with op.batch_alter_table("milestone_celebrations", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_celebrations_guild_id_announced")
        batch_op.drop_index(batch_op.f("ix_milestone_celebrations_counter_id"))

    op.drop_table("milestone_celebrations")
    with op.batch_alter_table("sobriety_counters", schema=None) as batch_op:
        batch_op.drop_index("ix_sobriety_counters_next_milestone_at")

    op.drop_table("sobriety_counters")
