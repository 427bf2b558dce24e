"""The start-up check of celebrations planned in the default timezone, on SQLite.

Every start reads the upcoming plans of members counted in `default_timezone` (neither they nor
their server chose a zone) and re-plans those made in another zone. Measures that pass with the
zone unchanged (nothing to do: the cost every start pays) and after a change (every plan moves).

    python -m bench.default_zone [--counters N] [--changed N]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.sobriety_scale import _stored
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain import milestones as ms
from bot.runtime import open_database
from bot.services.container import build_services

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TODAY = date(2026, 3, 1)


def _load(path: Path, counters: int, zone: str) -> None:
    """Counters planned exactly as Steady plans them in `zone`, at 09:00 local."""
    tz = ZoneInfo(zone)

    def rows() -> object:
        for n in range(counters):
            start = date(2020, 1, 1) + timedelta(days=n % 2_000)
            days = ms.next_milestone(start, (TODAY - start).days)
            at = ms.local_instant(ms.milestone_date(start, days), 9, tz)
            created = _stored(NOW)
            yield (1, 10_000 + n, "sobriety", "sobriety", start.isoformat(), "private", "dm",
                   days, _stored(at), created, created)  # fmt: skip

    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO sobriety_counters (guild_id, user_id, label, label_key, start_date, "
            "visibility, celebrate, next_milestone_days, next_milestone_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),  # type: ignore[arg-type]
        )
        connection.execute("ANALYZE")


async def _pass(counters: int, planned_in: str, default_zone: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="steady-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(database_url=url, default_timezone=default_zone)
        database = await open_database(settings)
        _load(Path(tmp) / "bench.db", counters, planned_in)
        services = build_services(database, ManualClock(NOW), settings)
        try:
            started = time.perf_counter()
            moved = await services.celebrations.replan_default_zone()
            return time.perf_counter() - started, moved
        finally:
            await database.dispose()


async def run(counters: int = 100_000, changed: int = 10_000) -> None:
    same, moved_same = await _pass(counters, "UTC", "UTC")
    other, moved_other = await _pass(changed, "UTC", "Asia/Tokyo")
    print("start-up check of default-zone celebrations — SQLite")
    print(
        f"  {counters:,} counters, default zone unchanged: {same:.2f} s "
        f"({same / counters * 1e6:.1f} µs each), {moved_same} re-planned"
    )
    print(
        f"  {changed:,} counters after UTC → Asia/Tokyo: {other:.2f} s, {moved_other:,} re-planned"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counters", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=10_000)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.counters, arguments.changed))
