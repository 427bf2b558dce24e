"""Review: what a handler does to another item of the same claimed batch.

A handler may schedule or cancel due work (bot/scheduling/kinds.py). On PostgreSQL each item's
row is re-checked when its turn comes, so an item a handler cancelled or moved meanwhile is
skipped. On SQLite a group's rows are all marked done before the first handler runs, so
`ledger.cancel` no longer finds the other item (it is not pending), and `ledger.schedule`
inserts a second row beside it: the cancelled item still fires, and a moved one fires twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.db import Database
from bot.logs import PrivateFormatter
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem, KindRegistry, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.scheduling.runner import ITEM_CONCURRENCY, LedgerRunner
from tests.databases import backend_name

# The group marking is SQLite's; on PostgreSQL items run side by side and a handler's move can
# come after the other item was handled, which is an ordinary race, not this bug.
sqlite_only = pytest.mark.skipif(backend_name() != "sqlite", reason="SQLite's grouped items")

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@sqlite_only
async def test_an_item_cancelled_by_an_earlier_handler_of_the_batch_does_not_fire(
    database: Database,
) -> None:
    fired: list[str] = []

    async def answered(session: AsyncSession, item: DueItem, subject: int) -> None:
        # e.g. the member answered: the "no answer yet" nudge for the same member is pointless.
        fired.append("answered")
        await ledger.cancel(session, "review.nudge", subject)

    async def nudge(session: AsyncSession, item: DueItem, subject: int) -> None:
        fired.append("nudge")

    kinds = KindRegistry(
        [
            WorkKind(name="review.answered", lock_subject=nothing_to_lock, handle=answered),
            WorkKind(name="review.nudge", lock_subject=nothing_to_lock, handle=nudge),
        ]
    )
    async with database.transaction() as session:
        await ledger.schedule(session, "review.answered", 7, T0 - timedelta(seconds=2))
        await ledger.schedule(session, "review.nudge", 7, T0 - timedelta(seconds=1))
    await LedgerRunner(database, ManualClock(T0), kinds).run_due()

    assert fired == ["answered"]


@sqlite_only
async def test_an_item_moved_by_an_earlier_handler_of_the_batch_fires_once(
    database: Database,
) -> None:
    fired: list[datetime] = []
    later = T0 + timedelta(hours=1)

    async def postpone(session: AsyncSession, item: DueItem, subject: int) -> None:
        await ledger.schedule(session, "review.reminder", subject, later)  # the meeting moved

    async def remind(session: AsyncSession, item: DueItem, subject: int) -> None:
        fired.append(item.due_at)

    kinds = KindRegistry(
        [
            WorkKind(name="review.move", lock_subject=nothing_to_lock, handle=postpone),
            WorkKind(name="review.reminder", lock_subject=nothing_to_lock, handle=remind),
        ]
    )
    async with database.transaction() as session:
        await ledger.schedule(session, "review.move", 7, T0 - timedelta(seconds=2))
        await ledger.schedule(session, "review.reminder", 7, T0 - timedelta(seconds=1))
    clock = ManualClock(T0)
    runner = LedgerRunner(database, clock, kinds)
    await runner.run_due()
    clock.set(later)
    await runner.run_due()

    assert fired == [later]  # only at the new time


async def test_a_failing_handler_does_not_write_its_exception_text_to_the_log(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The runner records only the exception's class ("an exception's text may quote member
    data"), but logs it with `log.exception`, whose traceback carries that text: e.g. asyncpg's
    DataError quotes the offending argument, which hide_parameters does not hide."""

    async def broken(session: AsyncSession, item: DueItem, subject: int) -> None:
        note = " ".join(("a", "rough", "patch", "since", "Tuesday"))  # what the member wrote
        raise ValueError(f"invalid input for query argument $2: {note!r}")

    kinds = KindRegistry(
        [WorkKind(name="review.broken", lock_subject=nothing_to_lock, handle=broken)]
    )
    async with database.transaction() as session:
        await ledger.schedule(session, "review.broken", 7, T0)
    # Formatted as Steady's log handler formats it (`setup_logging` installs this formatter):
    # pytest's own formatter is not what an operator's log shows.
    caplog.handler.setFormatter(PrivateFormatter())
    with caplog.at_level(logging.DEBUG):
        await LedgerRunner(database, ManualClock(T0), kinds).run_due()

    assert caplog.records  # the failure is logged …
    assert "builtins.ValueError" in caplog.text  # … with its class and frames …
    assert "in broken" in caplog.text
    assert "rough patch" not in caplog.text  # … without what the member wrote


async def test_an_urgent_kind_is_handled_before_a_wave_of_bulk_items_due_earlier(
    database: Database,
) -> None:
    """A support alert's escalation step comes due behind a catch-up of check-in prompts that
    were due earlier: the step is claimed (and handled) first, not after the prompts."""
    fired: list[str] = []

    async def record(session: AsyncSession, item: DueItem, subject: int) -> None:
        fired.append(item.kind)

    kinds = KindRegistry(
        [
            WorkKind(name="review.prompt", lock_subject=nothing_to_lock, handle=record),
            WorkKind(
                name="review.escalate", lock_subject=nothing_to_lock, handle=record, urgent=True
            ),
        ]
    )
    async with database.transaction() as session:
        for subject in range(300):
            await ledger.schedule(session, "review.prompt", subject, T0 - timedelta(minutes=10))
        await ledger.schedule(session, "review.escalate", 1, T0)
    await LedgerRunner(database, ManualClock(T0), kinds).run_due()

    assert len(fired) == 301
    assert fired.index("review.escalate") < ITEM_CONCURRENCY  # among the first items started
