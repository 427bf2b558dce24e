"""The health of timed work and delivery, for moderators: counts and reasons, no content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.outbox import DEAD, FAILED, PENDING, WAITING, OutboxMessage
from bot.db.models.scheduling import DONE, DROPPED, DueWork, DueWorkRepair
from bot.db.models.scheduling import FAILED as WORK_FAILED
from bot.db.models.scheduling import PENDING as WORK_PENDING

RECENT = timedelta(hours=24)
REPAIRS_SHOWN = timedelta(days=7)
OVERDUE = timedelta(minutes=5)
LATEST = 5


@dataclass(frozen=True)
class Problem:
    what: str  # a purpose ("milestone.dm") or a work kind
    reason: str  # a status/code or error class: never content
    at: datetime | None


@dataclass(frozen=True)
class DeliveryHealthReport:
    outbox_pending: int
    outbox_retrying: int  # pending after at least one failed attempt: late
    outbox_failed: int  # undeliverable (e.g. DMs closed), in the last 24 h
    outbox_dead: int  # errors to look at, all kept
    latest_problems: tuple[Problem, ...]
    work_pending: int
    work_overdue: int  # due more than 5 minutes ago and not handled yet: late
    work_late_recent: int  # handled late (or rewritten) in the last 24 h
    work_dropped_recent: int  # dropped as stale in the last 24 h
    work_failed: int
    latest_work_problems: tuple[Problem, ...]
    # Missing items the daily rebuild re-created in the last 7 days, per kind, most first.
    work_repaired: tuple[tuple[str, int], ...] = ()


class DeliveryHealth:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def report(self, guild_id: int) -> DeliveryHealthReport:
        """Outbox and timed-work figures of one server: a moderator sees only their own."""
        now = self._clock.now()
        async with self._db.read() as session:
            outbox = await self._outbox_counts(session, guild_id, now)
            problems = (
                await session.execute(
                    select(
                        OutboxMessage.purpose, OutboxMessage.last_error, OutboxMessage.finished_at
                    )
                    .where(
                        OutboxMessage.guild_id == guild_id, OutboxMessage.state.in_([DEAD, FAILED])
                    )
                    .order_by(OutboxMessage.finished_at.desc(), OutboxMessage.id.desc())
                    .limit(LATEST)
                )
            ).all()
            work = await self._work_counts(session, guild_id, now)
            work_problems = (
                await session.execute(
                    select(DueWork.kind, DueWork.reason, DueWork.finished_at)
                    .where(
                        DueWork.guild_id == guild_id,
                        DueWork.state.in_([WORK_FAILED, DROPPED])
                        | ((DueWork.state == WORK_PENDING) & DueWork.reason.is_not(None)),
                    )
                    .order_by(DueWork.finished_at.desc(), DueWork.id.desc())
                    .limit(LATEST)
                )
            ).all()
            total = func.sum(DueWorkRepair.repairs)
            repaired = (
                await session.execute(
                    select(DueWorkRepair.kind, total)
                    .where(
                        DueWorkRepair.guild_id == guild_id,
                        DueWorkRepair.repaired_at >= now - REPAIRS_SHOWN,
                    )
                    .group_by(DueWorkRepair.kind)
                    .order_by(total.desc(), DueWorkRepair.kind)
                )
            ).all()
        return DeliveryHealthReport(
            outbox_pending=outbox[0],
            outbox_retrying=outbox[1],
            outbox_failed=outbox[2],
            outbox_dead=outbox[3],
            latest_problems=tuple(Problem(p, r or "", at) for p, r, at in problems),
            work_pending=work[0],
            work_overdue=work[1],
            work_late_recent=work[2],
            work_dropped_recent=work[3],
            work_failed=work[4],
            latest_work_problems=tuple(Problem(k, r or "", at) for k, r, at in work_problems),
            work_repaired=tuple((kind, int(n)) for kind, n in repaired),
        )

    async def _outbox_counts(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> tuple[int, int, int, int]:
        mine = OutboxMessage.guild_id == guild_id
        # Edits waiting for their message to be sent are pending too.
        pending = OutboxMessage.state.in_([PENDING, WAITING])
        row = (
            await session.execute(
                select(
                    func.count().filter(pending),
                    func.count().filter(pending & (OutboxMessage.last_error.is_not(None))),
                    func.count().filter(
                        (OutboxMessage.state == FAILED)
                        & (OutboxMessage.finished_at >= now - RECENT)
                    ),
                    func.count().filter(OutboxMessage.state == DEAD),
                ).where(mine)
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    async def _work_counts(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> tuple[int, int, int, int, int]:
        pending = DueWork.state == WORK_PENDING
        recent = DueWork.finished_at >= now - RECENT
        row = (
            await session.execute(
                select(
                    func.count().filter(pending),
                    func.count().filter(pending & (DueWork.due_at < now - OVERDUE)),
                    func.count().filter(
                        (DueWork.state == DONE)
                        & DueWork.outcome.in_(["late", "rewritten"])
                        & recent
                    ),
                    func.count().filter((DueWork.state == DROPPED) & recent),
                    func.count().filter(DueWork.state == WORK_FAILED),
                ).where(DueWork.guild_id == guild_id)
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4])
