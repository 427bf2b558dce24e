"""Deadlock soak: 10,000 due celebrations handled by two runners (two connection pools, as two
processes would have) while 50 members whose counters are among them reset, correct dates and
change timezones. Meant for PostgreSQL (STEADY_BENCH_DATABASE_URL); on SQLite writers queue and
cannot deadlock, so it only checks the bookkeeping there.

Prints deadlocks, lost commands, lost and duplicated celebrations (all must be 0) and the time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text

from bench.common import backend, fresh_database
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import (
    DueWork,
    MemberSettings,
    MilestoneCelebration,
    OutboxMessage,
    SobrietyCounter,
    SobrietyStreak,
)
from bot.errors import InvalidInput
from bot.scheduling.kinds import KindRegistry
from bot.scheduling.runner import LedgerRunner
from bot.services.celebrations import DM_PURPOSE
from bot.services.container import Services, build_services
from bot.services.milestone_plans import MILESTONE_KIND

COUNTERS = 10_000
MEMBERS = 50
ROUNDS = 20  # each member runs a reset, a date correction and a timezone change per round
GUILD = 1
START = date(2026, 1, 30)  # day 30 on 2026-03-01
DUE = datetime(2026, 3, 1, 9, tzinfo=UTC)
NOW = DUE + timedelta(seconds=30)
ZONES = ("America/New_York", "Europe/London", "Asia/Tokyo", "UTC")
CLEAN = "Clean"


@dataclass
class Member:
    user_id: int
    resets: int = 0
    clean_date: date | None = None
    zone: str | None = None
    refused: int = 0
    failures: list[str] = field(default_factory=list)


class DeadlockCounter(logging.Handler):
    """Counts handler failures logged by the runner that were deadlocks."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.deadlocks = 0
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.errors += 1
        if record.exc_info and "deadlock" in str(record.exc_info[1]).lower():
            self.deadlocks += 1


async def _populate(database: Database) -> None:
    """The counters and their due celebrations, generated inside the database."""
    if database.dialect == "sqlite":
        series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :count) "
        source = "FROM s"
        # As UTCDateTime stores them: naive UTC text with microseconds.
        stamp: dict[str, object] = {
            "start": START.isoformat(),
            "due": DUE.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
            "made": NOW.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
        }
        start, cast, made_at = ":start", ":due", ":made"
    else:
        series, source = "", "FROM generate_series(1, :count) AS s(i)"
        stamp = {"start": START, "due": DUE, "made": NOW}
        start, cast, made_at = (
            "CAST(:start AS date)",
            "CAST(:due AS timestamptz)",
            "CAST(:made AS timestamptz)",
        )
    params = {"count": COUNTERS, "guild": GUILD, **stamp}
    async with database.transaction() as session:
        await session.execute(
            text(
                series + "INSERT INTO sobriety_counters (id, guild_id, user_id, label, label_key, "
                "start_date, streak_number, visibility, celebrate, next_milestone_days, "
                "next_milestone_at, past_days, created_at, updated_at) "
                f"SELECT s.i, :guild, s.i, 'Sobriety', 'sobriety', {start}, 1, 'private', 'dm', "
                f"30, {cast}, 0, {made_at}, {made_at} " + source
            ),
            params,
        )
        await session.execute(
            text(
                series + "INSERT INTO due_work (kind, subject_id, key, guild_id, due_at, "
                "available_at, state, attempts) "
                f"SELECT :kind, s.i, '', :guild, {cast}, {cast}, 'pending', 0 " + source
            ),
            {"count": COUNTERS, "guild": GUILD, "due": stamp["due"], "kind": MILESTONE_KIND},
        )
        if database.dialect != "sqlite":
            # The ids were given explicitly: move the sequence past them for new counters.
            await session.execute(
                text("SELECT setval(pg_get_serial_sequence('sobriety_counters', 'id'), :count)"),
                {"count": COUNTERS},
            )
    async with database.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


async def _member(services: Services, member: Member) -> None:
    """One member, as fast as the database lets them: relapse (a reset dated a day later each
    time), correct a second counter's date (a day earlier each time), move timezone."""
    for round_number in range(1, ROUNDS + 1):
        clean = date(2025, 6, 1) - timedelta(days=round_number)
        zone = ZONES[round_number % len(ZONES)]
        steps = (
            (
                "reset",
                services.sobriety.reset(
                    GUILD,
                    member.user_id,
                    "Sobriety",
                    (START + timedelta(days=round_number)).isoformat(),
                ),
            ),
            ("set", services.sobriety.set_counter(GUILD, member.user_id, clean.isoformat(), CLEAN)),
            ("zone", services.settings.set_member_timezone(GUILD, member.user_id, zone)),
        )
        for what, step in steps:
            try:
                await step
            except InvalidInput:
                member.refused += 1  # a kind refusal is an answer, not a lost command
                continue
            except Exception as exc:
                member.failures.append(f"{what}: {type(exc).__name__}: {exc}"[:300])
                continue
            if what == "reset":
                member.resets += 1
            elif what == "set":
                member.clean_date = clean
            else:
                member.zone = zone


async def _runner_loop(runner: LedgerRunner, members_done: asyncio.Event, stats: list[int]) -> None:
    while True:
        finished = members_done.is_set()
        await runner.run_due()
        stats[0] += runner.last_run.handled
        stats[1] += runner.last_run.errors
        if finished and runner.last_run.claimed == 0:
            return
        if runner.last_run.claimed == 0:
            await asyncio.sleep(0.01)  # nothing due this instant; members may add some


