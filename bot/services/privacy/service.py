"""/privacy: a member's copy of everything Steady holds about them in a server, its erasure,
who saw their data, and the moderators' audit log and aggregate figures.

Each feature's `MemberData` does the copying and erasing of its own tables; this service runs
them all in one transaction, in the order the container lists them: first every feature's
locks on its domain rows, then the erasers (features' rows, their due work, the outbox last),
as the lock order asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.audit import AuditLog
from bot.db.models.privacy import AccessLogEntry
from bot.errors import InvalidInput
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem, WorkKind
from bot.services.audit import record_action
from bot.services.privacy.log_data import FORMER_MEMBER
from bot.services.privacy.registry import MemberData, MemberRef
from bot.services.privacy.stats import Figure, StatsSource

SCHEMA_VERSION = 1
ERASURE_ACTION = "privacy.erasure"
# How long after a member leaves their data is erased, unless they come back.
DEPARTURE_GRACE = timedelta(days=30)
DEPARTED_KIND = "privacy.departed"
MAX_DAYS = 365

NOT_AN_ID = (
    "That doesn't look like a Discord user id. It is a number of 17 to 20 digits, e.g. "
    "`/privacy erase-member user_id:123456789012345678` (with Developer Mode on, right-click "
    "the member and choose Copy User ID). Nothing was changed."
)
_SNOWFLAKE = re.compile(r"\s*(?:<@!?)?(\d{17,20})>?\s*")


def parse_user_id(raw: str) -> int:
    """A user id as typed (or pasted as a mention); anything else is refused with an example."""
    found = _SNOWFLAKE.fullmatch(raw)
    if found is None:
        raise InvalidInput(NOT_AN_ID)
    return int(found[1])


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"`days` is a number from 1 to {MAX_DAYS}, e.g. `days:30`.")
    return days


@dataclass(frozen=True, slots=True)
class Erasure:
    total: int
    by_feature: dict[str, int]


@dataclass(frozen=True, slots=True)
class Access:
    viewer_id: int  # FORMER_MEMBER when the viewer's own data was erased since
    what: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor_id: int  # FORMER_MEMBER: an erased member, or a member erasing their own data
    action: str
    target_id: int | None
    at: datetime
    count: int | None = None  # an erasure's rows


class PrivacyService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        owners: Sequence[MemberData],
        stats_sources: Sequence[StatsSource],
    ) -> None:
        self._db = database
        self._clock = clock
        self.owners = tuple(owners)
        self._stats_sources = tuple(stats_sources)
        features = [owner.feature for owner in self.owners]
        if len(set(features)) != len(features):
            raise ValueError("each feature registers one MemberData")

    # -- a member's own data --------------------------------------------------------------

    async def export(self, member: MemberRef) -> dict[str, Any]:
        """Everything about `member` in their server, JSON-ready, each feature under its name.
        Read in one transaction so the features agree with each other."""
        async with self._db.transaction() as session:
            features = {owner.feature: await owner.export(session, member) for owner in self.owners}
        return {
            "schema_version": SCHEMA_VERSION,
            "exported_at": self._clock.now().isoformat(),
            "server_id": member.guild_id,
            "member_id": member.user_id,
            "features": features,
        }

    async def erase(self, member: MemberRef, *, actor_id: int | None = None) -> Erasure:
        """Erase everything about `member` in their server. `actor_id` is the moderator who
        asked (None: the member themself, or their departure). Twice is harmless: the second
        time finds nothing, removes nothing and writes no audit row."""
        async with self._db.transaction() as session:
            return await self.erase_in(session, member, actor_id=actor_id)

    async def lock_member(self, session: AsyncSession, member: MemberRef) -> None:
        """Every feature's domain rows of `member`, locked in registration order (server and
        member settings first, then each feature's rows): the first class of the lock order,
        taken before any eraser locks due work or outbox rows."""
        for owner in self.owners:
            if owner.lock is not None:
                await owner.lock(session, member)

    async def erase_in(
        self, session: AsyncSession, member: MemberRef, *, actor_id: int | None
    ) -> Erasure:
        await self.lock_member(session, member)
        # Their departure's erasure, if one is waiting: due work, after the domain rows (its
        # handler takes the same domain locks before its row, in `_lock_departed`).
        await ledger.cancel(session, DEPARTED_KIND, member.user_id, key=str(member.guild_id))
        by_feature: dict[str, int] = {}
        for owner in self.owners:
            by_feature[owner.feature] = await owner.erase(session, member)
        total = sum(by_feature.values())
        if total:
            await record_action(
                session,
                guild_id=member.guild_id,
                actor_id=actor_id if actor_id is not None else FORMER_MEMBER,
                action=ERASURE_ACTION,
                count=total,
                at=self._clock.now(),
            )
        return Erasure(total, by_feature)

    async def access_log(self, member: MemberRef, *, limit: int = 25) -> list[Access]:
        """Who saw the member's data, newest first."""
        async with self._db.read() as session:
            rows = (
                await session.scalars(
                    select(AccessLogEntry)
                    .where(
                        AccessLogEntry.guild_id == member.guild_id,
                        AccessLogEntry.owner_id == member.user_id,
                    )
                    .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
                    .limit(limit)
                )
            ).all()
        return [Access(row.viewer_id, row.what, row.at) for row in rows]

    # -- moderators ------------------------------------------------------------------------

    async def audit(
        self, guild_id: int, *, member_id: int | None, days: int, limit: int = 25
    ) -> list[AuditEntry]:
        """Moderator actions of the last `days`, newest first; with `member_id`, the actions
        that member took or that were taken about them."""
        since = self._clock.now() - timedelta(days=check_days(days))
        query = select(AuditLog).where(AuditLog.guild_id == guild_id, AuditLog.at >= since)
        if member_id is not None:
            query = query.where(
                (AuditLog.actor_id == member_id) | (AuditLog.target_id == member_id)
            )
        async with self._db.read() as session:
            rows = (
                await session.scalars(
                    query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
                )
            ).all()
        return [
            AuditEntry(row.actor_id, row.action, row.target_id, row.at, row.count) for row in rows
        ]

    async def stats(self, guild_id: int, *, days: int) -> list[Figure]:
        since = self._clock.now() - timedelta(days=check_days(days))
        figures: list[Figure] = []
        async with self._db.transaction() as session:
            for source in self._stats_sources:
                figures.extend(await source(session, guild_id, since))
        return figures

    # -- members who leave -----------------------------------------------------------------

    async def member_left(self, guild_id: int, user_id: int) -> None:
        """Erase their data DEPARTURE_GRACE from now, unless they come back first."""
        async with self._db.transaction() as session:
            await ledger.schedule(
                session,
                DEPARTED_KIND,
                user_id,
                self._clock.now() + DEPARTURE_GRACE,
                key=str(guild_id),
                guild_id=guild_id,
            )

    async def member_returned(self, guild_id: int, user_id: int) -> bool:
        """They came back: their data stays. Whether an erasure was waiting."""
        async with self._db.transaction() as session:
            return bool(await ledger.cancel(session, DEPARTED_KIND, user_id, key=str(guild_id)))

    def work_kinds(self) -> list[WorkKind[int]]:
        return [WorkKind(DEPARTED_KIND, self._lock_departed, self._erase_departed)]

    async def _lock_departed(self, session: AsyncSession, item: DueItem) -> int | None:
        """The departed member's domain rows, locked before the runner locks this item's row,
        as a command's erasure locks them before it cancels this row."""
        if item.guild_id is None:
            return None
        await self.lock_member(session, MemberRef(item.guild_id, item.subject_id))
        return item.subject_id

    async def _erase_departed(self, session: AsyncSession, item: DueItem, user_id: int) -> None:
        assert item.guild_id is not None  # `_lock_departed` found no subject otherwise
        await self.erase_in(session, MemberRef(item.guild_id, user_id), actor_id=None)
