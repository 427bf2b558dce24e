"""The audit log: moderators' actions, for the audit and privacy features to show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, table_privacy


class AuditLog(Base):
    """Who did what to whom, and when; never any content, note or reason."""

    __tablename__ = "audit_log"
    # Member data: actor and target are members. Erasing a member anonymises their rows (the
    # ids become NULL / 0) rather than deleting them, so the log still shows that an action
    # happened.
    __table_args__ = (
        Index("ix_audit_log_guild_id_at", "guild_id", "at"),
        # Erasing a member finds the rows naming them (and /audit filters by them) without
        # reading the whole server's log.
        Index("ix_audit_log_guild_id_actor_id", "guild_id", "actor_id"),
        Index("ix_audit_log_guild_id_target_id", "guild_id", "target_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    # A short machine name such as "mentors.approve".
    action: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    # How many things the action concerned, where that is its point (an erasure's rows).
    count: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
