"""`python -m bench [sweep] [startup] [dms] [priority] [processes] [sobriety] [soak]
[default-zone] [privacy] [meetings] [checkins] [matching] [mentor-request]`: run the
benchmarks (all by default) and print their figures. SQLite by default; STEADY_BENCH_DATABASE_URL=
postgresql+asyncpg://… for PostgreSQL (the sobriety and default-zone benchmarks are SQLite
only, as their targets are; processes and soak are PostgreSQL only; matching uses no
database)."""

from __future__ import annotations

import asyncio
import sys

from bench import (
    checkins,
    default_zone,
    dms,
    matching,
    meetings,
    priority,
    privacy,
    processes,
    soak,
    sobriety_scale,
    startup,
    sweep,
)
from bot.logs import setup_logging

BENCHMARKS = {
    "sweep": sweep.run,
    "startup": startup.run,
    "dms": dms.run,
    "priority": priority.run,
    "processes": processes.run,
    "sobriety": sobriety_scale.main_async,
    "soak": soak.run,
    "default-zone": default_zone.run,
    "privacy": privacy.run,
    "meetings": meetings.run,
    "checkins": checkins.run,
    # Last: these exit non-zero when their targets are missed.
    "matching": matching.run,
    "mentor-request": matching.run_request,
}


async def main(names: list[str]) -> None:
    for name in names:
        await BENCHMARKS[name]()


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    setup_logging("WARNING")
    asyncio.run(main(chosen))