async def _verify(database: Database, members: list[Member]) -> dict[str, int]:
    async with database.read() as session:
        celebrated = dict(
            (
                await session.execute(
                    select(MilestoneCelebration.counter_id, func.count())
                    .where(MilestoneCelebration.counter_id > MEMBERS)
                    .group_by(MilestoneCelebration.counter_id)
                )
            ).all()
        )
        sent = dict(
            (
                await session.execute(
                    select(OutboxMessage.subject_id, func.count())
                    .where(OutboxMessage.purpose == DM_PURPOSE)
                    .group_by(OutboxMessage.subject_id)
                )
            ).all()
        )
        member_celebrations = dict(
            (
                await session.execute(
                    select(MilestoneCelebration.counter_id, func.count())
                    .where(MilestoneCelebration.counter_id <= MEMBERS)
                    .group_by(MilestoneCelebration.counter_id)
                )
            ).all()
        )
        streaks = dict(
            (
                await session.execute(
                    select(SobrietyStreak.counter_id, func.count()).group_by(
                        SobrietyStreak.counter_id
                    )
                )
            ).all()
        )
        cleans = dict(
            (
                await session.execute(
                    select(SobrietyCounter.user_id, SobrietyCounter.start_date).where(
                        SobrietyCounter.label == CLEAN
                    )
                )
            ).all()
        )
        zones = dict(
            (await session.execute(select(MemberSettings.user_id, MemberSettings.timezone))).all()
        )
        pending = dict(
            (
                await session.execute(
                    select(DueWork.subject_id, func.count())
                    .where(DueWork.state == "pending", DueWork.kind == MILESTONE_KIND)
                    .group_by(DueWork.subject_id)
                )
            ).all()
        )
        counters = int(await session.scalar(select(func.count(SobrietyCounter.id))) or 0)
    others = range(MEMBERS + 1, COUNTERS + 1)
    lost_commands = sum(len(m.failures) for m in members)
    for m in members:
        lost_commands += streaks.get(m.user_id, 0) != m.resets
        lost_commands += cleans.get(m.user_id) != m.clean_date
        lost_commands += zones.get(m.user_id) != m.zone
    return {
        "lost": sum(1 for c in others if celebrated.get(c, 0) == 0 or sent.get(c, 0) == 0),
        "duplicated": sum(1 for c in others if celebrated.get(c, 0) > 1 or sent.get(c, 0) > 1)
        + sum(
            1
            for c, n in sent.items()
            if c is not None and c <= MEMBERS and n > member_celebrations.get(c, 0)
        ),
        "lost_commands": lost_commands,
        "counters_without_one_pending": counters - sum(1 for n in pending.values() if n == 1),
    }


async def run() -> dict[str, float]:
    print(
        f"\n== soak ({backend()}): {COUNTERS:,} due celebrations, two runners, {MEMBERS} members "
        f"running {ROUNDS * 3} commands each"
    )
    if backend() == "sqlite":
        print("  (SQLite queues writers and cannot deadlock: set STEADY_BENCH_DATABASE_URL)")
    async with fresh_database() as url:
        first, second = Database.connect(url), Database.connect(url)
        watcher = DeadlockCounter()
        logging.getLogger("bot.scheduling.runner").addHandler(watcher)
        try:
            await _populate(first)
            clock = ManualClock(NOW)
            services = build_services(first, clock, Settings())
            runners = [
                LedgerRunner(db, clock, KindRegistry(services.work_kinds()), worker=name)
                for db, name in ((first, "soak-a"), (second, "soak-b"))
            ]
            members = [Member(user_id) for user_id in range(1, MEMBERS + 1)]
            members_done = asyncio.Event()
            stats = [[0, 0] for _ in runners]
            started = time.perf_counter()
            loops = [
                asyncio.create_task(_runner_loop(r, members_done, s))
                for r, s in zip(runners, stats, strict=True)
            ]
            await asyncio.gather(*(_member(services, m) for m in members))
            commands_s = time.perf_counter() - started
            members_done.set()
            await asyncio.gather(*loops)
            seconds = time.perf_counter() - started
            figures = await _verify(first, members)
        finally:
            logging.getLogger("bot.scheduling.runner").removeHandler(watcher)
            await first.dispose()
            await second.dispose()
    failures = [f for m in members for f in m.failures]
    deadlocks = watcher.deadlocks + sum("deadlock" in f.lower() for f in failures)
    handled = sum(s[0] for s in stats)
    commands = MEMBERS * ROUNDS * 3
    print(
        f"  handled {handled:,} items ({', '.join(f'{s[0]:,}' for s in stats)} per runner) in "
        f"{seconds:.1f} s; {commands:,} member commands in {commands_s:.1f} s "
        f"({sum(m.refused for m in members)} refused kindly)"
    )
    print(f"  deadlocks: {deadlocks}; handler errors: {watcher.errors}")
    print(f"  lost commands: {figures['lost_commands']}")
    print(
        f"  lost celebrations: {figures['lost']}; duplicated: {figures['duplicated']}; "
        f"counters without exactly one pending milestone: "
        f"{figures['counters_without_one_pending']}"
    )
    for failure in failures[:5]:
        print(f"    {failure}")
    ok = deadlocks == 0 and watcher.errors == 0 and not any(figures.values())
    print(f"  {'OK' if ok else 'FAIL'}")
    if not ok:
        raise SystemExit(1)
    return {"soak_s": seconds, "soak_deadlocks": float(deadlocks)}
