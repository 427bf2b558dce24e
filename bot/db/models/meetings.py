"""Recurring group meetings: the rule, cancelled dates, subscriptions, RSVPs, attendance.

Occurrences are computed from the rule (bot/domain/meetings.py), never stored for the whole
future: a row keyed by an occurrence (an RSVP, a reminder post, attendance) names it by its start.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, NONE, table_privacy


class Meeting(Base):
    """One recurring meeting of a server. Deleted meetings keep their row (`deleted_at`) so
    members' past attendance still names the group it was."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration"),
        Index("ix_meetings_guild_id_title_key", "guild_id", "title_key"),
        table_privacy(NONE),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(100))
    title_key: Mapped[str] = mapped_column(String(400))  # case-folded, for lookups by title
    weekdays: Mapped[str] = mapped_column(String(40))  # canonical: "daily", "mon,wed,fri"
    at: Mapped[time] = mapped_column(Time)  # wall-clock time in `zone`
    zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)  # reminder posts
    voice_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    # A stage channel's event is a stage-instance event, a voice channel's a voice event.
    voice_is_stage: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    location: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    reminders: Mapped[str] = mapped_column(String(80))  # canonical offsets: "24h,1h"
    role_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    # The occurrence whose reminders and end are planned as due work.
    planned_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Discord's scheduled event mirroring the next occurrence: the outbox row creating it, its
    # id once made, and the occurrence it was made for.
    event_outbox_id: Mapped[int | None] = mapped_column(BigInteger)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    event_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MeetingCancellation(Base):
    """One occurrence that will not happen (a local date of the meeting)."""

    __tablename__ = "meeting_cancellations"
    __table_args__ = (UniqueConstraint("meeting_id", "day"), table_privacy(NONE))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingSubscription(Base):
    """A member's personal DM reminders for a meeting, at their own offsets."""

    __tablename__ = "meeting_subscriptions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        Index("ix_meeting_subscriptions_guild_id_user_id", "guild_id", "user_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    reminders: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingRsvp(Base):
    """A member's answer for one occurrence: from the reminder buttons or Discord's Interested."""

    __tablename__ = "meeting_rsvps"
    __table_args__ = (
        UniqueConstraint("meeting_id", "occurrence", "user_id"),
        CheckConstraint("answer IN ('going', 'not_going')", name="answer"),
        CheckConstraint("source IN ('button', 'event')", name="source"),
        Index("ix_meeting_rsvps_guild_id_user_id", "guild_id", "user_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingAttendance(Base):
    """One member at (or, self-reported, not at) one occurrence."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "occurrence", "user_id"),
        CheckConstraint("how IN ('voice', 'self')", name="how"),
        Index("ix_meeting_attendance_guild_id_user_id", "guild_id", "user_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    local_day: Mapped[date] = mapped_column(Date)  # the meeting's date, for weeks in a row
    attended: Mapped[bool] = mapped_column(Boolean)
    how: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int | None] = mapped_column(Integer)  # time present, with voice
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MeetingVoiceStay(Base):
    """A member's stay in a meeting's voice channel, kept until its occurrence is counted."""

    __tablename__ = "meeting_voice_stays"
    __table_args__ = (
        Index("ix_meeting_voice_stays_channel_id_joined", "channel_id", "joined"),
        Index("ix_meeting_voice_stays_guild_id_user_id", "guild_id", "user_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    joined: Mapped[datetime] = mapped_column(UTCDateTime())
    left: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MeetingPost(Base):
    """A reminder posted in the meeting's channel, edited in place as RSVP counts change."""

    __tablename__ = "meeting_posts"
    __table_args__ = (
        Index("ix_meeting_posts_meeting_id_occurrence", "meeting_id", "occurrence"),
        table_privacy(NONE),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    outbox_id: Mapped[int] = mapped_column(BigInteger)


class MeetingSettings(Base):
    """A server's meeting settings."""

    __tablename__ = "meeting_settings"
    __table_args__ = (
        CheckConstraint("min_presence_minutes BETWEEN 1 AND 480", name="presence"),
        table_privacy(NONE),
    )

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Voice presence that counts as attending (the "server setting", default 10).
    min_presence_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # The moderator was told the bot lacks Create Events: told once, not at every occurrence.
    event_permission_told: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
