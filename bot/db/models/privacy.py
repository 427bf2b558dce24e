"""The access log: every time someone other than a member read that member's data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.models.scheduling import RowId
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, table_privacy


class AccessLogEntry(Base):
    """`viewer_id` saw `what` of `owner_id`'s data at `at`. Never the data itself."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_guild_id_owner_id_at", "guild_id", "owner_id", "at"),
        # Erasing a member who looked at others' data keeps those rows without their id.
        Index("ix_access_log_guild_id_viewer_id", "guild_id", "viewer_id"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    viewer_id: Mapped[int] = mapped_column(BigInteger)
    # A short machine name such as "checkins.shared" or "meetings.attendance".
    what: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
