"""Sobriety at scale: 1,000,000 counters on SQLite.

Measures (1) finding the counters whose next milestone falls in the next minute, with 10,000
due among 1,000,000, and (2) `/sobriety show` handled by the real bot through the simulator:
from the interaction's arrival to the reply leaving, taken from the bot's own event hooks, and
the whole round trip as the member's client sees it.

    python -m bench.sobriety_scale [--counters N] [--due N] [--shows N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect

from bench.common import interaction_handling, percentile
from bot.clock import ManualClock
from bot.config import Settings
from bot.db.types import UTCDateTime
from bot.runtime import open_database
from bot.services.container import build_services
from bot.simulator import Simulator

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
GUILD_ID = 1


def _stored(instant: datetime) -> Any:
    # The exact text SQLAlchemy stores for a UTCDateTime on SQLite.
    dialect = sqlite_dialect.dialect()
    column = UTCDateTime()
    value = column.process_bind_param(instant, dialect)
    processor = column.impl.bind_processor(dialect)
    return processor(value) if processor else value


def _load(path: Path, counters: int, due: int, member_ids: list[int]) -> None:
    rng = random.Random(7)
    created = _stored(NOW)
    soon = [_stored(NOW + timedelta(seconds=rng.uniform(0, 59))) for _ in range(due)]
    later = NOW + timedelta(minutes=5)

    def rows() -> Any:
        for n in range(counters):
            user_id = member_ids[n] if n < len(member_ids) else 10_000_000 + n
            guild_id = 0 if n < len(member_ids) else GUILD_ID
            start = date(2020, 1, 1) + timedelta(days=rng.randrange(2_000))
            at = (
                soon[n - len(member_ids)]
                if len(member_ids) <= n < len(member_ids) + due
                else (_stored(later + timedelta(minutes=rng.randrange(525_600))))
            )
            yield (
                guild_id,
                user_id,
                "sobriety",
                "sobriety",
                start.isoformat(),
                "private",
                "dm",
                30,
                at,
                created,
                created,
            )

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.executemany(
        "INSERT INTO sobriety_counters (guild_id, user_id, label, label_key, start_date, "
        "visibility, celebrate, next_milestone_days, next_milestone_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


async def run(counters: int, due: int, shows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="steady-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        settings = Settings(database_url=url)
        database = await open_database(settings)
        await database.dispose()

        async with Simulator() as sim:
            guild = sim.add_guild("Bench")
            members = [guild.add_member(f"m{n}") for n in range(50)]
            started = time.perf_counter()
            # The simulator's guild id is not known before it exists; its members' counters
            # are loaded under guild 0 and moved to it below.
            _load(path, counters, due, [m.id for m in members])
            with sqlite3.connect(path) as connection:
                connection.execute(
                    "UPDATE sobriety_counters SET guild_id = ? WHERE guild_id = 0", (guild.id,)
                )
                # Servers that chose their timezone, as most do: the synthetic plans are not
                # aligned to a celebration hour, and the start-up check of plans made in the
                # default zone (see CelebrationService.replan_default_zone) would re-plan them.
                connection.executemany(
                    "INSERT INTO guild_settings (guild_id, timezone, celebration_hour, "
                    "updated_at) VALUES (?, 'UTC', 9, ?)",
                    [(guild.id, _stored(NOW)), (GUILD_ID, _stored(NOW))],
                )
            load_seconds = time.perf_counter() - started

            database = await open_database(Settings(database_url=url))
            services = build_services(database, ManualClock(NOW), settings)
            timings = []
            found = 0
            for _ in range(20):
                t0 = time.perf_counter()
                found = len(await services.sobriety.due_between(NOW, NOW + timedelta(minutes=1)))
                timings.append(time.perf_counter() - t0)
            await database.dispose()

            round_trips: list[float] = []
            async with sim.run_bot(database_url=url, now=NOW) as bot:
                with interaction_handling(bot) as handling:
                    for n in range(shows + 20):
                        t0 = time.perf_counter()
                        reply = await sim.slash(members[n % len(members)], "sobriety show")
                        elapsed = time.perf_counter() - t0
                        assert reply.embeds, reply.content
                        if n >= 20:  # the first few warm caches and connections
                            round_trips.append(elapsed)
                handling = handling[20:]

    return {
        "counters": counters,
        "load_s": load_seconds,
        "due_found": found,
        "find_due_median_ms": statistics.median(timings) * 1000,
        "find_due_max_ms": max(timings) * 1000,
        "show_handling_p50_ms": percentile(handling, 0.50) * 1000,
        "show_handling_p99_ms": percentile(handling, 0.99) * 1000,
        "show_round_trip_p50_ms": percentile(round_trips, 0.50) * 1000,
        "show_round_trip_p99_ms": percentile(round_trips, 0.99) * 1000,
    }


def report(figures: dict[str, float]) -> None:
    print(
        f"sobriety at scale — {int(figures['counters']):,} counters on SQLite "
        f"(loaded in {figures['load_s']:.1f} s)"
    )
    print(
        f"  find due in the next minute: {int(figures['due_found']):,} found, "
        f"median {figures['find_due_median_ms']:.1f} ms, max {figures['find_due_max_ms']:.1f} ms"
        "  (target < 100 ms)"
    )
    print(
        f"  /sobriety show, interaction arrival → reply leaving: "
        f"p50 {figures['show_handling_p50_ms']:.2f} ms, "
        f"p99 {figures['show_handling_p99_ms']:.2f} ms  (target p99 < 10 ms)"
    )
    print(
        f"  /sobriety show, member's round trip through the simulator: "
        f"p50 {figures['show_round_trip_p50_ms']:.2f} ms, "
        f"p99 {figures['show_round_trip_p99_ms']:.2f} ms"
    )


async def main_async() -> None:
    report(await run(1_000_000, 10_000, 500))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counters", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--shows", type=int, default=500)
    args = parser.parse_args()
    report(asyncio.run(run(args.counters, args.due, args.shows)))


if __name__ == "__main__":
    main()
