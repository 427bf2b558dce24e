"""Sweep time with 10,000 rows due among 1,000,000, and among 10,000: the ratio stays under 2."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bench.common import backend, bulk_due_work, fresh_database
from bot.clock import ManualClock
from bot.db import Database
from bot.scheduling.kinds import DueItem, KindRegistry, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.scheduling.runner import LedgerRunner

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DUE = 10_000
KIND = "bench.noop"


async def _noop(session: AsyncSession, item: DueItem, subject: int) -> None:
    return None


@dataclass(frozen=True)
class SweepResult:
    total_rows: int
    due_rows: int
    seconds: float
    next_due_ms: float
    handled: int


async def measure(total: int) -> SweepResult:
    async with fresh_database() as url:
        database = Database.connect(url)
        try:
            # The due rows fall in the last DUE seconds before NOW; the rest lie in the future.
            await bulk_due_work(database, KIND, DUE, NOW - timedelta(seconds=DUE), 1.0)
            if total > DUE:
                await _future(database, total - DUE)
            clock = ManualClock(NOW)
            kinds = KindRegistry(
                [
                    WorkKind(KIND, nothing_to_lock, _noop),
                    WorkKind(KIND + ".later", nothing_to_lock, _noop),
                ]
            )
            runner = LedgerRunner(database, clock, kinds)
            started = time.perf_counter()
            await runner.run_due()
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            await runner.next_due()
            next_due_ms = (time.perf_counter() - started) * 1000
            return SweepResult(total, DUE, seconds, next_due_ms, runner.last_run.handled)
        finally:
            await database.dispose()


async def _future(database: Database, count: int) -> None:
    # Another kind, so the subjects do not collide with the due rows' (one pending per pair).
    await bulk_due_work(database, KIND + ".later", count, NOW + timedelta(hours=1), 2.0)


async def run(*, total: int = 1_000_000) -> dict[str, float]:
    print(f"\n== sweep ({backend()}): {DUE:,} rows due among {total:,}, and among {DUE:,}")
    small = await measure(DUE)
    large = await measure(total)
    for result in (small, large):
        print(
            f"  {result.total_rows:>9,} rows: handled {result.handled:,} due rows in "
            f"{result.seconds:6.2f} s ({result.handled / result.seconds:,.0f}/s); "
            f"next_due {result.next_due_ms:.1f} ms"
        )
    ratio = large.seconds / small.seconds
    verdict = "OK" if ratio < 2 and large.handled == small.handled == DUE else "FAIL"
    print(f"  ratio {ratio:.2f} (must stay under 2): {verdict}")
    return {"sweep_small_s": small.seconds, "sweep_large_s": large.seconds, "sweep_ratio": ratio}
