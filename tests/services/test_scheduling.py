"""The due-work ledger on a real database: scheduling, claiming, leases, lateness, catch-up."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import DueWork, OutboxMessage
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.scheduling import ledger, wake
from bot.scheduling.kinds import DueItem, KindRegistry, Lateness, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.scheduling.runner import ITEM_CONCURRENCY, LEASE, MAX_ATTEMPTS, LedgerRunner

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Recorder:
    """A kind's handler that remembers what it was asked to handle."""

    def __init__(self) -> None:
        self.items: list[DueItem] = []
        self.dropped: list[DueItem] = []

    async def handle(self, session: AsyncSession, item: DueItem, subject: int) -> None:
        self.items.append(item)

    async def drop(self, session: AsyncSession, item: DueItem, subject: int) -> None:
        self.dropped.append(item)

    def subjects(self) -> list[int]:
        return sorted(item.subject_id for item in self.items)


def runner(
    database: Database, clock: ManualClock, *kinds: WorkKind[int], worker: str = "w1"
) -> LedgerRunner:
    return LedgerRunner(database, clock, KindRegistry(kinds), worker=worker)


async def rows(database: Database) -> list[DueWork]:
    async with database.read() as session:
        return list((await session.scalars(select(DueWork).order_by(DueWork.id))).all())


async def schedule(database: Database, kind: str, subject: int, due: datetime) -> None:
    async with database.transaction() as session:
        await ledger.schedule(session, kind, subject, due)


async def schedule_then_fail(database: Database, kind: str, subject: int, due: datetime) -> None:
    async with database.transaction() as session:
        await ledger.schedule(session, kind, subject, due)
        raise RuntimeError("the service's state change failed")


async def test_schedule_adds_then_moves_the_one_pending_row(database: Database) -> None:
    await schedule(database, "ping", 7, T0)
    await schedule(database, "ping", 7, T0 + timedelta(hours=3))
    await schedule(database, "ping", 8, T0)
    await schedule(database, "other", 7, T0)
    found = await rows(database)
    assert [(r.kind, r.subject_id, r.due_at) for r in found] == [
        ("ping", 7, T0 + timedelta(hours=3)),
        ("ping", 8, T0),
        ("other", 7, T0),
    ]
    assert all(r.state == "pending" and r.available_at == r.due_at for r in found)


async def test_cancel_forgets_the_pending_row_only(database: Database) -> None:
    await schedule(database, "ping", 7, T0)
    await schedule(database, "ping", 8, T0)
    async with database.transaction() as session:
        await ledger.cancel(session, "ping", 7)
        await ledger.cancel(session, "ping", 99)  # nothing to cancel is fine
    assert [r.subject_id for r in await rows(database)] == [8]


async def test_a_rolled_back_transaction_schedules_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        await schedule_then_fail(database, "ping", 1, T0)
    assert await rows(database) == []


async def test_naive_due_time_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, datetime(2026, 3, 1, 12))


async def test_due_items_run_once_at_their_due_time(database: Database) -> None:
    clock = ManualClock(T0)
    seen = Recorder()
    work = runner(database, clock, WorkKind("ping", nothing_to_lock, seen.handle))
    await schedule(database, "ping", 1, T0 + timedelta(minutes=10))
    await schedule(database, "ping", 2, T0 + timedelta(minutes=20))

    assert await work.next_due() == T0 + timedelta(minutes=10)
    await work.run_due()
    assert seen.items == []  # nothing is due yet

    clock.set(T0 + timedelta(minutes=10))
    await work.run_due()
    await work.run_due()
    assert seen.subjects() == [1]
    assert seen.items[0].late is False
    assert await work.next_due() == T0 + timedelta(minutes=20)

    clock.set(T0 + timedelta(minutes=20))
    await work.run_due()
    assert seen.subjects() == [1, 2]
    assert await work.next_due() is None
    assert {(r.state, r.outcome) for r in await rows(database)} == {("done", "on time")}


