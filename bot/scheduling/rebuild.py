"""The repair pass: each work kind re-derives its pending work from domain state.

Timed work is written in the same transaction as the change that made it due, so nothing should
ever be missing; but a row can still fail for good, a bug can forget to plan, an operator can
restore an old backup. Once a day (and at start) every kind with a `rebuild` re-creates what is
missing, and the repairs are recorded per server for /setup status: a repair means something had
gone wrong, and moderators should be able to see that it was caught.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.clock import Clock
from bot.db import Database
from bot.db.models.scheduling import DueWorkRepair
from bot.scheduling.kinds import KindRegistry

log = logging.getLogger(__name__)


async def rebuild_all(
    database: Database, clock: Clock, kinds: KindRegistry
) -> dict[str, Mapping[int | None, int]]:
    """Run every kind's rebuild; the repairs made, per kind and server."""
    now = clock.now()
    report: dict[str, Mapping[int | None, int]] = {}
    for kind in kinds.all():
        if kind.rebuild is None:
            continue
        try:
            repairs = {guild: n for guild, n in (await kind.rebuild(now)).items() if n > 0}
        except Exception:
            # One kind's failure must not stop the others' repairs; tomorrow's pass retries.
            log.exception("the rebuild of %s failed; the next daily pass retries", kind.name)
            continue
        report[kind.name] = repairs
        if not repairs:
            continue
        async with database.transaction() as session:
            session.add_all(
                DueWorkRepair(kind=kind.name, guild_id=guild, repairs=n, repaired_at=now)
                for guild, n in repairs.items()
            )
        log.warning(
            "the rebuild re-created %d missing %s item(s) in %d server(s)",
            sum(repairs.values()),
            kind.name,
            len(repairs),
        )
    return report
