"""Reading profiles, loads and requests from the database into the matching domain's terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
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
    """Every approved mentor of the server; an open offer holds a place like a mentee."""
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
    rows = (
        await session.execute(
            select(
                MentorProfile,
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
            .where(MentorProfile.guild_id == guild_id, MentorProfile.state == APPROVED)
            .order_by(MentorProfile.user_id)
        )
    ).all()
    mentors: list[m.Mentor] = []
    zones: dict[int, ZoneInfo] = {}
    for profile, active, held, zone_name in rows:
        zone = ZoneInfo(zone_name) if zone_name else fallback
        zones[profile.user_id] = zone
        mentors.append(to_mentor(profile, int(active) + int(held), zone, start))
    return Pool(mentors, zones)


def to_mentor(profile: MentorProfile, load: int, zone: ZoneInfo, start: datetime) -> m.Mentor:
    windows = m.decode_windows(profile.availability) or m.DEFAULT_DAY
    return m.Mentor(
        user_id=profile.user_id,
        kind="sponsor" if profile.kind == m.SPONSOR else "mentor",
        capacity=profile.capacity,
        load=load,
        focus=frozenset(m.focus_key(name) for name in profile.focus),
        languages=frozenset(profile.languages),
        availability=m.weekly_mask(windows, zone, start),
        approved=profile.state == APPROVED,
        paused=profile.paused,
    )


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
