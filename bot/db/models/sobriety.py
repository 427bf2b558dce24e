"""Sobriety counters, their earlier streaks, and the milestones already celebrated."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, table_privacy, via


class SobrietyCounter(Base):
    """One recovery counter of one member; the day count is computed, never stored."""

    __tablename__ = "sobriety_counters"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "label_key"),
        CheckConstraint("visibility IN ('private', 'members')", name="visibility"),
        CheckConstraint("celebrate IN ('channel', 'dm', 'off')", name="celebrate"),
        # Finding who is due reads only the counters due soon, never all of them.
        Index("ix_sobriety_counters_next_milestone_at", "next_milestone_at"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(40))
    # Case-folded label; folding can lengthen text ("ß" → "ss"), hence the wider column.
    label_key: Mapped[str] = mapped_column(String(160))
    start_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    # Which streak of this counter is current: 1, then +1 at every reset. Milestones are
    # celebrated once per streak, whatever corrections are made to the start date.
    streak_number: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    celebrate: Mapped[str] = mapped_column(String(16), default="dm")
    next_milestone_days: Mapped[int | None] = mapped_column(Integer)
    next_milestone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A milestone whose private congratulation could not be delivered (DMs closed); shown on the
    # member's next /sobriety show instead of anywhere public.
    held_milestone_days: Mapped[int | None] = mapped_column(Integer)
    # Sum of the ended streaks' days (which never change), kept here so showing the whole
    # journey needs no aggregate over the history.
    past_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SobrietyStreak(Base):
    """An earlier, ended streak of a counter: kept privately after a reset."""

    __tablename__ = "sobriety_streaks"
    __table_args__ = (table_privacy(via("sobriety_counters")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        ForeignKey("sobriety_counters.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)


class MilestoneCelebration(Base):
    """A milestone reached in one streak; the unique key makes each celebrated once per streak."""

    __tablename__ = "milestone_celebrations"
    __table_args__ = (
        UniqueConstraint("counter_id", "streak_number", "days"),
        # The announcer reads only a guild's not-yet-announced rows.
        Index("ix_milestone_celebrations_guild_id_announced", "guild_id", "announced"),
        table_privacy(via("sobriety_counters")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        ForeignKey("sobriety_counters.id", ondelete="CASCADE"), index=True
    )
    guild_id: Mapped[int] = mapped_column(BigInteger)
    streak_number: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    belated: Mapped[bool] = mapped_column(default=False)
    route: Mapped[str] = mapped_column(String(16))  # channel, dm or off: how it was celebrated
    announced: Mapped[bool] = mapped_column(default=False)  # posted in the channel yet
    # The channel post that carried it: if that post cannot be delivered, the congratulations
    # it carried are held for each member's next /sobriety show.
    post_group: Mapped[int | None] = mapped_column(Integer)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime())
