"""Keeping only what is needed: notes go after the server's keep-notes-days, scores after a
year; and `rotate-keys`, re-encrypting every stored note under the newest key."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import DueWork
from bot.db.models.checkins import Checkin, CheckinAlert, CheckinSettings
from bot.db.models.scheduling import PENDING
from bot.domain.checkins.inputs import KEEP_NOTES_DEFAULT_DAYS
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, WorkKind
from bot.security.notes import NotesCipher
from bot.services.token_rotation import ROTATE_BATCH, rotate_column

RETENTION_KIND = "checkins.retention"
SCORES_KEPT = timedelta(days=365)
DAILY = timedelta(days=1)


class UpkeepService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def work_kinds(self) -> list[WorkKind[int]]:
        return [
            WorkKind(
                name=RETENTION_KIND,
                lock_subject=locks.nothing_to_lock,
                handle=self._retention_due,
                on_failure=self._plan_next,
            )
        ]

    async def _retention_due(self, session: AsyncSession, item: DueItem, _subject: int) -> None:
        await forget_old(session, item.now)
        await self._plan_next(session, item, 0)

    async def _plan_next(self, session: AsyncSession, item: DueItem, _subject: int) -> None:
        await ledger.schedule(session, RETENTION_KIND, 0, item.now + DAILY)

    async def plan_retention(self) -> None:
        """At every start: the daily pass is planned if it is not (first start, upgrade)."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            planned = await session.scalar(
                select(exists().where(DueWork.kind == RETENTION_KIND, DueWork.state == PENDING))
            )
            if not planned:
                await ledger.schedule(session, RETENTION_KIND, 0, now)


async def forget_old(session: AsyncSession, now: datetime) -> None:
    """Notes older than each server's keep-notes-days are emptied (a check-in's counted from
    when it was made, an alert's from when it was closed: an open alert still needs its note);
    scores older than a year go."""
    custom = (
        await session.execute(select(CheckinSettings.guild_id, CheckinSettings.keep_notes_days))
    ).all()
    for guild_id, days in custom:
        await _forget_notes(
            session,
            now - timedelta(days=days),
            checkins=Checkin.guild_id == guild_id,
            alerts=CheckinAlert.guild_id == guild_id,
        )
    configured = [guild_id for guild_id, _ in custom]
    await _forget_notes(
        session,
        now - timedelta(days=KEEP_NOTES_DEFAULT_DAYS),
        checkins=Checkin.guild_id.not_in(configured),
        alerts=CheckinAlert.guild_id.not_in(configured),
    )
    await session.execute(delete(Checkin).where(Checkin.at < now - SCORES_KEPT))


async def _forget_notes(
    session: AsyncSession,
    before: datetime,
    *,
    checkins: ColumnElement[bool],
    alerts: ColumnElement[bool],
) -> None:
    await session.execute(
        update(Checkin)
        .where(checkins, Checkin.note.is_not(None), Checkin.at < before)
        .values(note=None)
    )
    await session.execute(
        update(CheckinAlert)
        .where(
            alerts,
            CheckinAlert.note.is_not(None),
            CheckinAlert.closed_at.is_not(None),
            CheckinAlert.closed_at < before,
        )
        .values(note=None)
    )


async def rotate_notes(
    database: Database, cipher: NotesCipher, *, batch: int = ROTATE_BATCH
) -> int:
    """Re-encrypt every check-in and alert note under the newest key; how many."""
    total = 0
    for column in (Checkin.note, CheckinAlert.note):
        total += await rotate_column(database, cipher, column, batch=batch)
    return total
