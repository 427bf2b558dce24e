"""Guild and member settings, and the timezone a member's days are counted in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.db.models import GuildSettings, MemberSettings
from bot.db.upsert import upsert
from bot.domain.timezones import parse_timezone
from bot.services.audit import record_action
from bot.services.privacy.registry import MemberData, MemberRef

# Called inside the transaction that changed a zone: (session, guild_id, user_id or None for the
# whole guild). Features whose timed work depends on local time re-plan it here.
DEFAULT_CELEBRATION_HOUR = 9

ZoneListener = Callable[[AsyncSession, int, int | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class GuildSettingsView:
    guild_id: int
    timezone: str | None
    moderator_role_id: int | None
    effective_timezone: str
    milestones_channel_id: int | None
    celebration_hour: int
    milestone_ladder: str | None


@dataclass(frozen=True, slots=True)
class MemberContext:
    """Everything about a member's setting that time-based features need, read at once."""

    zone: ZoneInfo
    guild: GuildSettingsView


@dataclass(frozen=True, slots=True)
class MemberTimezone:
    zone: str
    source: str  # "member", "server" or "default": where the zone came from, shown to the member


async def member_timezone_in(
    session: AsyncSession, guild_id: int, user_id: int, default_zone: str
) -> MemberTimezone:
    member = await session.get(MemberSettings, (guild_id, user_id))
    if member and member.timezone:
        return MemberTimezone(member.timezone, "member")
    guild = await session.get(GuildSettings, guild_id)
    if guild and guild.timezone:
        return MemberTimezone(guild.timezone, "server")
    return MemberTimezone(default_zone, "default")


class SettingsService:
    def __init__(self, database: Database, clock: Clock, settings: Settings) -> None:
        self._db = database
        self._clock = clock
        self.default_zone = settings.default_timezone
        self.zone_listeners: list[ZoneListener] = []

    async def guild(self, guild_id: int) -> GuildSettingsView:
        async with self._db.read() as session:
            return await self.guild_in(session, guild_id)

    async def guild_in(self, session: AsyncSession, guild_id: int) -> GuildSettingsView:
        return self._view(guild_id, await session.get(GuildSettings, guild_id))

    async def member_context_in(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> MemberContext:
        """The member's zone and the guild's settings in one round trip (the common case)."""
        member_zone = select(MemberSettings.timezone).where(
            MemberSettings.guild_id == guild_id, MemberSettings.user_id == user_id
        )
        # From a one-row source, the guild's row joined if it has one: a single round trip even
        # for a server that never changed a setting.
        one_row = select(literal(1).label("one")).subquery()
        row, chosen = (
            await session.execute(
                select(GuildSettings, member_zone.scalar_subquery())
                .select_from(one_row)
                .outerjoin(GuildSettings, GuildSettings.guild_id == guild_id)
            )
        ).one()
        return self.context_from(guild_id, row, chosen)

    def context_from(
        self, guild_id: int, row: GuildSettings | None, member_zone: str | None
    ) -> MemberContext:
        """A member's context from rows a caller already joined into its own query."""
        view = self._view(guild_id, row)
        return MemberContext(ZoneInfo(member_zone or view.effective_timezone), view)

    def _view(self, guild_id: int, row: GuildSettings | None) -> GuildSettingsView:
        zone = row.timezone if row and row.timezone else None
        return GuildSettingsView(
            guild_id=guild_id,
            timezone=zone,
            moderator_role_id=row.moderator_role_id if row else None,
            effective_timezone=zone or self.default_zone,
            milestones_channel_id=row.milestones_channel_id if row else None,
            celebration_hour=row.celebration_hour if row else DEFAULT_CELEBRATION_HOUR,
            milestone_ladder=row.milestone_ladder if row else None,
        )

    async def set_guild_timezone(
        self, guild_id: int, raw_zone: str, *, actor_id: int | None = None
    ) -> str:
        zone = parse_timezone(raw_zone).key
        async with self._db.transaction() as session:
            await self.update_guild_in(session, guild_id, timezone=zone)
            await self.audit_in(session, guild_id, actor_id, "settings.timezone")
            for listener in self.zone_listeners:
                await listener(session, guild_id, None)
        return zone

    async def set_moderator_role(
        self, guild_id: int, role_id: int | None, *, actor_id: int | None = None
    ) -> None:
        async with self._db.transaction() as session:
            await self.update_guild_in(session, guild_id, moderator_role_id=role_id)
            await self.audit_in(session, guild_id, actor_id, "settings.moderator_role")

    async def audit_in(
        self, session: AsyncSession, guild_id: int, actor_id: int | None, action: str
    ) -> None:
        """A moderator's settings change goes into the audit log (None: not a moderator's)."""
        if actor_id is not None:
            await record_action(
                session, guild_id=guild_id, actor_id=actor_id, action=action, at=self._clock.now()
            )

    async def update_guild_in(self, session: AsyncSession, guild_id: int, **values: Any) -> None:
        await upsert(
            session,
            GuildSettings,
            {"guild_id": guild_id},
            {**values, "updated_at": self._clock.now()},
        )

    async def is_moderator(
        self, guild_id: int, role_ids: frozenset[int], can_manage_guild: bool
    ) -> bool:
        """Manage Server, or the role the server named as its moderator role."""
        if can_manage_guild:
            return True
        view = await self.guild(guild_id)
        return view.moderator_role_id is not None and view.moderator_role_id in role_ids

    async def set_member_timezone(self, guild_id: int, user_id: int, raw_zone: str) -> str:
        zone = parse_timezone(raw_zone).key
        async with self._db.transaction() as session:
            await upsert(
                session,
                MemberSettings,
                {"guild_id": guild_id, "user_id": user_id},
                {"timezone": zone, "updated_at": self._clock.now()},
            )
            for listener in self.zone_listeners:
                await listener(session, guild_id, user_id)
        return zone

    async def member_timezone(self, guild_id: int, user_id: int) -> MemberTimezone:
        async with self._db.read() as session:
            return await member_timezone_in(session, guild_id, user_id, self.default_zone)

    async def member_zone(self, guild_id: int, user_id: int) -> ZoneInfo:
        return ZoneInfo((await self.member_timezone(guild_id, user_id)).zone)

    def member_data(self) -> list[MemberData]:
        return [
            MemberData(
                feature="settings",
                tables=("member_settings",),
                export=_export_member_settings,
                erase=_erase_member_settings,
                lock=_lock_member_settings,
            )
        ]


async def _lock_member_settings(session: AsyncSession, member: MemberRef) -> None:
    # The coarsest of a member's rows: a timezone change locks it before their counters.
    await session.get(MemberSettings, (member.guild_id, member.user_id), with_for_update=True)


async def _export_member_settings(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
    row = await session.get(MemberSettings, (member.guild_id, member.user_id))
    if row is None:
        return {}
    return {"timezone": row.timezone, "updated_at": row.updated_at.isoformat()}


async def _erase_member_settings(session: AsyncSession, member: MemberRef) -> int:
    result = await session.execute(
        delete(MemberSettings).where(
            MemberSettings.guild_id == member.guild_id, MemberSettings.user_id == member.user_id
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
