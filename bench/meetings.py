"""`python -m bench meetings`: meetings at scale.

- planning: 10,000 meetings with 100,000 subscriptions, every meeting's next session planned
  (its channel and subscriber reminders and its end as due work, Discord's event as an outbox
  operation), as after a fresh start or a daily rebuild (target: under 5 s);
- `/meeting list` in a server with 20 meetings among the 10,000, from the interaction's
  arrival to the reply leaving, taken from the bot's own event hooks (target: p99 < 20 ms);
- one meeting's reminder to 5,000 subscribers through the simulator, against the floor of
  50 requests per second (target: within 1.15x, none lost or duplicated).
"""

from __future__ import annotations

import logging
import random
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime
from datetime import time as clock_time
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import URL

from bench.common import backend, fresh_database, interaction_handling
from bot.config import Settings
from bot.db import Database
from bot.db.models.meetings import Meeting, MeetingSubscription
from bot.db.models.scheduling import DueWork
from bot.runtime import open_database
from bot.services.meetings import planning
from bot.simulator import Simulator

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
MEETINGS = 10_000
SUBSCRIPTIONS = 100_000
GUILDS = 500
LISTS = 300
WAVE = 5_000
GLOBAL_LIMIT = 50  # requests per second, the simulator's and Discord's
SEND = "POST /channels/{channel_id}/messages"
OPEN_DM = "POST /users/@me/channels"
BATCH = 200  # meetings planned per transaction
ZONES = ("America/New_York", "Europe/London", "America/Los_Angeles", "Asia/Kolkata")
DAYS = ("daily", "weekdays", "mon,wed,fri", "tue,thu", "sat")
OFFSETS = ("1h", "24h,1h", "30m", "2h,15m")


def _meeting(n: int, guild_id: int) -> dict[str, Any]:
    rng = random.Random(n)
    return {
        "guild_id": guild_id,
        "title": f"Group {n}",
        "title_key": f"group {n}",
        "weekdays": rng.choice(DAYS),
        "at": clock_time(rng.randrange(7, 22), rng.choice((0, 30))),
        "zone": rng.choice(ZONES),
        "duration_minutes": 60,
        "starts": date(2026, 3, 1),
        "channel_id": 1000 + guild_id,
        "location": "Room 4",
        "reminders": rng.choice(OFFSETS),
        "created_by": 1,
        "created_at": NOW,
        "voice_is_stage": False,
    }


async def _load(database: Database, guild_ids: list[int]) -> list[int]:
    async with database.transaction() as session:
        for start in range(0, MEETINGS, 1000):
            rows = [
                _meeting(n, guild_ids[n % len(guild_ids)])
                for n in range(start, min(MEETINGS, start + 1000))
            ]
            await session.execute(insert(Meeting), rows)
        ids = list((await session.scalars(select(Meeting.id).order_by(Meeting.id))).all())
        per_meeting = SUBSCRIPTIONS // MEETINGS
        subs = [
            {
                "meeting_id": meeting_id,
                "guild_id": 0,
                "user_id": 10_000 + k,
                "reminders": OFFSETS[(meeting_id + k) % len(OFFSETS)],
                "created_at": NOW,
            }
            for meeting_id in ids
            for k in range(per_meeting)
        ]
        for start in range(0, len(subs), 5000):
            await session.execute(insert(MeetingSubscription), subs[start : start + 5000])
    return ids


async def _plan_all(database: Database, ids: list[int]) -> tuple[float, float]:
    """Seconds to plan every meeting's due work, then to mirror every Discord event (10,000
    outbox operations, each written through bot.delivery.operations)."""
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        async with database.transaction() as session:
            meetings = await planning.lock_many(session, ids[start : start + BATCH])
            await planning.plan_many(session, meetings, NOW, mirror=False)
    planned = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        async with database.transaction() as session:
            meetings = await planning.lock_many(session, ids[start : start + BATCH])
            await planning.mirror_all(session, meetings, NOW)
    return planned - started, time.perf_counter() - planned


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _lists(url: URL, ids_for_guild: list[int]) -> tuple[list[float], list[float]]:
    round_trips: list[float] = []
    async with Simulator() as sim:
        guild = sim.add_guild("Bench")
        member = guild.add_member("alice")
        database = await open_database(Settings(database_url=url.render_as_string(False)))
        async with database.transaction() as session:
            for meeting_id in ids_for_guild:
                meeting = await session.get(Meeting, meeting_id)
                assert meeting is not None
                meeting.guild_id = guild.id
        await database.dispose()
        async with sim.run_bot(database_url=url.render_as_string(False), now=NOW) as bot:
            with interaction_handling(bot) as handling:
                for n in range(LISTS + 20):
                    t0 = time.perf_counter()
                    reply = await sim.slash(member, "meeting list")
                    if n >= 20:  # the first few warm caches and connections
                        round_trips.append(time.perf_counter() - t0)
                    assert "Meetings in the next 7 days" in reply.content, reply.content
    return handling[20:], round_trips


