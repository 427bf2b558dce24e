"""Reading profiles, loads and requests from the database into the matching domain's terms."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, func, or_, select, type_coerce, union, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    GuildSettings,
    MemberSettings,
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentoringSettings,
    MentorProfile,
)
from bot.db.models.mentoring import ACTIVE, APPROVED, DECLINED, ENDED, OPEN
from bot.domain import matching as m
from bot.domain.mentor_index import MentorIndex


@dataclass(frozen=True, slots=True)
class Pool:
    """A server's approved mentors taking offers, their current loads, and each one's zone
    (for the explanations)."""

    index: MentorIndex
    loads: dict[int, int]
    zones: dict[int, ZoneInfo]

    def best(self, request: m.Request) -> m.Candidate | None:
        return self.index.best(request, self.loads)

    @property
    def mentors(self) -> list[m.Mentor]:
        """Those with a free place, each with their load."""
        chosen = []
        for mentor in self.index.mentors:
            load = self.loads.get(mentor.user_id, 0)
            if load < mentor.capacity:
                chosen.append(replace(mentor, load=load) if load else mentor)
        return chosen

    def has_room(self) -> bool:
        return any(self.loads.get(x.user_id, 0) < x.capacity for x in self.index.mentors)


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


async def zones_of(
    session: AsyncSession, guild_id: int, user_id: int, default_zone: str
) -> tuple[ZoneInfo, ZoneInfo]:
    """(the server's zone, the member's zone) in one round trip."""
    server = select(GuildSettings.timezone).where(GuildSettings.guild_id == guild_id)
    member = select(MemberSettings.timezone).where(
        MemberSettings.guild_id == guild_id, MemberSettings.user_id == user_id
    )
    row = (await session.execute(select(server.scalar_subquery(), member.scalar_subquery()))).one()
    fallback = _zone(row[0] or default_zone)
    return fallback, _zone(row[1]) if row[1] else fallback


async def bump_pool(session: AsyncSession, guild_id: int, now: datetime) -> None:
    """Mark the server's approved mentors as changed, in the transaction that changed them."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MentoringSettings).values(guild_id=guild_id, pool_version=1, updated_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["guild_id"],
            set_={"pool_version": MentoringSettings.pool_version + 1},
        )
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    version: int
    start: datetime
    fallback: ZoneInfo
    index: MentorIndex  # approved, not paused, with load 0
    zones: dict[int, ZoneInfo]


class MentorPool:
    """Each server's approved mentors, kept in memory between requests.

    An offer is made while the member waits for the reply, and a server may have thousands of
    mentors: reading and decoding all of them for every request would be most of the time. The
    copy is read again whenever the server's `pool_version` moved (`bump_pool`), so several
    processes stay correct; only the loads (active pairs and open offers) are read every time.
    """

    def __init__(self) -> None:
        self._snapshots: dict[int, _Snapshot] = {}

    async def load(
        self, session: AsyncSession, guild_id: int, start: datetime, fallback: ZoneInfo
    ) -> Pool:
        """The server's approved mentors who are taking offers and have a free place; an open
        offer holds a place like a mentee."""
        version = await session.scalar(
            select(MentoringSettings.pool_version).where(MentoringSettings.guild_id == guild_id)
        )
        snapshot = self._snapshots.get(guild_id)
        if (
            snapshot is None
            or snapshot.version != (version or 0)
            or snapshot.start != start
            or snapshot.fallback != fallback
        ):
            snapshot = await self._read(session, guild_id, version or 0, start, fallback)
            self._snapshots[guild_id] = snapshot
        return Pool(snapshot.index, await _loads(session, guild_id), snapshot.zones)

    async def _read(
        self,
        session: AsyncSession,
        guild_id: int,
        version: int,
        start: datetime,
        fallback: ZoneInfo,
    ) -> _Snapshot:
        rows = (
            await session.execute(
                select(
                    MentorProfile.user_id,
                    MentorProfile.kind,
                    MentorProfile.capacity,
                    # The JSON text itself where the driver gives it: many mentors share a
                    # list, and each distinct text is decoded once.
                    type_coerce(MentorProfile.focus, Text),
                    type_coerce(MentorProfile.languages, Text),
                    MentorProfile.availability,
                    MemberSettings.timezone,
                )
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
                )
                .order_by(MentorProfile.user_id)
            )
        ).all()
        mentors: list[m.Mentor] = []
        zones: dict[int, ZoneInfo] = {}
        for user_id, kind, capacity, focus, languages, hours, zone_name in rows:
            zone = _zone(zone_name) if zone_name else fallback
            zones[user_id] = zone
            mentors.append(
                m.Mentor(
                    user_id=user_id,
                    kind=m.SPONSOR if kind == m.SPONSOR else m.MENTOR,
                    capacity=capacity,
                    load=0,
                    focus=_focus_keys(focus),
                    languages=_languages(languages),
                    availability=m.weekly_mask(_windows(hours), zone, start),
                )
            )
        return _Snapshot(version, start, fallback, MentorIndex(mentors), zones)


async def _loads(session: AsyncSession, guild_id: int) -> dict[int, int]:
    """Each mentor's active pairs plus open offers (an offer holds a place)."""
    pairs = (
        select(MentoringPair.mentor_id, func.count())
        .where(MentoringPair.guild_id == guild_id, MentoringPair.state == ACTIVE)
        .group_by(MentoringPair.mentor_id)
    )
    offers = (
        select(MentoringOffer.mentor_id, func.count())
        .where(MentoringOffer.guild_id == guild_id, MentoringOffer.state == OPEN)
        .group_by(MentoringOffer.mentor_id)
    )
    loads: dict[int, int] = {}
    for user_id, count in await session.execute(union_all(pairs, offers)):
        loads[user_id] = loads.get(user_id, 0) + int(count)
    return loads


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
    # One round trip: this runs while the member waits for the reply.
    ids = set(await session.scalars(union(offered, declined, ended, ended_as_mentee)))
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
