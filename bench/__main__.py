"""`python -m bench [sweep] [startup] [dms] [priority] [processes] [sobriety] [soak]
[default-zone] [privacy] [meetings] [checkins] [matching] [mentor-request] [checkin-wave]
[--members N]`: run the benchmarks (all by default) and print their figures; `--members` sets
the check-in prompt wave's size (10,000 by default; a full run takes about ten minutes). SQLite
by default; STEADY_BENCH_DATABASE_URL=postgresql+asyncpg://… for PostgreSQL (the sobriety and
default-zone benchmarks are SQLite only, as their targets are; processes and soak are
PostgreSQL only; matching uses no database)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bench import (
    checkin_wave,
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

BENCHMARKS: dict[str, Callable[[], Awaitable[Any]]] = {
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
    "checkin-wave": checkin_wave.run,
}


async def main(names: list[str]) -> None:
    for name in names:
        await BENCHMARKS[name]()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--members", type=int, help="members in the check-in prompt wave")
    arguments = parser.parse_args()
    chosen = arguments.names or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if arguments.members is not None:
        if arguments.members < 1:
            parser.error("--members must be at least 1")
        BENCHMARKS["checkin-wave"] = partial(checkin_wave.run, members=arguments.members)
    setup_logging("WARNING")
    asyncio.run(main(chosen))
