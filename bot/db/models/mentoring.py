"""Mentor and sponsor matching: profiles, requests, offers, pairs and the server's settings.

A request moves waiting → offered → matched (or withdrawn); each offer of it to one mentor is a
row of its own (open → accepted / declined / expired / withdrawn), and at most one is open at a
time. A pair is active until either side (or a moderator) ends it; ended pairs are kept so a
mentor is never offered the same member again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
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
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import MEMBER, NONE, table_privacy

# Profile states: applied and waiting for a moderator, taking mentees, or turned away.
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
REMOVED = "removed"

# Request states.
WAITING = "waiting"
OFFERED = "offered"
MATCHED = "matched"
WITHDRAWN = "withdrawn"
OPEN_REQUEST_STATES = (WAITING, OFFERED)

# Offer states (WITHDRAWN too, when the request or the mentor goes away while it is open).
OPEN = "open"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"

# Pair states.
ACTIVE = "active"
ENDED = "ended"

DEFAULT_SPONSOR_DAYS = 365
DEFAULT_OFFER_HOURS = 24


class MentorProfile(Base):
    """One member's application to mentor or sponsor, and how they are taking mentees."""

    __tablename__ = "mentor_profiles"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        CheckConstraint("kind IN ('mentor', 'sponsor')", name="kind"),
        CheckConstraint("state IN ('pending', 'approved', 'rejected', 'removed')", name="state"),
        CheckConstraint("capacity BETWEEN 1 AND 10", name="capacity"),
        # Matching reads a server's approved profiles; moderators its pending ones.
        Index("ix_mentor_profiles_guild_id_state", "guild_id", "state"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    # Focus areas in the server list's spelling, and language codes (bot.domain.languages).
    focus: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Local windows as `18:00-22:00,06:00-08:00` (bot.domain.matching.encode_windows), read in
    # the member's own timezone.
    availability: Mapped[str | None] = mapped_column(String(100))
    about: Mapped[str | None] = mapped_column(String(300))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Offers that ran out unanswered one after another; three pause the mentor.
    consecutive_expiries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MentoringRequest(Base):
    """A member asking for a mentor or sponsor; it waits on the list until someone accepts."""

    __tablename__ = "mentoring_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('mentor', 'sponsor')", name="kind"),
        CheckConstraint("state IN ('waiting', 'offered', 'matched', 'withdrawn')", name="state"),
        # At most one open request of each kind per member.
        Index(
            "uq_mentoring_requests_open",
            "guild_id",
            "requester_id",
            "kind",
            unique=True,
            sqlite_where=text("state IN ('waiting', 'offered')"),
            postgresql_where=text("state IN ('waiting', 'offered')"),
        ),
        # The waitlist in order: the front first (moved-up requests), then the oldest.
        Index("ix_mentoring_requests_waitlist", "guild_id", "state", "priority", "queued_at"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    requester_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    focus: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    # The requester's note, shown only to mentors the request is offered to: a Fernet token
    # (`bot.security.notes`, the check-in notes' keys), read through
    # `bot.services.mentoring.notes`.
    sealed_note: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The note as text, from before notes were encrypted (migration 0011): the bot encrypts
    # any left into `sealed_note` at start and empties this; never written otherwise.
    plain_note: Mapped[str | None] = mapped_column("note", String(300))
    state: Mapped[str] = mapped_column(String(16), default=WAITING)
    # Higher goes first: a mentee whose mentor was removed is put back at the front.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MentoringOffer(Base):
    """A request offered to one mentor, with Accept and Decline, until it expires."""

    __tablename__ = "mentoring_offers"
    __table_args__ = (
        CheckConstraint(
            "state IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')", name="state"
        ),
        # One open offer per request.
        Index(
            "uq_mentoring_offers_open_request",
            "request_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        # Whom a mentor declined, and how many offers they have open.
        Index("ix_mentoring_offers_guild_id_mentor_id", "guild_id", "mentor_id"),
        # The mentor's side of a request (the requester's side goes with the request).
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_requests.id", ondelete="CASCADE"), index=True
    )
    guild_id: Mapped[int] = mapped_column(BigInteger)
    mentor_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=OPEN)
    points: Mapped[int] = mapped_column(Integer)
    # Why they fit, in words (focus names, hours, language): never the note or anything private.
    reasons: Mapped[str] = mapped_column(String(400))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The offer DM, so that it can be edited once the offer is decided.
    outbox_id: Mapped[int | None] = mapped_column(BigInteger)


class MentoringPair(Base):
    """A mentee and their mentor or sponsor; ended pairs are kept, never deleted."""

    __tablename__ = "mentoring_pairs"
    __table_args__ = (
        CheckConstraint("kind IN ('mentor', 'sponsor')", name="kind"),
        CheckConstraint("state IN ('active', 'ended')", name="state"),
        # One active mentor and one active sponsor per mentee.
        Index(
            "uq_mentoring_pairs_active_mentee",
            "guild_id",
            "mentee_id",
            "kind",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
        # A mentor's current load.
        Index("ix_mentoring_pairs_guild_id_mentor_id_state", "guild_id", "mentor_id", "state"),
        table_privacy(MEMBER),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    mentee_id: Mapped[int] = mapped_column(BigInteger)
    mentor_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))
    # None for a pairing a moderator made directly.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentoring_requests.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    # The pair's private thread, archived and locked (never deleted) when the pair ends.
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[int | None] = mapped_column(BigInteger)


class MentoringSettings(Base):
    """A server's mentoring choices (`/setup mentoring`)."""

    __tablename__ = "mentoring_settings"
    __table_args__ = (
        CheckConstraint("sponsor_days >= 0", name="sponsor_days"),
        CheckConstraint("offer_hours BETWEEN 1 AND 168", name="offer_hours"),
        table_privacy(NONE),  # channel ids and numbers a moderator chose
    )

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Where each pair's private thread is created.
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    # Hidden from @everyone: a notice of each new application goes there.
    review_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    sponsor_days: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SPONSOR_DAYS, server_default=str(DEFAULT_SPONSOR_DAYS)
    )
    offer_hours: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_OFFER_HOURS, server_default=str(DEFAULT_OFFER_HOURS)
    )
    # The focus areas members choose from; NULL means the default list.
    focus_list: Mapped[list[str] | None] = mapped_column(JSON)
    # Raised by every change to the server's approved mentors (a profile, a pause, a mentor's
    # timezone), so each process knows when its in-memory copy of them is stale.
    pool_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
