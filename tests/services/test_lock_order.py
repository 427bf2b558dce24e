"""One lock order for timed work and member commands, on PostgreSQL with real concurrency.

A handler is held inside its batch while members run commands that lock their counter and then
move or cancel the same due_work row; nothing may deadlock, and every confirmed command stays.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import DueWork, MilestoneCelebration, SobrietyCounter, SobrietyStreak
from bot.scheduling.kinds import KindRegistry
from bot.scheduling.runner import LedgerRunner
from bot.services.container import Services, build_services
from bot.services.milestone_plans import MILESTONE_KIND
from tests.lock_waits import Gate, wait_until, waiting_on_locks

GUILD = 10
HELD, RESETS, SETS, MOVES, REMOVES = 1, 2, 3, 4, 5
BEFORE = datetime(2026, 3, 1, 8, tzinfo=UTC)  # an hour before the day's celebrations
NINE = datetime(2026, 3, 1, 9, tzinfo=UTC)
WEEK_AGO = "2026-02-22"  # day 7 on 2026-03-01: every counter has a milestone at 09:00

pytestmark = pytest.mark.postgres_only


async def counter_of(database: Database, user_id: int) -> SobrietyCounter | None:
    async with database.read() as session:
        found: SobrietyCounter | None = await session.scalar(
            select(SobrietyCounter).where(SobrietyCounter.user_id == user_id)
        )
        return found


async def start_held_batch(
    database: Database, services: Services, clock: ManualClock
) -> tuple[Gate, LedgerRunner, asyncio.Task[None]]:
    for user in (HELD, RESETS, SETS, MOVES, REMOVES):
        await services.sobriety.set_counter(GUILD, user, WEEK_AGO)
    held = await counter_of(database, HELD)
    assert held is not None
    gate = Gate(held.id)
    kinds = [
        gate.wrap(kind) if kind.name == MILESTONE_KIND else kind for kind in services.work_kinds()
    ]
    clock.set(NINE)
    runner = LedgerRunner(database, clock, KindRegistry(kinds), worker="runner")
    batch = asyncio.create_task(runner.run_due())
    await asyncio.wait_for(gate.entered.wait(), timeout=20)
    return gate, runner, batch


async def settle(database: Database, commands: list[asyncio.Task[Any]]) -> None:
    """Wait until every command has finished or is waiting on a lock held by the batch."""

    async def settled() -> bool:
        running = sum(not task.done() for task in commands)
        return running == 0 or await waiting_on_locks(database) >= running

    await wait_until(settled)


async def test_member_commands_during_a_held_batch_neither_deadlock_nor_get_lost(
    database: Database,
) -> None:
    clock = ManualClock(BEFORE)
    services = build_services(database, clock, Settings())
    gate, runner, batch = await start_held_batch(database, services, clock)

    commands = [
        asyncio.create_task(services.sobriety.reset(GUILD, RESETS, None, None)),
        asyncio.create_task(services.sobriety.set_counter(GUILD, SETS, "2026-02-20")),
        asyncio.create_task(services.settings.set_member_timezone(GUILD, MOVES, "Asia/Tokyo")),
        asyncio.create_task(services.sobriety.remove(GUILD, REMOVES, "Sobriety")),
    ]
    await settle(database, commands)
    gate.release.set()
    outcomes = await asyncio.gather(*commands, return_exceptions=True)
    await batch

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert runner.last_run.errors == 0
    reset = await counter_of(database, RESETS)
    backdated = await counter_of(database, SETS)
    moved = await counter_of(database, MOVES)
    assert reset is not None
    assert reset.streak_number == 2
    assert backdated is not None
    assert str(backdated.start_date) == "2026-02-20"
    assert moved is not None
    assert await counter_of(database, REMOVES) is None
    async with database.read() as session:
        streaks = await session.scalar(select(func.count()).select_from(SobrietyStreak))
        celebrated = dict(
            (
                await session.execute(
                    select(MilestoneCelebration.counter_id, MilestoneCelebration.streak_number)
                )
            ).all()
        )
        pending = (
            await session.execute(
                select(DueWork.subject_id, func.count())
                .where(DueWork.state == "pending", DueWork.kind == MILESTONE_KIND)
                .group_by(DueWork.subject_id)
            )
        ).all()
    assert streaks == 1  # the reset's ended streak is kept
    held = await counter_of(database, HELD)
    assert held is not None
    # The held member was celebrated once. The member who reset was congratulated on the
    # streak that just ended only if that item committed before the reset (items of a batch run
    # side by side): never on the new streak, whose first milestone is pending.
    assert celebrated.get(held.id) == 1
    assert celebrated.get(reset.id, 1) == 1
    assert {subject for subject, _ in pending} == {c.id for c in (held, reset, backdated, moved)}
    assert all(count == 1 for _, count in pending)


async def test_a_server_wide_re_plan_during_a_held_batch_waits_and_does_not_deadlock(
    database: Database,
) -> None:
    clock = ManualClock(BEFORE)
    services = build_services(database, clock, Settings())
    gate, runner, batch = await start_held_batch(database, services, clock)

    replan = asyncio.create_task(services.celebrations.configure_guild(GUILD, hour=10))
    reset = asyncio.create_task(services.sobriety.reset(GUILD, RESETS, None, None))
    await settle(database, [replan, reset])
    gate.release.set()
    outcomes = await asyncio.gather(replan, reset, return_exceptions=True)
    await batch

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert runner.last_run.errors == 0
    async with database.read() as session:
        pending = (
            await session.scalars(
                select(DueWork.due_at).where(
                    DueWork.state == "pending", DueWork.kind == MILESTONE_KIND
                )
            )
        ).all()
    assert len(pending) == 5  # one per counter, none lost
