"""The outbox: every message Steady sends on its own, written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime

PENDING = "pending"
SENT = "sent"
# Not delivered, and the feature was told (DMs closed and no usable fallback): an expected end.
FAILED = "failed"
# Not delivered because of an error an operator should look at (permanent 4xx, retries used up).
DEAD = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    # A short machine name such as "milestone.dm": shown in /setup status, never personal.
    purpose: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    target_kind: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[int] = mapped_column(BigInteger)
    fallback_kind: Mapped[str | None] = mapped_column(String(8))
    fallback_id: Mapped[int | None] = mapped_column(BigInteger)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"content": …, "embeds": […], "components": […]} in Discord's JSON shapes.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the row may next be tried: AS_SOON_AS_POSSIBLE (or not_before) at first, then the
    # end of a claim's lease or of a back-off.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # An HTTP status and Discord error code or an exception class name; never message content.
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_to: Mapped[str | None] = mapped_column(String(8))  # "target" or "fallback"
    sent_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first click on the message's acknowledge button (see bot/delivery/components.py).
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbox_state_finished_at", "state", "finished_at"),
    )
