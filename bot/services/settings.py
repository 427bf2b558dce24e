"""Guild and member settings, and the timezone a member's days are counted in."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.db.models import GuildSettings, MemberSettings
from bot.db.upsert import upsert
from bot.domain.timezones import parse_timezone


@dataclass(frozen=True, slots=True)
class GuildSettingsView:
    guild_id: int
    timezone: str | None
    moderator_role_id: int | None
    effective_timezone: str


@dataclass(frozen=True, slots=True)
class MemberTimezone:
    zone: str
    source: str  # "member", "server" or "default": where the zone came from, shown to the member


class SettingsService:
    def __init__(self, database: Database, clock: Clock, settings: Settings) -> None:
        self._db = database
        self._clock = clock
        self._default_zone = settings.default_timezone

    async def guild(self, guild_id: int) -> GuildSettingsView:
        async with self._db.read() as session:
            row = await session.get(GuildSettings, guild_id)
        zone = row.timezone if row and row.timezone else None
        return GuildSettingsView(
            guild_id=guild_id,
            timezone=zone,
            moderator_role_id=row.moderator_role_id if row else None,
            effective_timezone=zone or self._default_zone,
        )

    async def set_guild_timezone(self, guild_id: int, raw_zone: str) -> str:
        zone = parse_timezone(raw_zone).key
        await self._update_guild(guild_id, timezone=zone)
        return zone

    async def set_moderator_role(self, guild_id: int, role_id: int | None) -> None:
        await self._update_guild(guild_id, moderator_role_id=role_id)

    async def _update_guild(self, guild_id: int, **values: object) -> None:
        async with self._db.transaction() as session:
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
        return zone

    async def member_timezone(self, guild_id: int, user_id: int) -> MemberTimezone:
        async with self._db.read() as session:
            member = await session.get(MemberSettings, (guild_id, user_id))
            guild = await session.get(GuildSettings, guild_id)
        if member and member.timezone:
            return MemberTimezone(member.timezone, "member")
        if guild and guild.timezone:
            return MemberTimezone(guild.timezone, "server")
        return MemberTimezone(self._default_zone, "default")

    async def member_zone(self, guild_id: int, user_id: int) -> ZoneInfo:
        return ZoneInfo((await self.member_timezone(guild_id, user_id)).zone)
