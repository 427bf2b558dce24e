from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import DueWork, MilestoneCelebration, SobrietyCounter, SobrietyStreak
from bot.services.container import Services, build_services
from bot.services.sobriety import ResetPlan

GUILD, ALICE = 10, 20
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def services(database: Database) -> Services:
    return build_services(database, ManualClock(NOW), Settings())


async def _counter(database: Database) -> SobrietyCounter:
    async with database.read() as session:
        return (await session.scalars(select(SobrietyCounter))).one()


async def test_next_milestone_is_planned_at_nine_local_and_moves_with_the_timezone(
    services: Services, database: Database
) -> None:
    await services.sobriety.set_counter(GUILD, ALICE, "2026-02-23")
    counter = await _counter(database)
    assert counter.next_milestone_days == 7
    assert counter.next_milestone_at == datetime(2026, 3, 2, 9, tzinfo=UTC)

    await services.settings.set_member_timezone(GUILD, ALICE, "America/Los_Angeles")
    counter = await _counter(database)
    assert counter.next_milestone_at == datetime(2026, 3, 2, 17, tzinfo=UTC)  # 09:00 PST
    async with database.read() as session:
        due = (
            await session.scalars(select(DueWork.due_at).where(DueWork.state == "pending"))
        ).all()
    assert list(due) == [datetime(2026, 3, 2, 17, tzinfo=UTC)]

    await services.celebrations.configure_guild(GUILD, hour=7)
    assert (await _counter(database)).next_milestone_at == datetime(2026, 3, 2, 15, tzinfo=UTC)


async def test_due_between_finds_only_counters_due_in_the_window(
    services: Services, database: Database
) -> None:
    await services.sobriety.set_counter(GUILD, ALICE, "2026-02-23")  # due 2 Mar 09:00
    await services.sobriety.set_counter(GUILD, ALICE + 1, "2026-02-01")  # day 30 on 3 Mar
    window = await services.sobriety.due_between(
        datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
    )
    async with database.read() as session:
        alice = (
            await session.scalars(
                select(SobrietyCounter.id).where(SobrietyCounter.user_id == ALICE)
            )
        ).one()
    assert window == [alice]


async def test_remove_leaves_nothing_behind(services: Services, database: Database) -> None:
    await services.sobriety.set_counter(GUILD, ALICE, "2026-01-01")
    await services.sobriety.reset(GUILD, ALICE, None, "2026-02-01")
    await services.sobriety.remove(GUILD, ALICE, "sobriety")
    async with database.read() as session:
        for model in (SobrietyCounter, SobrietyStreak, MilestoneCelebration):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
        pending = await session.scalar(
            select(func.count()).select_from(DueWork).where(DueWork.state == "pending")
        )
    assert pending == 0


async def test_journey_adds_every_streak(services: Services) -> None:
    await services.sobriety.set_counter(GUILD, ALICE, "2025-12-01")
    await services.sobriety.reset(GUILD, ALICE, None, "2026-01-01")  # 31 days
    await services.sobriety.reset(GUILD, ALICE, None, "2026-02-01")  # 31 days
    [card] = await services.sobriety.show_own(GUILD, ALICE, None)
    assert card.days == 28
    assert card.journey_days == 31 + 31 + 28
    history = await services.sobriety.history(GUILD, ALICE, None)
    assert [line.days for line in history.streaks] == [31, 31, 28]
    assert history.longest == 31


async def test_a_counter_keyed_before_labels_were_normalised_is_still_found(
    services: Services, database: Database
) -> None:
    # Keys used to be the case-folded label only; full-width letters stayed full-width.
    await services.sobriety.set_counter(GUILD, ALICE, "2026-02-01", "Ａｌｃｏｈｏｌ")
    async with database.transaction() as session:
        counter = (await session.scalars(select(SobrietyCounter))).one()
        counter.label_key = counter.label.casefold()
    done = await services.sobriety.set_counter(GUILD, ALICE, "2026-01-01", "Ａｌｃｏｈｏｌ")
    assert not isinstance(done, ResetPlan)
    assert done.corrected_from is not None
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(SobrietyCounter)) == 1


async def test_a_later_date_changes_nothing_until_the_restart_is_confirmed(
    services: Services, database: Database
) -> None:
    await services.sobriety.set_counter(GUILD, ALICE, "2026-01-01")
    plan = await services.sobriety.set_counter(GUILD, ALICE, "2026-02-15", None, "07:30")
    assert isinstance(plan, ResetPlan)
    assert plan.ending_days == 45
    assert (await _counter(database)).start_date.isoformat() == "2026-01-01"
    await services.sobriety.reset(
        GUILD,
        ALICE,
        plan.label,
        plan.new_start.isoformat(),
        streak_number=plan.streak_number,
        start_time=plan.start_time,
    )
    counter = await _counter(database)
    assert counter.start_date.isoformat() == "2026-02-15"
    assert counter.past_days == 45
    async with database.read() as session:
        streaks = (await session.scalars(select(SobrietyStreak))).all()
    assert [(s.start_date.isoformat(), s.end_date.isoformat()) for s in streaks] == [
        ("2026-01-01", "2026-02-15")
    ]