async def test_stopping_finishes_the_item_in_hand_and_releases_the_rest_at_once(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    seen = Recorder()
    work: LedgerRunner

    async def handle_then_shut_down(session: AsyncSession, item: DueItem, subject: int) -> None:
        await seen.handle(session, item, subject)
        work.stop()  # shutdown begins while the first item of the batch is handled

    work = runner(database, clock, WorkKind("ping", nothing_to_lock, handle_then_shut_down))
    work.batch_size = 6
    for subject in range(8):
        await schedule(database, "ping", subject, T0)
    await work.run_due()
    # The item in hand (on PostgreSQL: the few in hand side by side) is finished; no other is
    # started, and the second batch is never claimed.
    handled = seen.subjects()
    assert 1 <= len(handled) <= ITEM_CONCURRENCY
    assert work.last_run.released == 6 - len(handled)
    for row in await rows(database):
        if row.subject_id in handled:
            assert row.state == "done"
        else:
            # Claimable again now, not after the lease, its attempt not counted.
            assert (row.state, row.attempts, row.claimed_by, row.available_at) == (
                "pending",
                0,
                None,
                T0,
            )


async def test_a_pass_cancelled_when_the_grace_runs_out_releases_its_claims(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    entered = asyncio.Event()

    async def hangs(session: AsyncSession, item: DueItem, subject: int) -> None:
        entered.set()
        await asyncio.Event().wait()  # a handler stuck on the network

    work = runner(database, clock, WorkKind("ping", nothing_to_lock, hangs))
    for subject in range(4):
        await schedule(database, "ping", subject, T0)
    task = asyncio.create_task(work.run_due())
    await asyncio.wait_for(entered.wait(), timeout=10)
    task.cancel()  # what WakeUps.stop does once shutdown_grace_seconds have passed
    with contextlib.suppress(asyncio.CancelledError):
        await task
    found = await rows(database)
    # Every claimed row, the interrupted one included, is free for the next process at once.
    assert [(r.state, r.claimed_by, r.attempts) for r in found] == [("pending", None, 0)] * 4
    assert all(r.available_at == T0 for r in found)
    other = runner(database, clock, WorkKind("ping", nothing_to_lock, Recorder().handle))
    assert len(await other.claim(T0)) == 4


async def test_next_due_ignores_kinds_this_process_does_not_handle(database: Database) -> None:
    clock = ManualClock(T0)
    await schedule(database, "someone-elses", 1, T0 - timedelta(hours=1))
    await schedule(database, "ping", 2, T0 + timedelta(hours=1))
    seen = Recorder()
    work = runner(database, clock, WorkKind("ping", nothing_to_lock, seen.handle))
    assert await work.next_due() == T0 + timedelta(hours=1)
    await work.run_due()
    assert seen.items == []
    assert runner(database, clock).kinds.names() == []
    assert await runner(database, clock).next_due() is None


async def test_a_handler_may_schedule_the_next_item_of_the_same_subject(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    handled: list[datetime] = []

    async def daily(session: AsyncSession, item: DueItem, subject: int) -> None:
        handled.append(item.due_at)
        await ledger.schedule(session, item.kind, item.subject_id, item.due_at + timedelta(days=1))

    work = runner(database, clock, WorkKind("daily", nothing_to_lock, daily))
    await schedule(database, "daily", 1, T0)
    for day in range(3):
        clock.set(T0 + timedelta(days=day))
        await work.run_due()
    assert handled == [T0, T0 + timedelta(days=1), T0 + timedelta(days=2)]
    states = [(r.state, r.due_at) for r in await rows(database)]
    assert states[-1] == ("pending", T0 + timedelta(days=3))
    assert [s for s, _ in states].count("pending") == 1


async def test_outbox_rows_written_by_a_handler_commit_with_the_done_mark(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    fail = True

    async def remind(session: AsyncSession, item: DueItem, subject: int) -> None:
        await enqueue(
            session,
            target=Target("dm", item.subject_id),
            message=OutgoingMessage(content="Your group starts in an hour."),
            purpose="meeting.reminder",
        )
        if fail:
            raise RuntimeError("boom after writing the outbox row")

    work = runner(database, clock, WorkKind("remind", nothing_to_lock, remind))
    await schedule(database, "remind", 42, T0)
    await work.run_due()
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    [row] = await rows(database)
    assert (row.state, row.reason, row.claimed_by) == ("pending", "error: RuntimeError", None)
    assert row.available_at > T0  # retried after a back-off, not at once
    assert work.last_run.errors == 1

    fail = False
    clock.set(row.available_at)
    await work.run_due()
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    [row] = await rows(database)
    assert row.state == "done"


async def test_a_handler_that_keeps_failing_ends_failed_with_its_reason(
    database: Database,
) -> None:
    clock = ManualClock(T0)

    async def broken(session: AsyncSession, item: DueItem, subject: int) -> None:
        raise LookupError("a member's private note must not end up in the ledger")

    work = runner(database, clock, WorkKind("broken", nothing_to_lock, broken))
    await schedule(database, "broken", 1, T0)
    for _ in range(MAX_ATTEMPTS + 2):
        due = await work.next_due()
        if due is None:
            break
        clock.set(max(due, clock.now()))
        await work.run_due()
    [row] = await rows(database)
    assert (row.state, row.attempts, row.reason) == ("failed", MAX_ATTEMPTS, "error: LookupError")
    assert await work.next_due() is None


async def test_concurrent_claimers_never_take_the_same_row(database_url: URL) -> None:
    """Two processes (two engines, two connection pools) claim at once: disjoint sets that
    together cover every due row."""
    first, second = Database.connect(database_url), Database.connect(database_url)
    try:
        clock = ManualClock(T0)
        kind = WorkKind("ping", nothing_to_lock, Recorder().handle)
        async with first.transaction() as session:
            for subject in range(300):
                await ledger.schedule(session, "ping", subject, T0 - timedelta(seconds=subject))
        a = LedgerRunner(first, clock, KindRegistry([kind]), worker="a", batch_size=40)
        b = LedgerRunner(second, clock, KindRegistry([kind]), worker="b", batch_size=40)

        async def drain(work: LedgerRunner) -> list[int]:
            taken: list[int] = []
            while batch := await work.claim(clock.now()):
                taken.extend(claim.id for claim in batch)
                await asyncio.sleep(0)  # let the other claimer in between batches
            return taken

        got_a, got_b = await asyncio.gather(drain(a), drain(b))
        assert not set(got_a) & set(got_b)
        assert len(got_a) + len(got_b) == 300
        claimed = await rows(first)
        assert {r.claimed_by for r in claimed} <= {"a", "b"}
        assert {r.id for r in claimed if r.claimed_by == "a"} == set(got_a)
        assert all(r.attempts == 1 and r.claimed_until == T0 + LEASE for r in claimed)
    finally:
        await first.dispose()
        await second.dispose()


async def test_concurrent_runners_handle_each_row_exactly_once(database_url: URL) -> None:
    first, second = Database.connect(database_url), Database.connect(database_url)
    try:
        clock = ManualClock(T0)
        seen_a, seen_b = Recorder(), Recorder()
        async with first.transaction() as session:
            for subject in range(200):
                await ledger.schedule(session, "ping", subject, T0)
        a = LedgerRunner(
            first,
            clock,
            KindRegistry([WorkKind("ping", nothing_to_lock, seen_a.handle)]),
            worker="a",
            batch_size=25,
        )
        b = LedgerRunner(
            second,
            clock,
            KindRegistry([WorkKind("ping", nothing_to_lock, seen_b.handle)]),
            worker="b",
            batch_size=25,
        )
        await asyncio.gather(a.run_due(), b.run_due())
        assert sorted(seen_a.subjects() + seen_b.subjects()) == list(range(200))
        assert {r.state for r in await rows(first)} == {"done"}
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_crashed_claim_is_picked_up_after_its_lease(database: Database) -> None:
    clock = ManualClock(T0)
    seen_dead, seen_alive = Recorder(), Recorder()
    crashed = runner(
        database, clock, WorkKind("ping", nothing_to_lock, seen_dead.handle), worker="crashed"
    )
    alive = runner(
        database, clock, WorkKind("ping", nothing_to_lock, seen_alive.handle), worker="alive"
    )
    await schedule(database, "ping", 1, T0)

    assert len(await crashed.claim(T0)) == 1  # …and then the process dies
    await alive.run_due()
    assert seen_alive.items == []  # the lease still holds
    assert await alive.next_due() == T0 + LEASE

    clock.set(T0 + LEASE)
    await alive.run_due()
    assert seen_alive.subjects() == [1]
    [row] = await rows(database)
    assert (row.state, row.attempts) == ("done", 2)
    assert seen_dead.items == []


async def test_a_slow_claimer_whose_lease_ran_out_does_not_handle_twice(
    database: Database,
) -> None:
    clock = ManualClock(T0)
    seen_slow, seen_fast = Recorder(), Recorder()
    slow = runner(
        database, clock, WorkKind("ping", nothing_to_lock, seen_slow.handle), worker="slow"
    )
    fast = runner(
        database, clock, WorkKind("ping", nothing_to_lock, seen_fast.handle), worker="fast"
    )
    await schedule(database, "ping", 1, T0)
    ids = await slow.claim(T0)
    clock.set(T0 + LEASE)
    await fast.run_due()  # takes the row over and handles it
    # The slow process wakes up and goes on with its old claim: the row is no longer its own.
    await slow.handle_claimed(ids, clock.now(), slow.last_run)
    assert seen_fast.subjects() == [1]
    assert seen_slow.items == []


async def test_moving_a_claimed_row_releases_the_claim(database: Database) -> None:
    clock = ManualClock(T0)
    seen = Recorder()
    work = runner(database, clock, WorkKind("ping", nothing_to_lock, seen.handle))
    await schedule(database, "ping", 1, T0)
    ids = await work.claim(T0)
    await schedule(database, "ping", 1, T0 + timedelta(hours=1))  # the member changed it
    await work.handle_claimed(ids, T0, work.last_run)
    assert seen.items == []
    [row] = await rows(database)
    assert (row.state, row.claimed_by, row.available_at) == (
        "pending",
        None,
        T0 + timedelta(hours=1),
    )


async def test_cancelling_a_claimed_row_wins(database: Database) -> None:
    clock = ManualClock(T0)
    seen = Recorder()
    work = runner(database, clock, WorkKind("ping", nothing_to_lock, seen.handle))
    await schedule(database, "ping", 1, T0)
    ids = await work.claim(T0)
    async with database.transaction() as session:
        await ledger.cancel(session, "ping", 1)
    await work.handle_claimed(ids, T0, work.last_run)
    assert seen.items == []
    assert await rows(database) == []


@pytest.mark.parametrize(
    ("lateness", "stale_after", "late_by", "expect"),
    [
        (Lateness.DELIVER, None, timedelta(minutes=4), ("done", "on time", False)),
        (Lateness.DELIVER, None, timedelta(hours=6), ("done", "late", True)),
        (Lateness.REWRITE, None, timedelta(hours=6), ("done", "rewritten", True)),
        (Lateness.DROP, timedelta(hours=12), timedelta(hours=6), ("done", "late", True)),
        (Lateness.DROP, timedelta(hours=12), timedelta(hours=13), ("dropped", "stale", None)),
        (Lateness.DROP, None, timedelta(minutes=6), ("dropped", "stale", None)),
    ],
)
async def test_lateness_policies(
    database: Database,
    lateness: Lateness,
    stale_after: timedelta | None,
    late_by: timedelta,
    expect: tuple[str, str, bool | None],
) -> None:
    clock = ManualClock(T0 + late_by)
    seen = Recorder()
    kind = WorkKind(
        "prompt",
        nothing_to_lock,
        seen.handle,
        lateness=lateness,
        stale_after=stale_after,
        on_drop=seen.drop,
    )
    await schedule(database, "prompt", 1, T0)
    await runner(database, clock, kind).run_due()
    [row] = await rows(database)
    state, outcome, late = expect
    assert (row.state, row.outcome) == (state, outcome)
    if late is None:
        assert seen.items == []
        assert [d.subject_id for d in seen.dropped] == [1]
        assert (row.reason or "").startswith("stale: ")
    else:
        assert [i.late for i in seen.items] == [late]
        assert seen.dropped == []


async def test_catch_up_after_downtime_handles_everything_once_by_policy(
    database: Database,
) -> None:
    """The bot was down for a day: a new process handles what came due, each item once,
    following its kind's policy, and leaves the future alone."""
    reminders, prompts, milestones = Recorder(), Recorder(), Recorder()
    kinds = (
        WorkKind(
            "reminder",
            nothing_to_lock,
            reminders.handle,
            lateness=Lateness.DROP,
            stale_after=timedelta(hours=2),
            on_drop=reminders.drop,
        ),
        WorkKind("prompt", nothing_to_lock, prompts.handle, lateness=Lateness.REWRITE),
        WorkKind("milestone", nothing_to_lock, milestones.handle, lateness=Lateness.DELIVER),
    )
    down_at = T0
    async with database.transaction() as session:
        for hour in range(24):
            await ledger.schedule(session, "reminder", hour, down_at + timedelta(hours=hour))
            await ledger.schedule(session, "prompt", hour, down_at + timedelta(hours=hour))
            await ledger.schedule(session, "milestone", hour, down_at + timedelta(hours=hour))
        await ledger.schedule(session, "milestone", 100, down_at + timedelta(days=3))

    clock = ManualClock(down_at + timedelta(hours=23, minutes=3))  # back up
    work = runner(database, clock, *kinds)
    await work.run_due()
    await work.run_due()  # a second pass (say, the sweep) finds nothing more

    # Reminders more than two hours old are dropped; the last two still go out, late.
    assert sorted(d.subject_id for d in reminders.dropped) == list(range(22))
    assert reminders.subjects() == [22, 23]
    assert [i.late for i in sorted(reminders.items, key=lambda i: i.subject_id)] == [True, False]
    assert prompts.subjects() == list(range(24))
    assert milestones.subjects() == list(range(24))
    assert sum(i.late for i in milestones.items) == 23
    assert await work.next_due() == down_at + timedelta(days=3)
    assert work.last_run.claimed == 0


async def test_commits_announce_the_earliest_new_due_time(database: Database) -> None:
    heard: list[datetime | None] = []
    wake.subscribe(heard.append)
    try:
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, T0 + timedelta(hours=2))
            await ledger.schedule(session, "ping", 2, T0 + timedelta(hours=1))
        with pytest.raises(RuntimeError):
            await schedule_then_fail(database, "ping", 3, T0)
        async with database.transaction() as session:
            await enqueue(
                session,
                target=Target("channel", 5),
                message=OutgoingMessage(content="hi"),
                purpose="test.now",
            )
    finally:
        wake.unsubscribe(heard.append)
    assert heard == [T0 + timedelta(hours=1), None]


async def test_a_savepoint_neither_announces_nor_forgets_the_transactions_wake_up(
    database: Database,
) -> None:
    heard: list[datetime | None] = []
    wake.subscribe(heard.append)
    try:
        async with database.transaction() as session:
            await ledger.schedule(session, "ping", 1, T0 + timedelta(hours=2))
            with contextlib.suppress(RuntimeError):
                async with session.begin_nested():  # one item's savepoint fails...
                    await ledger.schedule(session, "ping", 2, T0 + timedelta(hours=1))
                    raise RuntimeError("one handler failed")
            async with session.begin_nested():  # ...another's is released
                await ledger.schedule(session, "ping", 3, T0 + timedelta(hours=3))
            assert heard == []  # nothing is committed yet
        # The row of the failed savepoint is gone, but its note stays (a wake-up that finds
        # nothing is harmless; a lost one is not).
    finally:
        wake.unsubscribe(heard.append)
    assert heard == [T0 + timedelta(hours=1)]
    assert [r.subject_id for r in await rows(database)] == [1, 3]


async def test_the_sweep_reads_the_state_and_due_time_index(database: Database) -> None:
    """The query plan, not a timing: due rows are found by a range search of an index on state
    and due time, never by scanning the table (bench/sweep.py measures the timing)."""
    clock = ManualClock(T0)
    work = runner(database, clock, WorkKind("ping", nothing_to_lock, Recorder().handle))
    async with database.transaction() as session:
        for subject in range(3000):  # mostly future work, a few rows due
            await ledger.schedule(session, "ping", subject, T0 + timedelta(minutes=subject - 5))
    async with database.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    claim_sql = (
        "SELECT id FROM due_work WHERE state = 'pending' AND available_at <= :now "
        "AND kind IN ('ping') ORDER BY available_at, id LIMIT 200"
    )
    async with database.read() as session:
        if database.dialect == "sqlite":
            plan = (
                await session.execute(
                    text("EXPLAIN QUERY PLAN " + claim_sql),
                    {"now": T0.replace(tzinfo=None).isoformat(sep=" ")},
                )
            ).all()
            detail = " ".join(str(row[-1]) for row in plan)
            assert "SEARCH due_work USING COVERING INDEX ix_due_work_state_" in detail, detail
        else:
            plan = (await session.execute(text("EXPLAIN " + claim_sql), {"now": T0})).all()
            detail = " ".join(str(row[0]) for row in plan)
            assert "Seq Scan" not in detail, detail
            assert "ix_due_work_state_" in detail, detail
    assert await work.next_due() == T0 - timedelta(minutes=5)