async def _wave(members: int) -> None:
    """One meeting's reminder to `members` subscribers, through the simulator."""
    # discord.py warns about every 429 it sees; the count below says the same in one line.
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    async with fresh_database() as url, Simulator() as sim:
        guild = sim.add_guild("Recovery Circle")
        mo = guild.add_member("mo", roles=[guild.add_role("Moderators", manage_guild=True)])
        people = [guild.add_member(f"member{i:04d}") for i in range(members)]
        async with sim.run_bot(url.render_as_string(False), now=NOW) as bot:
            reply = await sim.slash(
                mo,
                "meeting create",
                title="Evening group",
                weekdays="daily",
                time="18:00",
                timezone="UTC",
                location="Hall",
            )
            assert "is scheduled" in reply.content, reply.content
            async with bot.database.transaction() as session:
                [meeting] = await planning.lock_many(
                    session, list((await session.scalars(select(Meeting.id))).all())
                )
                await session.execute(
                    insert(MeetingSubscription),
                    [
                        {
                            "meeting_id": meeting.id,
                            "guild_id": guild.id,
                            "user_id": p.id,
                            "reminders": "1h",
                            "created_at": NOW,
                        }
                        for p in people
                    ],
                )
                await planning.plan(session, meeting, NOW)
            await sim.advance()  # Discord's event is made
            first = len(sim.requests)
            started = time.perf_counter()
            await sim.advance(to=NOW.replace(hour=17))  # the 1h reminder, to everyone
            elapsed = time.perf_counter() - started
    ours = [r for r in sim.requests[first:] if r.route in (SEND, OPEN_DM)]
    accepted = [r for r in ours if r.ok]
    limited = sum(1 for r in ours if r.status == 429)
    floor = len(accepted) / GLOBAL_LIMIT
    got = Counter(sum(1 for m in sim.dms(p) if "Evening group" in m.text()) for p in people)
    lost, duplicates = got.get(0, 0), sum(n for k, n in got.items() if k > 1)
    print(
        f"  one reminder to {members:,} subscribers: {elapsed:.1f} s for {len(accepted):,} "
        f"requests (DM opens and messages); floor at {GLOBAL_LIMIT}/s {floor:.1f} s; ratio "
        f"{elapsed / floor:.3f} (target ≤ 1.15); lost {lost}, duplicated {duplicates}, "
        f"{limited} answered 429"
    )


async def run() -> None:
    async with fresh_database() as url:
        database = await open_database(Settings(database_url=url.render_as_string(False)))
        try:
            guild_ids = [5_000_000 + g for g in range(GUILDS)]
            ids = await _load(database, guild_ids)
            seconds, mirrored = await _plan_all(database, ids)
            async with database.read() as session:
                due = await session.scalar(select(func.count()).select_from(DueWork))
        finally:
            await database.dispose()
        handling, trips = await _lists(url, ids[: MEETINGS // GUILDS])
    print(f"meetings at scale ({backend()})")
    print(
        f"  planning {MEETINGS:,} meetings with {SUBSCRIPTIONS:,} subscriptions: "
        f"{seconds:.2f} s for {due:,} due-work rows  (target < 5 s)"
    )
    print(
        f"  then mirroring their {MEETINGS:,} Discord events (outbox operations): {mirrored:.2f} s"
    )
    print(
        f"  /meeting list ({MEETINGS // GUILDS} meetings in the server), interaction arrival → "
        f"reply leaving: p50 {statistics.median(handling) * 1000:.2f} ms, "
        f"p99 {_pct(handling, 0.99) * 1000:.2f} ms  (target p99 < 20 ms)"
    )
    print(
        f"  /meeting list, member's round trip through the simulator: "
        f"p50 {statistics.median(trips) * 1000:.2f} ms, p99 {_pct(trips, 0.99) * 1000:.2f} ms"
    )
    await _wave(WAVE)
