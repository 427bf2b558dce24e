"""What a member reads about their own check-ins, what they share, and what a mentor may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.checkins import SHARE_NONE, SHARE_NOTES, SHARING, Checkin
from bot.domain.checkins import inputs, trend
from bot.errors import InvalidInput, NotAllowed
from bot.security.notes import NotesCipher, NoteUnreadable
from bot.services.checkins.alerts import mentors_of
from bot.services.checkins.members import locked_member, member_row
from bot.services.privacy.access import record_access
from bot.services.settings import SettingsService

MENTEE_DAYS = 14


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    at: datetime  # in the member's own zone
    mood: int
    craving: int
    note: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    days: int
    points: tuple[HistoryPoint, ...]
    mood_average: float | None
    craving_average: float | None


class InsightService:
    def __init__(
        self, database: Database, clock: Clock, settings: SettingsService, cipher: NotesCipher
    ) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self._cipher = cipher

    async def history(self, guild_id: int, user_id: int, *, days: int | None) -> History:
        span = inputs.parse_history_days(days)
        async with self._db.read() as session:
            zone = (await self._settings.member_context_in(session, guild_id, user_id)).zone
            rows = await self._rows(session, guild_id, user_id, span)
        points = tuple(HistoryPoint(r.at.astimezone(zone), r.mood, r.craving) for r in rows)
        return History(
            span,
            points,
            trend.average(p.mood for p in points),
            trend.average(p.craving for p in points),
        )

    async def _rows(
        self, session: AsyncSession, guild_id: int, user_id: int, days: int
    ) -> list[Checkin]:
        since = self._clock.now() - timedelta(days=days)
        result = await session.scalars(
            select(Checkin)
            .where(Checkin.guild_id == guild_id, Checkin.user_id == user_id, Checkin.at >= since)
            .order_by(Checkin.at)
        )
        return list(result.all())

    async def set_sharing(self, guild_id: int, user_id: int, sharing: str) -> str:
        if sharing not in SHARING:
            raise InvalidInput("Choose `none`, `scores` or `scores-and-notes`.")
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await locked_member(session, guild_id, user_id, now)
            row.sharing, row.updated_at = sharing, now
        return sharing

    async def mentee(self, guild_id: int, viewer_id: int, mentee_id: int) -> History:
        """A mentee's last two weeks, as far as they share; every read is in the access log."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            if viewer_id not in await mentors_of(session, guild_id, mentee_id):
                raise NotAllowed(
                    "You can only look at check-ins of members you mentor or sponsor here."
                )
            member = await member_row(session, guild_id, mentee_id)
            sharing = member.sharing if member else SHARE_NONE
            if sharing == SHARE_NONE:
                raise NotAllowed(
                    "They haven't chosen to share their check-ins. That's their choice to make; "
                    "asking them how they are is always welcome."
                )
            what = "checkins.shared_notes" if sharing == SHARE_NOTES else "checkins.shared"
            await record_access(
                session,
                guild_id=guild_id,
                owner_id=mentee_id,
                viewer_id=viewer_id,
                what=what,
                at=now,
            )
            zone = (await self._settings.member_context_in(session, guild_id, mentee_id)).zone
            rows = await self._rows(session, guild_id, mentee_id, MENTEE_DAYS)
            points = tuple(
                HistoryPoint(
                    r.at.astimezone(zone),
                    r.mood,
                    r.craving,
                    self._note(r.note) if sharing == SHARE_NOTES else None,
                )
                for r in rows
            )
        return History(
            MENTEE_DAYS,
            points,
            trend.average(p.mood for p in points),
            trend.average(p.craving for p in points),
        )

    def _note(self, token: bytes | None) -> str | None:
        if token is None:
            return None
        try:
            return self._cipher.decrypt(token)
        except NoteUnreadable:
            return "(this note can no longer be read)"
