"""The outbox: every message (and every other Discord operation) Steady makes on its own,
written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, NONE, table_privacy

PENDING = "pending"
# Waits for the row it acts on (`ref_id`: the message an edit changes, the thread a member is
# added to) to be done; then pending. Never claimed, never due.
WAITING = "waiting"
SENT = "sent"
# Not delivered, and the feature was told (DMs closed and no usable fallback): an expected end.
FAILED = "failed"
# Not delivered because of an error an operator should look at (permanent 4xx, retries used up).
DEAD = "dead"
# Withdrawn by the feature (or superseded by a later edit) before it was sent.
CANCELLED = "cancelled"

# Lanes: urgent rows (support alerts, SOS) are claimed first and have their own senders.
NORMAL = 0
URGENT = 1

SEND = "send"

# A feature's hook still to run for a finished row (see bot/delivery/recording.py).
HOOK_COMPLETED = "completed"
HOOK_UNDELIVERABLE = "undeliverable"
# Cancelled while its send was under way, and the send arrived: the feature may edit the copy.
HOOK_SENT_DESPITE_CANCEL = "sent_cancelled"


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    # A short machine name such as "milestone.dm": shown in /setup status, never personal.
    purpose: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    # "send" a message, "edit" one, or another Discord operation ("thread.create", …).
    operation: Mapped[str] = mapped_column(String(24), default=SEND, server_default=SEND)
    priority: Mapped[int] = mapped_column(SmallInteger, default=NORMAL, server_default="0")
    # The row this one acts on (an edit's original, a thread operation's thread.create).
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    target_kind: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[int] = mapped_column(BigInteger)
    fallback_kind: Mapped[str | None] = mapped_column(String(8))
    fallback_id: Mapped[int | None] = mapped_column(BigInteger)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"content": …, "embeds": […], "components": […]} in Discord's JSON shapes, or an
    # operation's parameters.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the row may next be tried: AS_SOON_AS_POSSIBLE (or not_before) at first, then the
    # end of a claim's lease or of a back-off.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # When the latest attempt began, and the first attempt whose outcome is unknown (Discord
    # may have done it): past the nonce window, a retry first looks whether it did.
    attempt_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    uncertain_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An HTTP status and Discord error code or an exception class name; never message content.
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_to: Mapped[str | None] = mapped_column(String(8))  # "target" or "fallback"
    sent_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # What an operation made (a thread's or a scheduled event's id).
    external_id: Mapped[int | None] = mapped_column(BigInteger)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The feature's hook to run for this finished row, in its own transaction after the row was
    # marked (then `next_attempt_at` says when a missed or failed run is tried again).
    hook: Mapped[str | None] = mapped_column(String(16))
    hook_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The first click on the message's acknowledge button (see bot/delivery/components.py).
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        # The urgent lane's claim reads only its own rows.
        Index("ix_outbox_state_priority_next_attempt_at", "state", "priority", "next_attempt_at"),
        Index("ix_outbox_state_finished_at", "state", "finished_at"),
        # Cancelling a subject's rows (a counter removed) and finding an original's edits.
        Index("ix_outbox_purpose_subject_id", "purpose", "subject_id"),
        Index("ix_outbox_ref_id", "ref_id"),
        Index("ix_outbox_hook_next_attempt_at", "hook", "next_attempt_at"),
        # A member's export and erasure read the messages to their DMs, and the buttons they
        # pressed (few rows have one, so only those are indexed).
        Index("ix_outbox_target_id_target_kind", "target_id", "target_kind"),
        Index(
            "ix_outbox_acknowledged_by",
            "acknowledged_by",
            sqlite_where=text("acknowledged_by IS NOT NULL"),
            postgresql_where=text("acknowledged_by IS NOT NULL"),
        ),
        # DMs target a member (target_id) and a button press names who pressed it.
        table_privacy(MEMBER),
    )


class DmChannel(Base):
    """A member's DM channel id: opening it again costs a request per message otherwise
    (discord.py keeps only 128 in memory). A DM channel's id never changes."""

    __tablename__ = "dm_channels"
    __table_args__ = (table_privacy(MEMBER),)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger)


class RequestBudget(Base):
    """Unused since revision 0012 (`RequestTokens`): the evenly spaced slots processes leased
    before. Kept so that a process of the previous version still running during an upgrade
    does not fail; a later revision drops it."""

    __tablename__ = "request_budget"
    __table_args__ = (table_privacy(NONE),)

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Seconds since the epoch (the database's clock) of the next free slot.
    next_slot: Mapped[float] = mapped_column(Float)


class RequestTokens(Base):
    """Discord's global request budget shared by the processes on one PostgreSQL database
    (bot/delivery/pacing.py `SharedPacer`): how many of its tokens each process holds. Times
    are seconds since the epoch on the database's clock."""

    __tablename__ = "request_tokens"
    __table_args__ = (table_privacy(NONE),)

    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    held: Mapped[int] = mapped_column(Integer)
    # Tokens it was short of at its last renewal: the others give back down to a fair share.
    wanted: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)
