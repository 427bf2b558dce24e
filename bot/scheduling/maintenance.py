"""Pruning finished rows, so the tables hold what is pending plus a short history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from bot.clock import Clock
from bot.db import Database
from bot.db.models.outbox import DEAD, FAILED, SENT, OutboxMessage
from bot.db.models.scheduling import DONE, DROPPED, DueWork, DueWorkRepair
from bot.db.models.scheduling import FAILED as WORK_FAILED

log = logging.getLogger(__name__)

# Sent messages may hold members' words: keep them only as long as a retry could need them.
KEEP_SENT = timedelta(days=7)
# Failures stay longer: /setup status shows their reasons (never their content).
KEEP_FAILURES = timedelta(days=30)
KEEP_FINISHED_WORK = timedelta(days=30)


@dataclass(frozen=True)
class Pruned:
    outbox: int
    due_work: int


async def prune(database: Database, clock: Clock) -> Pruned:
    now = clock.now()
    async with database.transaction() as session:
        sent = await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.state == SENT, OutboxMessage.finished_at < now - KEEP_SENT
            )
        )
        failed = await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.state.in_([FAILED, DEAD]),
                OutboxMessage.finished_at < now - KEEP_FAILURES,
            )
        )
        work = await session.execute(
            delete(DueWork).where(
                DueWork.state.in_([DONE, DROPPED, WORK_FAILED]),
                DueWork.finished_at < now - KEEP_FINISHED_WORK,
            )
        )
        # The rebuild's repair records are counts and kinds only; kept as long as finished work.
        await session.execute(
            delete(DueWorkRepair).where(DueWorkRepair.repaired_at < now - KEEP_FINISHED_WORK)
        )
    pruned = Pruned(outbox=_count(sent) + _count(failed), due_work=_count(work))
    log.info("pruned %d outbox rows and %d finished work rows", pruned.outbox, pruned.due_work)
    return pruned


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
