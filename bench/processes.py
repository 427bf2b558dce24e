"""Two real bot processes (`bot.runtime`, the real clock and wake-ups) on one PostgreSQL
database deliver 2,000 DMs through one simulator: Discord's global budget is shared, so
together they stay under 50 requests/s. Time against that single floor, losses, duplicates,
429s. PostgreSQL only (STEADY_BENCH_DATABASE_URL): on SQLite Steady runs one process."""

from __future__ import annotations

import logging
import time
from collections import Counter

from bench.common import backend, fresh_database
from bot.db import Database
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.simulator import Simulator
from bot.simulator.processes import bot_processes

MEMBERS = 2_000
PROCESSES = 2
GLOBAL_LIMIT = 50
SEND = "POST /channels/{channel_id}/messages"
OPEN_DM = "POST /users/@me/channels"


async def run(*, members: int = MEMBERS) -> dict[str, float]:
    print(f"\n== {members:,} DMs from {PROCESSES} bot processes on one database ({backend()})")
    if backend() != "postgresql":
        print("  skipped: several processes need PostgreSQL (set STEADY_BENCH_DATABASE_URL)")
        return {}
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    async with fresh_database() as url, Simulator() as sim:
        guild = sim.add_guild("Recovery Circle")
        people = [guild.add_member(f"member{i:04d}") for i in range(members)]
        text = url.render_as_string(hide_password=False)
        database = Database.connect(url)
        try:
            async with database.transaction() as session:
                for person in people:
                    await enqueue(
                        session,
                        target=Target("dm", person.id),
                        message=OutgoingMessage(content="Your IOP group starts in one hour."),
                        purpose="bench.dm",
                        guild_id=guild.id,
                    )
        finally:
            await database.dispose()
        async with bot_processes(sim, text, PROCESSES) as codes:
            await sim.wait_for_request(OPEN_DM, within=60)
            started = time.perf_counter()
            await sim.wait_until(lambda: all(sim.dms(p) for p in people), within=600)
            elapsed = time.perf_counter() - started
    ours = [r for r in sim.requests if r.route in (SEND, OPEN_DM)]
    accepted = sum(1 for r in ours if r.ok)
    limited = sum(1 for r in ours if r.status == 429)
    floor = accepted / GLOBAL_LIMIT
    got = Counter(len(sim.dms(p)) for p in people)
    lost, duplicates = got.get(0, 0), sum(n for k, n in got.items() if k > 1)
    ratio = elapsed / floor
    ok = ratio <= 1.15 and lost == 0 and duplicates == 0 and limited == 0 and codes == [0, 0]
    print(f"  requests: {accepted:,} accepted, {limited} answered 429; exit codes {codes}")
    print(f"  time: {elapsed:.1f} s; floor at {GLOBAL_LIMIT}/s: {floor:.1f} s; ratio {ratio:.3f}")
    print(f"  lost: {lost}, duplicates: {duplicates}; {'OK' if ok else 'FAIL'}")
    return {"processes_s": elapsed, "processes_ratio": ratio}
