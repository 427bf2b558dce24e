"""Daily check-ins: members' choices, check-ins, alerts with every copy posted, server settings.

Notes (a check-in's, an /sos note) are stored only as Fernet tokens (`bot.security.notes`);
scores are plain numbers kept a year for the chart. An alert's escalation state mirrors
`bot.domain.checkins.escalation.Alert` column by column, so a handler can rebuild it under the
row's lock and act only on what the state machine says.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, NONE, table_privacy, via

# What a member's mentor and sponsor may read with /checkin mentee.
SHARE_NONE = "none"
SHARE_SCORES = "scores"
SHARE_NOTES = "scores-and-notes"
SHARING = (SHARE_NONE, SHARE_SCORES, SHARE_NOTES)


class CheckinSettings(Base):
    """A server's check-in choices (`/setup checkins`)."""

    __tablename__ = "checkin_settings"
    __table_args__ = (
        CheckConstraint("craving_alert BETWEEN 0 AND 10", name="craving_alert"),
        CheckConstraint("mood_alert BETWEEN 1 AND 5", name="mood_alert"),
        CheckConstraint("first_step_minutes < second_step_minutes", name="step_order"),
        CheckConstraint("keep_notes_days BETWEEN 1 AND 365", name="keep_notes_days"),
        table_privacy(NONE),
    )

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Hidden from @everyone: steps 1 and 2 are posted there, never with a note or scores.
    alerts_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    on_call_role_id: Mapped[int | None] = mapped_column(BigInteger)
    craving_alert: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    mood_alert: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    first_step_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    second_step_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    keep_notes_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CrisisLine(Base):
    """An extra local line a server adds to every crisis card (`/setup crisis-line add`)."""

    __tablename__ = "checkin_crisis_lines"
    __table_args__ = (UniqueConstraint("guild_id", "name"), table_privacy(NONE))

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(300))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckinMember(Base):
    """One member's check-in choices: the prompt schedule, what their mentor may see, and the
    quiet-signal state (missed prompts in a row, when a mentor was last nudged)."""

    __tablename__ = "checkin_members"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        CheckConstraint("sharing IN ('none', 'scores', 'scores-and-notes')", name="sharing"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    sharing: Mapped[str] = mapped_column(String(16), default=SHARE_NONE, server_default="none")
    # The prompt: local HH:MM in the member's zone and days as 0-6 (Monday first), or none.
    prompt_time: Mapped[str | None] = mapped_column(String(5))
    prompt_days: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    paused_through: Mapped[date | None] = mapped_column(Date)
    last_prompt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    missed_in_a_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    silence_nudged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    mood_nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Checkin(Base):
    """One check-in. The note is a Fernet token; it is deleted after the server's
    keep-notes-days while the scores stay a year."""

    __tablename__ = "checkins"
    __table_args__ = (
        CheckConstraint("mood BETWEEN 1 AND 5", name="mood"),
        CheckConstraint("craving BETWEEN 0 AND 10", name="craving"),
        Index("ix_checkins_guild_id_user_id_at", "guild_id", "user_id", "at"),
        Index("ix_checkins_at", "at"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    mood: Mapped[int] = mapped_column(Integer)
    craving: Mapped[int] = mapped_column(Integer)
    support: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[bytes | None] = mapped_column(LargeBinary)


class CheckinAlert(Base):
    """A request for a human, from a check-in or /sos, and how far it has escalated."""

    __tablename__ = "checkin_alerts"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'claimed', 'resolved', 'stood_down')", name="status"),
        # One active alert per member: asking again joins it.
        Index(
            "uq_checkin_alerts_active_member",
            "guild_id",
            "user_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'claimed')"),
            postgresql_where=text("status IN ('open', 'claimed')"),
        ),
        # A member's export and erasure find all their alerts, closed ones too.
        Index("ix_checkin_alerts_guild_id_user_id", "guild_id", "user_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean)
    # Reason values (bot.domain.checkins.risk.Reason), most pressing first.
    reasons: Mapped[list[str]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired: Mapped[list[int]] = mapped_column(JSON)
    # [[step, ISO instant], ...]: the steps that have a due-work row.
    pending: Mapped[list[Any]] = mapped_column(JSON)
    asked_again: Mapped[list[str]] = mapped_column(JSON)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The latest note asked with (a check-in's or an /sos note), as a Fernet token.
    note: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The latest scores, shown to a mentor only if the member's sharing allows.
    mood: Mapped[int | None] = mapped_column(Integer)
    craving: Mapped[int | None] = mapped_column(Integer)


class AlertCopy(Base):
    """One message an alert was posted as (a mentor's DM, an alerts-channel post), so that a
    claim or a resolution edits them all."""

    __tablename__ = "checkin_alert_copies"
    __table_args__ = (table_privacy(via("checkin_alerts")),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_alerts.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[int] = mapped_column(Integer)
    # The mentor or sponsor a DM went to; None for an alerts-channel post.
    recipient_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int] = mapped_column(BigInteger)
