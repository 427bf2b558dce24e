"""meetings: recurring groups, cancelled dates, subscriptions, RSVPs, attendance, voice stays

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:24:23.177862
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("min_presence_minutes", sa.Integer(), server_default="10", nullable=False),
        sa.Column("event_permission_told", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "min_presence_minutes BETWEEN 1 AND 480", name=op.f("ck_meeting_settings_presence")
        ),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_meeting_settings")),
    )
    op.create_table(
        "meeting_voice_stays",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("joined", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_voice_stays")),
    )
    with op.batch_alter_table("meeting_voice_stays", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_voice_stays_channel_id_joined", ["channel_id", "joined"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_voice_stays_guild_id_user_id", ["guild_id", "user_id"], unique=False
        )

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("title_key", sa.String(length=400), nullable=False),
        sa.Column("weekdays", sa.String(length=40), nullable=False),
        sa.Column("at", sa.Time(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("voice_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("voice_is_stage", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reminders", sa.String(length=80), nullable=False),
        sa.Column("role_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("planned_start", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("event_outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("event_start", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 15 AND 480", name=op.f("ck_meetings_duration")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meetings_guild_id_title_key", ["guild_id", "title_key"], unique=False
        )

    op.create_table(
        "meeting_attendance",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("occurrence", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("how IN ('voice', 'self')", name=op.f("ck_meeting_attendance_how")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_attendance_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
        sa.UniqueConstraint(
            "meeting_id",
            "occurrence",
            "user_id",
            name=op.f("uq_meeting_attendance_meeting_id_occurrence_user_id"),
        ),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_attendance_guild_id_user_id", ["guild_id", "user_id"], unique=False
        )

    op.create_table(
        "meeting_cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_cancellations_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_cancellations")),
        sa.UniqueConstraint(
            "meeting_id", "day", name=op.f("uq_meeting_cancellations_meeting_id_day")
        ),
    )
    op.create_table(
        "meeting_posts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_posts_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_posts")),
    )
    with op.batch_alter_table("meeting_posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_posts_meeting_id_occurrence", ["meeting_id", "occurrence"], unique=False
        )

    op.create_table(
        "meeting_rsvps",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("occurrence", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer IN ('going', 'not_going')", name=op.f("ck_meeting_rsvps_answer")
        ),
        sa.CheckConstraint("source IN ('button', 'event')", name=op.f("ck_meeting_rsvps_source")),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_rsvps_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_rsvps")),
        sa.UniqueConstraint(
            "meeting_id",
            "occurrence",
            "user_id",
            name=op.f("uq_meeting_rsvps_meeting_id_occurrence_user_id"),
        ),
    )
    with op.batch_alter_table("meeting_rsvps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_rsvps_guild_id_user_id", ["guild_id", "user_id"], unique=False
        )

    op.create_table(
        "meeting_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reminders", sa.String(length=80), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_subscriptions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_subscriptions")),
        sa.UniqueConstraint(
            "meeting_id", "user_id", name=op.f("uq_meeting_subscriptions_meeting_id_user_id")
        ),
    )
    with op.batch_alter_table("meeting_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_subscriptions_guild_id_user_id", ["guild_id", "user_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("meeting_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_subscriptions_guild_id_user_id")

    op.drop_table("meeting_subscriptions")
    with op.batch_alter_table("meeting_rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_rsvps_guild_id_user_id")

    op.drop_table("meeting_rsvps")
    with op.batch_alter_table("meeting_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_posts_meeting_id_occurrence")

    op.drop_table("meeting_posts")
    op.drop_table("meeting_cancellations")
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_attendance_guild_id_user_id")

    op.drop_table("meeting_attendance")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_guild_id_title_key")

    op.drop_table("meetings")
    with op.batch_alter_table("meeting_voice_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_voice_stays_guild_id_user_id")
        batch_op.drop_index("ix_meeting_voice_stays_channel_id_joined")

    op.drop_table("meeting_voice_stays")
    op.drop_table("meeting_settings")
