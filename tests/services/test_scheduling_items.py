"""Due-work items: keys, guilds and payloads, one item's failure kept to itself, the failure hook,
a member's write not held behind a long pass, and the migration that gave existing rows their
server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.migrate import downgrade_to, upgrade_to_head
from bot.db.models import DueWork
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem, KindRegistry, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.scheduling.runner import MAX_ATTEMPTS, LedgerRunner
from tests.databases import backend_name

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def pending(database: Database) -> list[tuple[str, int, str, datetime]]:
    async with database.read() as session:
        found = await session.execute(
            select(DueWork.kind, DueWork.subject_id, DueWork.key, DueWork.due_at)
            .where(DueWork.state == "pending")
            .order_by(DueWork.id)
        )
        return [tuple(row) for row in found.all()]  # type: ignore[misc]


async def test_one_subject_has_one_pending_row_per_key(database: Database) -> None:
    hour_before, quarter_before = T0 - timedelta(hours=1), T0 - timedelta(minutes=15)
    async with database.transaction() as session:
        await ledger.schedule(session, "meeting.remind", 7, hour_before, key="60")
        await ledger.schedule(session, "meeting.remind", 7, quarter_before, key="15")
        await ledger.schedule(session, "meeting.remind", 7, quarter_before, key="15")  # again
    assert await pending(database) == [
        ("meeting.remind", 7, "60", hour_before),
        ("meeting.remind", 7, "15", quarter_before),
    ]
    async with database.transaction() as session:
        assert await ledger.cancel(session, "meeting.remind", 7, key="60") == 1
    assert [row[2] for row in await pending(database)] == ["15"]
    async with database.transaction() as session:
        await ledger.schedule(session, "meeting.remind", 7, hour_before, key="60")
        assert await ledger.cancel(session, "meeting.remind", 7) == 2  # every key
    assert await pending(database) == []


async def test_items_carry_their_guild_key_and_payload_to_the_handler(
    database: Database,
) -> None:
    seen: list[DueItem] = []

    async def remember(session: AsyncSession, item: DueItem, subject: int) -> None:
        seen.append(item)

    async with database.transaction() as session:
        await ledger.schedule(
            session, "remind", 7, T0, key="15", guild_id=99, payload={"occurrence": "2026-03-01"}
        )
        await ledger.schedule(session, "remind", 8, T0)
    work = LedgerRunner(
        database, ManualClock(T0), KindRegistry([WorkKind("remind", nothing_to_lock, remember)])
    )
    await work.run_due()
    assert sorted((i.subject_id, i.key, i.guild_id, i.payload, i.attempts) for i in seen) == [
        (7, "15", 99, {"occurrence": "2026-03-01"}, 1),
        (8, "", None, None, 1),
    ]
    async with database.read() as session:
        stored = await session.scalar(select(DueWork.payload).where(DueWork.subject_id == 8))
    assert stored is None  # SQL NULL, not the JSON text "null"


async def test_a_payload_too_large_or_a_long_key_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="payload"):
        async with database.transaction() as session:
            await ledger.schedule(session, "remind", 1, T0, payload={"ids": list(range(400))})
    with pytest.raises(ValueError, match="key"):
        async with database.transaction() as session:
            await ledger.schedule(session, "remind", 1, T0, key="k" * 65)
    assert await pending(database) == []


async def test_one_failing_item_rolls_back_only_itself(database: Database) -> None:
    """The batch holds a planner that re-schedules (ping, 1), then ping 1 (which fails), ping 3
    and ping 5 (which fails). Putting a failed row back used to collide with the re-scheduled
    one on the unique index and roll back the whole batch; now each item stands alone."""
    handled: list[int] = []

    async def plan(session: AsyncSession, item: DueItem, subject: int) -> None:
        await ledger.schedule(session, "ping", 1, T0 + timedelta(days=1))

    async def ping(session: AsyncSession, item: DueItem, subject: int) -> None:
        await ledger.schedule(session, "ping", item.subject_id, T0 + timedelta(days=7))
        if item.subject_id in (1, 5):
            raise RuntimeError("this one is broken")
        handled.append(item.subject_id)

    async with database.transaction() as session:
        await ledger.schedule(session, "plan", 2, T0 - timedelta(minutes=3))
        await ledger.schedule(session, "ping", 1, T0 - timedelta(minutes=2))
        await ledger.schedule(session, "ping", 3, T0 - timedelta(minutes=1))
        await ledger.schedule(session, "ping", 5, T0)
    work = LedgerRunner(
        database,
        ManualClock(T0),
        KindRegistry(
            [WorkKind("plan", nothing_to_lock, plan), WorkKind("ping", nothing_to_lock, ping)]
        ),
    )
    await work.run_due()

    assert handled == [3]
    async with database.read() as session:
        found = (
            await session.execute(
                select(
                    DueWork.kind, DueWork.subject_id, DueWork.state, DueWork.due_at, DueWork.reason
                )
                .where(DueWork.state != "done")
                .order_by(DueWork.kind, DueWork.subject_id)
            )
        ).all()
        finished = (
            await session.execute(
                select(DueWork.kind, DueWork.subject_id)
                .where(DueWork.state == "done", DueWork.outcome == "on time")
                .order_by(DueWork.kind, DueWork.subject_id)
            )
        ).all()
    # The planner's and ping 3's work stand; ping 1 follows the planner's new time (on
    # PostgreSQL its row was moved before its turn; on SQLite, where a group of items is marked
    # at once, its failed attempt gave way to the planner's row); ping 5's own re-scheduling was
    # rolled back with it and it is retried later.
    assert [tuple(row) for row in found] == [
        ("ping", 1, "pending", T0 + timedelta(days=1), None),
        ("ping", 3, "pending", T0 + timedelta(days=7), None),
        ("ping", 5, "pending", T0, "error: RuntimeError"),
    ]
    assert [tuple(row) for row in finished] == [("ping", 3), ("plan", 2)]


@pytest.mark.skipif(
    backend_name() != "sqlite",
    reason="SQLite's items share a transaction per group; PostgreSQL's have their own",
)
async def test_a_write_waiting_during_a_long_pass_goes_before_the_rest_of_the_group(
    database: Database,
) -> None:
    """A member's command (or the dispatcher recording a send) that wants to write while the
    ledger works through a group gets its turn after the item in hand, not after the group."""
    order: list[str] = []
    command: asyncio.Task[None] | None = None

    async def members_command() -> None:
        async with database.transaction() as session:
            await ledger.schedule(session, "checkin.prompt", 99, T0 + timedelta(days=1))
        order.append("command")

    async def prompt(session: AsyncSession, item: DueItem, subject: int) -> None:
        nonlocal command
        order.append(f"item {item.subject_id}")
        if command is None:
            command = asyncio.create_task(members_command())
            await asyncio.sleep(0)  # one turn of the loop: the command queues for its write
            assert database.writers_waiting()

    async with database.transaction() as session:
        for subject in range(1, 6):
            await ledger.schedule(session, "prompt", subject, T0 - timedelta(minutes=6 - subject))
    work = LedgerRunner(
        database, ManualClock(T0), KindRegistry([WorkKind("prompt", nothing_to_lock, prompt)])
    )
    await work.run_due()
    assert command is not None
    await command

    assert order == ["item 1", "command", "item 2", "item 3", "item 4", "item 5"]
    assert work.last_run.handled == 5
    assert [row[:2] for row in await pending(database)] == [("checkin.prompt", 99)]


async def test_a_recurring_item_that_fails_for_good_still_plans_its_next_occurrence(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    planned: list[DueItem] = []

    async def broken(session: AsyncSession, item: DueItem, subject: int) -> None:
        raise LookupError("always")

    async def next_week(session: AsyncSession, item: DueItem, subject: int) -> None:
        planned.append(item)
        await ledger.schedule(session, item.kind, item.subject_id, item.due_at + timedelta(days=7))

    kind = WorkKind("weekly", nothing_to_lock, broken, on_failure=next_week)
    work = LedgerRunner(database, clock, KindRegistry([kind]))
    async with database.transaction() as session:
        await ledger.schedule(session, "weekly", 1, T0)
    for _ in range(MAX_ATTEMPTS):
        due = await work.next_due()
        assert due is not None
        clock.set(max(due, clock.now()))
        await work.run_due()
    assert [item.attempts for item in planned] == [MAX_ATTEMPTS]
    async with database.read() as session:
        found = (
            await session.execute(
                select(DueWork.state, DueWork.due_at, DueWork.reason).order_by(DueWork.id)
            )
        ).all()
    assert [tuple(row) for row in found] == [
        ("failed", T0, "error: LookupError"),
        ("pending", T0 + timedelta(days=7), None),
    ]


async def test_the_migration_gives_existing_rows_their_server(database: Database) -> None:
    await downgrade_to(database, "0003")
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sobriety_counters (id, guild_id, user_id, label, label_key, "
                "start_date, streak_number, visibility, celebrate, past_days, created_at, "
                "updated_at) VALUES (5, 777, 1, 'Sobriety', 'sobriety', '2026-01-01', 1, "
                "'private', 'dm', 0, :now, :now)"
            ),
            {"now": T0},
        )
        for kind, subject in (("milestone", 5), ("milestone.announce", 777), ("other", 3)):
            await connection.execute(
                text(
                    "INSERT INTO due_work (kind, subject_id, due_at, available_at, state, "
                    "attempts) VALUES (:kind, :subject, :now, :now, 'pending', 0)"
                ),
                {"kind": kind, "subject": subject, "now": T0},
            )
    await upgrade_to_head(database)
    async with database.read() as session:
        found = (
            await session.execute(
                select(DueWork.kind, DueWork.guild_id, DueWork.key).order_by(DueWork.id)
            )
        ).all()
    assert [tuple(row) for row in found] == [
        ("milestone", 777, ""),
        ("milestone.announce", 777, ""),
        ("other", None, ""),
    ]
