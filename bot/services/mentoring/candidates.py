"""Reading profiles, loads and requests from the database into the matching domain's terms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    GuildSettings,
    MemberSettings,
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentorProfile,
)
from bot.db.models.mentoring import ACTIVE, APPROVED, DECLINED, ENDED, OPEN
from bot.domain import matching as m


@dataclass(frozen=True, slots=True)
class Pool:
    """A server's mentors as matching sees them, with each one's zone for the explanations."""

    mentors: list[m.Mentor]
    zones: dict[int, ZoneInfo]

    def has_room(self) -> bool:
        return any(x.approved and not x.paused and x.free > 0 for x in self.mentors)


async def guild_zone(session: AsyncSession, guild_id: int, default_zone: str) -> ZoneInfo:
    chosen = await session.scalar(
        select(GuildSettings.timezone).where(GuildSettings.guild_id == guild_id)
    )
    return ZoneInfo(chosen or default_zone)


async def member_zone(
    session: AsyncSession, guild_id: int, user_id: int, fallback: ZoneInfo
) -> ZoneInfo:
    chosen = await session.scalar(
        select(MemberSettings.timezone).where(
            MemberSettings.guild_id == guild_id, MemberSettings.user_id == user_id
        )
    )
    return ZoneInfo(chosen) if chosen else fallback


async def load_pool(
    session: AsyncSession, guild_id: int, start: datetime, fallback: ZoneInfo
) -> Pool:
    """The server's approved mentors who are taking offers and have a free place; an open
    offer holds a place like a mentee."""
    pairs = (
        select(MentoringPair.mentor_id.label("user_id"), func.count().label("n"))
        .where(MentoringPair.guild_id == guild_id, MentoringPair.state == ACTIVE)
        .group_by(MentoringPair.mentor_id)
        .subquery()
    )
    offers = (
        select(MentoringOffer.mentor_id.label("user_id"), func.count().label("n"))
        .where(MentoringOffer.guild_id == guild_id, MentoringOffer.state == OPEN)
        .group_by(MentoringOffer.mentor_id)
        .subquery()
    )
    # Columns, not ORM objects: this runs while a member waits for their reply, and a server
    # may have thousands of mentors.
    rows = (
        await session.execute(
            select(
                MentorProfile.user_id,
                MentorProfile.kind,
                MentorProfile.capacity,
                # The JSON text itself: many mentors share a list, and each distinct text is
                # decoded once (see _focus_keys, _languages).
                type_coerce(MentorProfile.focus, Text),
                type_coerce(MentorProfile.languages, Text),
                MentorProfile.availability,
                MentorProfile.paused,
                func.coalesce(pairs.c.n, 0),
                func.coalesce(offers.c.n, 0),
                MemberSettings.timezone,
            )
            .outerjoin(pairs, pairs.c.user_id == MentorProfile.user_id)
            .outerjoin(offers, offers.c.user_id == MentorProfile.user_id)
            .outerjoin(
                MemberSettings,
                and_(
                    MemberSettings.guild_id == MentorProfile.guild_id,
                    MemberSettings.user_id == MentorProfile.user_id,
                ),
            )
            .where(
                MentorProfile.guild_id == guild_id,
                MentorProfile.state == APPROVED,
                MentorProfile.paused.is_(False),
                MentorProfile.capacity
                > func.coalesce(pairs.c.n, 0) + func.coalesce(offers.c.n, 0),
            )
            .order_by(MentorProfile.user_id)
        )
    ).all()
    mentors: list[m.Mentor] = []
    zones: dict[int, ZoneInfo] = {}
    for user_id, kind, capacity, focus, languages, hours, paused, active, held, zone_name in rows:
        zone = _zone(zone_name) if zone_name else fallback
        zones[user_id] = zone
        mentors.append(
            m.Mentor(
                user_id=user_id,
                kind=m.SPONSOR if kind == m.SPONSOR else m.MENTOR,
                capacity=capacity,
                load=int(active) + int(held),
                focus=_focus_keys(focus),
                languages=_languages(languages),
                availability=m.weekly_mask(_windows(hours), zone, start),
                approved=True,
                paused=paused,
            )
        )
    return Pool(mentors, zones)


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _names(stored: str | list[str]) -> tuple[str, ...]:
    # SQLite hands back the JSON text; asyncpg has already decoded it into a list.
    return _decoded(stored) if isinstance(stored, str) else tuple(stored)


@lru_cache(maxsize=8192)
def _decoded(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


@lru_cache(maxsize=8192)
def _keys(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(m.focus_key(name) for name in names)


def _focus_keys(stored: str | list[str]) -> frozenset[str]:
    return _keys(_names(stored))


def _languages(stored: str | list[str]) -> frozenset[str]:
    return frozenset(_names(stored))


@lru_cache(maxsize=4096)
def _windows(stored: str | None) -> tuple[m.Window, ...]:
    return m.decode_windows(stored) or m.DEFAULT_DAY


async def excluded_mentors(session: AsyncSession, request: MentoringRequest) -> frozenset[int]:
    """Mentors this request may not go to: everyone it was offered to already, whoever declined
    this member before, and whoever had a pairing with them that ended."""
    offered = select(MentoringOffer.mentor_id).where(MentoringOffer.request_id == request.id)
    declined = (
        select(MentoringOffer.mentor_id)
        .join(MentoringRequest, MentoringRequest.id == MentoringOffer.request_id)
        .where(
            MentoringRequest.guild_id == request.guild_id,
            MentoringRequest.requester_id == request.requester_id,
            MentoringOffer.state == DECLINED,
        )
    )
    ended = select(MentoringPair.mentor_id).where(
        MentoringPair.guild_id == request.guild_id,
        MentoringPair.state == ENDED,
        or_(
            MentoringPair.mentee_id == request.requester_id,
            MentoringPair.mentor_id == request.requester_id,
        ),
    )
    ended_as_mentee = select(MentoringPair.mentee_id).where(
        MentoringPair.guild_id == request.guild_id,
        MentoringPair.state == ENDED,
        MentoringPair.mentor_id == request.requester_id,
    )
    ids: set[int] = set()
    for query in (offered, declined, ended, ended_as_mentee):
        ids.update(await session.scalars(query))
    ids.discard(request.requester_id)
    return frozenset(ids)


async def to_request(
    session: AsyncSession, request: MentoringRequest, zone: ZoneInfo, start: datetime
) -> m.Request:
    return m.Request(
        requester_id=request.requester_id,
        kind="sponsor" if request.kind == m.SPONSOR else "mentor",
        focus=frozenset(m.focus_key(name) for name in request.focus),
        language=request.language,
        availability=m.weekly_mask(m.DEFAULT_DAY, zone, start),
        excluded=await excluded_mentors(session, request),
    )
