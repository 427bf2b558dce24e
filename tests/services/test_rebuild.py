"""Recurring work that cannot die: the failure hook, the daily rebuild and what /setup status
reports of it, per server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import DueWork, DueWorkRepair, MilestoneCelebration, SobrietyCounter
from bot.delivery.status import DeliveryHealth
from bot.scheduling.kinds import DueItem, KindRegistry
from bot.scheduling.rebuild import rebuild_all
from bot.scheduling.runner import MAX_ATTEMPTS, LedgerRunner
from bot.services.celebrations import ANNOUNCE_KIND
from bot.services.container import build_services
from bot.services.milestone_plans import MILESTONE_KIND

GUILD, OTHER_GUILD, ALICE, BOB = 10, 11, 20, 21
BEFORE = datetime(2026, 3, 1, 8, tzinfo=UTC)
NINE = datetime(2026, 3, 1, 9, tzinfo=UTC)


async def pending_milestones(database: Database) -> list[tuple[int, datetime, int | None]]:
    async with database.read() as session:
        found = await session.execute(
            select(DueWork.subject_id, DueWork.due_at, DueWork.guild_id)
            .where(DueWork.state == "pending", DueWork.kind == MILESTONE_KIND)
            .order_by(DueWork.subject_id)
        )
        return [tuple(row) for row in found.all()]  # type: ignore[misc]


async def test_a_celebration_that_fails_for_good_still_plans_the_next_milestone(
    database: Database,
) -> None:
    clock = ManualClock(BEFORE)
    services = build_services(database, clock, Settings())
    await services.sobriety.set_counter(GUILD, ALICE, "2026-02-22")  # day 7 today at 09:00

    async def broken(session: AsyncSession, item: DueItem, subject: Any) -> None:
        raise RuntimeError("a bug in the celebration")

    kinds = [
        replace(kind, handle=broken) if kind.name == MILESTONE_KIND else kind
        for kind in services.work_kinds()
    ]
    runner = LedgerRunner(database, clock, KindRegistry(kinds))
    clock.set(NINE)
    for _ in range(MAX_ATTEMPTS):
        due = await runner.next_due()
        assert due is not None
        clock.set(max(due, clock.now()))
        await runner.run_due()

    async with database.read() as session:
        failed = (
            await session.execute(
                select(DueWork.due_at, DueWork.reason).where(DueWork.state == "failed")
            )
        ).all()
        counter = (await session.scalars(select(SobrietyCounter))).one()
    assert [tuple(row) for row in failed] == [(NINE, "error: RuntimeError")]
    # Day 30 (2026-03-24) is still coming: one broken day-7 celebration did not end the series.
    assert counter.next_milestone_days == 30
    assert await pending_milestones(database) == [
        (counter.id, datetime(2026, 3, 24, 9, tzinfo=UTC), GUILD)
    ]


async def test_the_rebuild_re_creates_missing_work_and_status_reports_it_per_server(
    database: Database,
) -> None:
    clock = ManualClock(BEFORE)
    services = build_services(database, clock, Settings())
    await services.sobriety.set_counter(GUILD, ALICE, "2026-02-01")
    await services.sobriety.set_counter(OTHER_GUILD, BOB, "2026-02-01")
    planned = await pending_milestones(database)
    # Alice's pending row is lost (a bug, a restored backup), and a channel celebration in the
    # other server waits for a post that is no longer planned.
    async with database.transaction() as session:
        alice = (
            await session.scalars(select(SobrietyCounter).where(SobrietyCounter.user_id == ALICE))
        ).one()
        await session.execute(delete(DueWork).where(DueWork.subject_id == alice.id))
        bob = (
            await session.scalars(select(SobrietyCounter).where(SobrietyCounter.user_id == BOB))
        ).one()
        session.add(
            MilestoneCelebration(
                counter_id=bob.id,
                guild_id=OTHER_GUILD,
                streak_number=1,
                days=7,
                route="channel",
                announced=False,
                reached_at=BEFORE,
            )
        )
    kinds = KindRegistry(services.work_kinds())

    report = await rebuild_all(database, clock, kinds)

    # Other features' kinds found nothing missing.
    assert {kind: repairs for kind, repairs in report.items() if repairs} == {
        MILESTONE_KIND: {GUILD: 1},
        ANNOUNCE_KIND: {OTHER_GUILD: 1},
    }
    assert await pending_milestones(database) == planned  # exactly as it was planned
    async with database.read() as session:
        announce = (
            await session.execute(
                select(DueWork.subject_id, DueWork.due_at).where(DueWork.kind == ANNOUNCE_KIND)
            )
        ).all()
    assert [tuple(row) for row in announce] == [(OTHER_GUILD, BEFORE)]
    # Nothing is missing any more: a second pass repairs nothing and records nothing.
    again = await rebuild_all(database, clock, kinds)
    assert again[MILESTONE_KIND] == {}
    assert again[ANNOUNCE_KIND] == {}
    async with database.read() as session:
        repairs = (await session.scalars(select(DueWorkRepair))).all()
    assert sorted((r.kind, r.guild_id, r.repairs) for r in repairs) == [
        (MILESTONE_KIND, GUILD, 1),
        (ANNOUNCE_KIND, OTHER_GUILD, 1),
    ]

    health = DeliveryHealth(database, clock)
    mine, theirs = await health.report(GUILD), await health.report(OTHER_GUILD)
    assert mine.work_repaired == ((MILESTONE_KIND, 1),)
    assert theirs.work_repaired == ((ANNOUNCE_KIND, 1),)
    # Each server counts only its own work: one milestone here; a milestone and a post there.
    assert (mine.work_pending, theirs.work_pending) == (1, 2)
    clock.set(BEFORE + timedelta(days=8))
    assert (await health.report(GUILD)).work_repaired == ()  # shown for 7 days
