"""Scheduling and cancelling many items in one statement (start-up, the daily rebuild): the same
rows, and the same one-pending-row-per-(kind, subject, key) guarantee, as one call per item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text, update

from bot.db import Database
from bot.db.models import DueWork
from bot.db.models.scheduling import DONE
from bot.scheduling import ledger, wake
from bot.scheduling.ledger import Planned

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def rows(database: Database) -> list[tuple[object, ...]]:
    async with database.read() as session:
        found = await session.execute(
            select(
                DueWork.kind,
                DueWork.subject_id,
                DueWork.key,
                DueWork.state,
                DueWork.due_at,
                DueWork.guild_id,
                DueWork.payload,
            ).order_by(DueWork.kind, DueWork.subject_id, DueWork.key, DueWork.state)
        )
        return [tuple(row) for row in found.all()]


async def test_an_item_named_twice_ends_as_one_pending_row_the_later_one(
    database: Database,
) -> None:
    async with database.transaction() as session:
        scheduled = await ledger.schedule_many(
            session,
            [
                Planned("meeting.reminder", 7, T0, key="c60", guild_id=1, payload={"at": "a"}),
                Planned("meeting.reminder", 7, T0 + HOUR, key="c15", guild_id=1),
                Planned("meeting.reminder", 7, T0 + 2 * HOUR, key="c60", guild_id=2),
            ],
        )
    assert scheduled == 2
    assert await rows(database) == [
        ("meeting.reminder", 7, "c15", "pending", T0 + HOUR, 1, None),
        ("meeting.reminder", 7, "c60", "pending", T0 + 2 * HOUR, 2, None),
    ]


async def test_a_pending_row_is_moved_and_its_claim_released_as_schedule_does(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await ledger.schedule(session, "meeting.end", 7, T0, payload={"at": "old"})
        await ledger.schedule(session, "meeting.end", 8, T0)
    async with database.transaction() as session:
        # One row is being handled by a process, the other has finished: the finished one is
        # history and stays, the claimed one is moved and freed for its new time.
        await session.execute(
            update(DueWork)
            .where(DueWork.subject_id == 7)
            .values(claimed_by="other", claimed_until=T0, attempts=1)
        )
        await session.execute(update(DueWork).where(DueWork.subject_id == 8).values(state=DONE))
    async with database.transaction() as session:
        await ledger.schedule_many(
            session,
            [
                Planned("meeting.end", 7, T0 + HOUR, payload={"at": "new"}),
                Planned("meeting.end", 8, T0 + HOUR),
            ],
        )
    assert await rows(database) == [
        ("meeting.end", 7, "", "pending", T0 + HOUR, None, {"at": "new"}),
        ("meeting.end", 8, "", DONE, T0, None, None),
        ("meeting.end", 8, "", "pending", T0 + HOUR, None, None),
    ]
    async with database.read() as session:
        moved = await session.scalar(select(DueWork).where(DueWork.subject_id == 7))
        assert moved is not None
        assert (moved.claimed_by, moved.claimed_until, moved.attempts) == (None, None, 0)
        assert moved.available_at == T0 + HOUR


async def test_one_bad_item_refuses_them_all(database: Database) -> None:
    good = Planned("meeting.end", 1, T0)
    for bad, message in [
        (Planned("meeting.end", 2, T0.replace(tzinfo=None)), "timezone-aware"),
        (Planned("meeting.end", 2, T0, key="k" * 65), "key"),
        (Planned("meeting.end", 2, T0, payload={"note": "x" * 2000}), "payload"),
    ]:
        with pytest.raises(ValueError, match=message):
            async with database.transaction() as session:
                await ledger.schedule_many(session, [good, bad])
    assert await rows(database) == []


async def test_the_earliest_new_time_wakes_the_runner_after_the_commit(
    database: Database,
) -> None:
    heard: list[datetime | None] = []
    wake.subscribe(heard.append)
    try:
        async with database.transaction() as session:
            await ledger.schedule_many(
                session,
                [Planned("meeting.end", 1, T0 + HOUR), Planned("meeting.end", 2, T0)],
            )
            assert heard == []  # not before the rows exist for others
        assert heard == [T0]
        async with database.transaction() as session:
            assert await ledger.schedule_many(session, []) == 0
        assert heard == [T0]  # nothing scheduled, nothing announced
    finally:
        wake.unsubscribe(heard.append)


async def test_cancelling_many_forgets_only_those_subjects_pending_rows_of_those_kinds(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await ledger.schedule_many(
            session,
            [
                Planned("meeting.reminder", 1, T0, key="c60"),
                Planned("meeting.reminder", 1, T0, key="s15"),
                Planned("meeting.end", 1, T0),
                Planned("meeting.end", 2, T0),
                Planned("meeting.end", 3, T0),  # another subject
                Planned("checkin.prompt", 1, T0),  # another kind, same id
            ],
        )
        await session.flush()
        await session.execute(update(DueWork).where(DueWork.subject_id == 2).values(state=DONE))
    async with database.transaction() as session:
        await ledger.cancel_many(session, ["meeting.reminder", "meeting.end"], [1, 2])
    assert [(kind, subject, state) for kind, subject, _, state, *_ in await rows(database)] == [
        ("checkin.prompt", 1, "pending"),
        ("meeting.end", 2, DONE),
        ("meeting.end", 3, "pending"),
    ]


@pytest.mark.postgres_only
async def test_cancelling_finds_its_rows_through_the_pending_index_in_a_prepared_plan(
    database: Database,
) -> None:
    """asyncpg prepares every statement and PostgreSQL soon switches to a generic plan, which
    can use the partial one-pending-row index only if `state = 'pending'` is in the SQL itself;
    otherwise every cancel walks all pending rows of its kind (the whole table, at scale)."""
    sent: list[str] = []

    def remember(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("DELETE FROM due_work"):
            sent.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", remember)
    try:
        async with database.transaction() as session:
            await ledger.cancel(session, "meeting.end", 1)
            await ledger.cancel_many(session, ["meeting.end"], [1, 2])
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", remember)
    assert len(sent) == 2
    async with database.transaction() as session:
        await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        for n, statement in enumerate(sent):
            await session.execute(text(f"PREPARE cancel_{n} AS {statement}"))
            plan = (
                await session.scalars(text(f"EXPLAIN EXECUTE cancel_{n}('meeting.end', 1)"))
            ).all()
            assert "uq_due_work_pending_kind_subject_key" in "\n".join(plan), plan
