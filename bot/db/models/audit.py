"""The audit log: moderators' actions, for the audit and privacy features to show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime


class AuditLog(Base):
    """Who did what to whom, and when; never any content, note or reason."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_id_at", "guild_id", "at"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    # A short machine name such as "mentors.approve".
    action: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
