"""Guild and member settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, NONE, table_privacy

# Discord snowflakes exceed 32 bits.
Snowflake = BigInteger


class GuildSettings(Base):
    """Per-server choices made by moderators."""

    __tablename__ = "guild_settings"
    # Channel and role ids a moderator chose: nothing about one member.
    __table_args__ = (table_privacy(NONE),)

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    moderator_role_id: Mapped[int | None] = mapped_column(Snowflake)
    milestones_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    celebration_hour: Mapped[int] = mapped_column(Integer, default=9, server_default="9")
    # Comma-separated day counts replacing the default ladder; NULL means the default.
    milestone_ladder: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberSettings(Base):
    """Per-member choices; a member is a user within one server."""

    __tablename__ = "member_settings"
    __table_args__ = (table_privacy(MEMBER),)

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
