"""A server's meeting settings (`/setup meetings`): how long in a meeting's voice channel
counts as attending."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.meetings import MeetingSettings
from bot.db.upsert import upsert
from bot.domain.meeting_attendance import DEFAULT_PRESENCE_MINUTES, check_presence_minutes
from bot.services.audit import record_action

PRESENCE_ACTION = "meetings.presence_minutes"


@dataclass(frozen=True, slots=True)
class MeetingSettingsView:
    presence_minutes: int
    is_default: bool  # never changed by a moderator


async def view_in(
    session: AsyncSession, guild_id: int, *, reload: bool = False
) -> MeetingSettingsView:
    """`reload` after a core upsert, which the session's copy of the row does not see."""
    row = await session.get(MeetingSettings, guild_id, populate_existing=reload)
    if row is None:
        return MeetingSettingsView(DEFAULT_PRESENCE_MINUTES, is_default=True)
    return MeetingSettingsView(row.min_presence_minutes, is_default=False)


class MeetingServerSettings:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def view(self, guild_id: int) -> MeetingSettingsView:
        async with self._db.read() as session:
            return await view_in(session, guild_id)

    async def set_presence_minutes(
        self, guild_id: int, actor_id: int, minutes: int
    ) -> MeetingSettingsView:
        """Sessions counted from now on use the new minimum; attendance already recorded
        stays as it was (members saw it, and moderators may have exported it)."""
        minutes = check_presence_minutes(minutes)
        now = self._clock.now()
        async with self._db.transaction() as session:
            # Only this column: the row also remembers whether the moderator was told about
            # the Create Events permission.
            await upsert(
                session, MeetingSettings, {"guild_id": guild_id}, {"min_presence_minutes": minutes}
            )
            await record_action(
                session, guild_id=guild_id, actor_id=actor_id, action=PRESENCE_ACTION, at=now
            )
            return await view_in(session, guild_id, reload=True)
