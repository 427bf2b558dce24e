"""1,000 members checking in within the same second through the simulator: every interaction
answered within Discord's 3 s and every check-in stored; and, for the 100 of them who ask for
support, the time from the check-in's arrival to their mentor's DM leaving the bot (p95 under
2 s). Exits non-zero when a target is missed.

With the simulator's manual clock the bot's wake-ups are driven here, pass after pass, as the
real-clock wake-ups would (`bot.run_due`), while the check-ins arrive. An interaction counts
as answered when its callback (the bot's deferral) reaches the simulator, as Discord counts it.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from bench.common import backend, fresh_database
from bot.db.models import Checkin, MentoringPair
from bot.simulator import Simulator

MEMBERS = 1_000
SUPPORTED = 100
ACK_LIMIT_S = 3.0
DM_P95_LIMIT_S = 2.0
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


async def run(*, members: int = MEMBERS, supported: int = SUPPORTED) -> dict[str, float]:
    print(f"\n== {members:,} simultaneous check-ins, {supported} asking for support ({backend()})")
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    # Follow-ups may come long after the deferral (Discord allows 15 minutes); the simulator's
    # 15 s default wait for them would end the run before the crowd is stored.
    async with fresh_database() as url, Simulator(reply_timeout=120) as sim:
        guild = sim.add_guild("Recovery Circle")
        people = [guild.add_member(f"member{i:04d}") for i in range(members)]
        mentors = [guild.add_member(f"mentor{i:03d}") for i in range(supported)]
        async with sim.run_bot(url.render_as_string(hide_password=False), now=NOW) as bot:
            async with bot.database.transaction() as session:
                for person, mentor in zip(people, mentors, strict=False):
                    session.add(
                        MentoringPair(
                            guild_id=guild.id,
                            mentee_id=person.id,
                            mentor_id=mentor.id,
                            kind="mentor",
                            state="active",
                            started_at=NOW,
                        )
                    )
            sent_at: dict[int, float] = {}
            arrived: dict[int, float] = {}
            started_at: dict[int, float] = {}
            answered_at: dict[str, float] = {}  # interaction id → its callback reached Discord
            interaction_of: dict[int, str] = {}
            done = asyncio.Event()
            seen = 0

            def watch() -> None:
                nonlocal seen
                now = time.perf_counter()
                requests = sim.requests
                for request in requests[seen:]:
                    if request.path.endswith("/callback"):
                        answered_at.setdefault(request.path.split("/")[-3], now)
                seen = len(requests)
                for index, mentor in enumerate(mentors):
                    if index in sent_at and index not in arrived and sim.dms(mentor):
                        arrived[index] = now

            async def drive() -> None:
                while not done.is_set() or len(arrived) < supported:
                    await bot.run_due()
                    await asyncio.sleep(0)  # let the interactions in flight progress

            async def observe() -> None:
                # Its own task, so a long pass of the bot's timed work delays no observation.
                while not done.is_set() or len(arrived) < supported:
                    watch()
                    await asyncio.sleep(0)

            async def check_in(index: int) -> None:
                support = index < supported
                started_at[index] = time.perf_counter()
                if support:
                    sent_at[index] = started_at[index]
                result = await sim.slash(
                    people[index], "checkin", mood=3, craving=2, support=support
                )
                interaction_of[index] = str(result.interaction.id)

            driver = asyncio.create_task(drive())
            observer = asyncio.create_task(observe())
            wall = time.perf_counter()
            await asyncio.gather(*(check_in(i) for i in range(members)))
            wall = time.perf_counter() - wall
            done.set()
            await asyncio.wait_for(asyncio.gather(driver, observer), timeout=120)
            async with bot.database.read() as session:
                stored = await session.scalar(select(func.count()).select_from(Checkin))
    acks = [answered_at[interaction_of[i]] - started_at[i] for i in started_at]
    latencies = [arrived[i] - sent_at[i] for i in sent_at]
    slowest_ack = max(acks)
    p95 = _p95(latencies)
    ok = slowest_ack <= ACK_LIMIT_S and stored == members and p95 <= DM_P95_LIMIT_S
    print(f"  {members:,} check-ins answered in {wall:.2f} s; {stored:,}/{members:,} stored")
    print(
        f"  interaction answered: p50 {statistics.median(acks):.2f} s, "
        f"p95 {_p95(acks):.2f} s, max {slowest_ack:.2f} s (limit {ACK_LIMIT_S:.0f} s)"
    )
    print(
        f"  support check-in → mentor's DM leaving the bot: p50 "
        f"{statistics.median(latencies):.2f} s, p95 {p95:.2f} s (limit {DM_P95_LIMIT_S:.0f} s)"
    )
    print(f"  {'OK' if ok else 'FAIL'}")
    if not ok:
        sys.exit(1)
    return {"checkins_ack_max_s": slowest_ack, "checkins_dm_p95_s": p95}
