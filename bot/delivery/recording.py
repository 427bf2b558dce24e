"""Recording what an attempt came to, in one short transaction per row: sent or done,
retried with back-off, given back after a rate limit, failed or dead, and what that releases
(edits waiting for the message, operations waiting for their thread or event).

The feature hears of a finished row (its completion or undeliverable handler) in a second
transaction, after the row was marked: a handler locks the feature's own rows, and holding the
outbox row meanwhile would take locks in the opposite order to a member's command (which locks
its domain row, then cancels or edits outbox rows). The hook still to run is noted on the row
(`hook`), so a crash in between only delays it: `run_due_hooks` runs what is left, and a
failing handler is tried again with back-off, then given up after `MAX_ATTEMPTS`. A hook runs
once: a second runner finds it done and rolls its own run back."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database, Urgency
from bot.db.models.outbox import (
    CANCELLED,
    DEAD,
    FAILED,
    HOOK_COMPLETED,
    HOOK_SENT_DESPITE_CANCEL,
    HOOK_UNDELIVERABLE,
    PENDING,
    SENT,
    URGENT,
    WAITING,
    OutboxMessage,
)
from bot.delivery import chains
from bot.delivery import operations as ops
from bot.delivery.claims import Claimed, DispatchStats
from bot.delivery.outbox import UndeliverableHandlers
from bot.delivery.outcomes import Dead, Done, Outcome, Refused, Retry, Sent
from bot.scheduling.runner import backoff

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=10)
RETRY_CAP = timedelta(minutes=30)
# Retries after an uncertain outcome stay inside Discord's nonce window (about 5 minutes).
UNCERTAIN_ATTEMPTS = 4
UNCERTAIN_CAP = timedelta(seconds=60)
# A hook not run by the process that finished the row is run by the next pass after this.
HOOK_GRACE = timedelta(minutes=1)
HOOK_BATCH = 100
HANDLER_FAILED = "handler failed: "


class _RunBefore(Exception):
    """The hook was run by someone else meanwhile: undo this run."""


class Recorder:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        handlers: UndeliverableHandlers,
        worker: str,
        rng: random.Random,
        stats: DispatchStats,
    ) -> None:
        self._db = database
        self._clock = clock
        self._handlers = handlers
        self.worker = worker
        self._rng = rng
        self.stats = stats

    async def record(self, row: Claimed, outcome: Outcome | None) -> None:
        # An urgent row's outcome is recorded ahead of ordinary writers: its sender (one of the
        # urgent lane's few) waits for it before the next alert.
        urgency = Urgency.DELIVERY if row.priority == URGENT else Urgency.NORMAL
        if await self._record(row, outcome, urgency):
            await self.run_hook(row.id, urgency)

    async def _record(
        self, row: Claimed, outcome: Outcome | None, urgency: Urgency = Urgency.NORMAL
    ) -> bool:
        """Mark the row; whether it has a hook to run now."""
        now = self._clock.now()
        async with self._db.transaction(urgency) as session:
            current = await session.get(OutboxMessage, row.id, with_for_update=True)
            if current is not None and current.state == CANCELLED:
                if current.claimed_by == self.worker:
                    await self._drop_cancelled(session, current, outcome, now)
                return current is not None and current.hook is not None
            if current is None or current.state != PENDING or current.claimed_by != self.worker:
                # Our lease ran out and another process took the row (or finished it): its
                # outcome is the one that counts. Ids and outcome kinds only.
                self.stats.claims_lost += 1
                log.warning(
                    "outbox row %d (%s): claim lost before recording %s; left to its holder",
                    row.id,
                    row.purpose,
                    type(outcome).__name__,
                )
                return False
            assert outcome is not None  # only a cancelled row has no attempt
            current.claimed_by = None
            if isinstance(outcome, Retry) and outcome.uncertain:
                current.uncertain_since = current.uncertain_since or current.attempt_started_at
            if isinstance(outcome, Sent | Done):
                self._mark_sent(current, outcome, now)
                if ops.completion_handler(row.purpose) is not None:
                    self._note_hook(current, HOOK_COMPLETED, now)
                await self._after(session, current, now)
                return current.hook is not None
            current.last_error = outcome.reason[:200]
            if isinstance(outcome, Retry) and not outcome.counted:
                current.attempts = max(0, current.attempts - 1)  # the claim counted it
                # No jitter: rows held together come back together, in their order (the pacer
                # spaces their requests).
                current.next_attempt_at = now + timedelta(seconds=max(1.0, outcome.at_least))
                self.stats.rate_limited += 1
                await self._after(session, current, now)
                return False
            if isinstance(outcome, Retry) and current.attempts < MAX_ATTEMPTS:
                self._retry_later(current, now, outcome)
                self.stats.retried += 1
                await self._after(session, current, now)
                return False
            await self._finish_undelivered(session, current, row, outcome, now)
            return current.hook is not None

    def _mark_sent(self, current: OutboxMessage, outcome: Sent | Done, now: datetime) -> None:
        current.state = SENT
        current.finished_at = now
        if isinstance(outcome, Done):
            current.external_id = outcome.external_id
            self.stats.operations += 1
            return
        current.delivered_to = outcome.delivered_to
        current.sent_channel_id = outcome.channel_id
        current.sent_message_id = outcome.message_id
        self.stats.sent += 1
        if outcome.delivered_to == "fallback":
            self.stats.to_fallback += 1

    def _note_hook(self, current: OutboxMessage, hook: str, now: datetime) -> None:
        current.hook = hook
        current.hook_attempts = 0
        current.next_attempt_at = now + HOOK_GRACE

    async def run_due_hooks(self) -> None:
        """Run the hooks a crash or a failing handler left behind."""
        now = self._clock.now()
        async with self._db.read() as session:
            due = (
                await session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.hook.is_not(None), OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(HOOK_BATCH)
                )
            ).all()
        for row_id in due:
            await self.run_hook(row_id)

    async def run_hook(self, row_id: int, urgency: Urgency = Urgency.NORMAL) -> None:
        """Tell the feature about finished row `row_id`: its handler first (the feature's locks),
        then the row marked told (the outbox row's lock), in one transaction."""
        now = self._clock.now()
        try:
            async with self._db.transaction(urgency) as session:
                found = (
                    await session.execute(select(OutboxMessage).where(OutboxMessage.id == row_id))
                ).scalar_one_or_none()
                if found is None or found.hook is None:
                    return
                hook, purpose = found.hook, found.purpose
                call = self._hook_call(found)
                failure: Exception | None = None
                if call is not None:
                    try:
                        async with session.begin_nested():
                            await call(session)
                    except Exception as exc:
                        failure = exc
                        log.exception(
                            "the %s handler for outbox row %d (%s) failed", hook, row_id, purpose
                        )
                values: dict[str, object] = {"hook": None}
                if failure is not None:
                    attempts = found.hook_attempts + 1
                    reason = f"{_undelivered_reason(found)}; {HANDLER_FAILED}"
                    values = {
                        "hook_attempts": attempts,
                        "last_error": (reason + type(failure).__name__)[:200],
                        "next_attempt_at": now
                        + backoff(attempts, self._rng, RETRY_BASE, RETRY_CAP),
                        # Given up after MAX_ATTEMPTS: a broken handler must not run for ever.
                        "hook": hook if attempts < MAX_ATTEMPTS else None,
                    }
                session.expunge(found)
                marked = await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id, OutboxMessage.hook == hook)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if not getattr(marked, "rowcount", 1):
                    raise _RunBefore
        except _RunBefore:
            log.info("outbox row %d: its %s hook had already run", row_id, hook)

    def _hook_call(self, row: OutboxMessage) -> Callable[[AsyncSession], Awaitable[None]] | None:
        if row.hook in (HOOK_COMPLETED, HOOK_SENT_DESPITE_CANCEL):
            completed = ops.completion_handler(row.purpose)
            made = row.sent_message_id if row.operation in ("send", "edit") else None
            made = made if made is not None else row.external_id
            if completed is None or made is None:
                return None
            done = ops.Completed(
                row.id,
                row.operation,
                row.subject_id,
                made,
                despite_cancel=row.hook == HOOK_SENT_DESPITE_CANCEL,
            )
            return lambda session: completed(session, done)
        undeliverable = self._handlers.get(row.purpose)
        if undeliverable is None:
            return None
        subject, reason = row.subject_id, _undelivered_reason(row)
        return lambda session: undeliverable(session, subject, reason)

    async def _drop_cancelled(
        self, session: AsyncSession, current: OutboxMessage, outcome: Outcome | None, now: datetime
    ) -> None:
        """A row cancelled while we held it. Not sent: gone now. Sent all the same (its send was
        under way): that cannot be undone, so the row is kept as sent, with the message's (or
        the thread's or event's) id, and the feature is told, so it can edit or remove it."""
        self.stats.cancelled += 1
        await chains.release_next(session, current, now)
        if not isinstance(outcome, Sent | Done):
            await session.delete(current)
            return
        log.info("outbox row %d (%s) was cancelled after it was sent", current.id, current.purpose)
        current.claimed_by = None
        self._mark_sent(current, outcome, now)
        if ops.completion_handler(current.purpose) is not None:
            self._note_hook(current, HOOK_SENT_DESPITE_CANCEL, now)

    async def _finish_undelivered(
        self,
        session: AsyncSession,
        current: OutboxMessage,
        row: Claimed,
        outcome: Retry | Refused | Dead,
        now: datetime,
    ) -> None:
        if isinstance(outcome, Refused):
            current.state = FAILED
        else:
            current.state = DEAD
            if isinstance(outcome, Retry):
                gave_up = f"gave up after {current.attempts} attempts: {outcome.reason}"
                current.last_error = gave_up[:200]
        current.finished_at = now
        # An edit that cannot be applied says nothing about the original's member.
        if row.operation != "edit" and self._handlers.get(row.purpose) is not None:
            self._note_hook(current, HOOK_UNDELIVERABLE, now)
        await self._after(session, current, now)
        if current.state == FAILED:
            self.stats.failed += 1
        else:
            self.stats.dead += 1
            log.warning("outbox row %d (%s) is dead: %s", row.id, row.purpose, current.last_error)

    async def _after(self, session: AsyncSession, current: OutboxMessage, now: datetime) -> None:
        """What a recorded outcome releases: edits waiting for a sent original (or for the
        edit before them) become ready; those of an original never delivered are dropped."""
        if current.operation == "edit" and current.ref_id is not None:
            newer = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.ref_id == current.ref_id,
                        OutboxMessage.operation == "edit",
                        OutboxMessage.state == WAITING,
                    )
                    .order_by(OutboxMessage.id.desc())
                    .with_for_update()
                )
            ).all()
            if newer:
                if current.state == PENDING:
                    # Not applied yet, and a later edit says more: only the latest is applied.
                    await session.delete(current)
                newer[0].state, newer[0].next_attempt_at = PENDING, now
            return
        if current.state in (SENT, FAILED, DEAD):
            await chains.release_next(session, current, now)  # the thing's next operation
        if current.state == SENT and current.operation in chains.CREATES:
            # The operations on what it made, one after another (bot.delivery.chains).
            await chains.release_next_made_by(session, current, now)
        elif current.state == SENT:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.ref_id == current.id, OutboxMessage.state == WAITING)
                .values(state=PENDING, next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
        elif current.state in (FAILED, DEAD):
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.ref_id == current.id,
                    OutboxMessage.state.in_([WAITING, PENDING]),
                    OutboxMessage.claimed_by.is_(None),
                )
            )

    def _retry_later(self, current: OutboxMessage, now: datetime, outcome: Retry | None) -> None:
        delay = backoff(current.attempts, self._rng, RETRY_BASE, RETRY_CAP)
        if outcome is not None and outcome.uncertain and current.attempts <= UNCERTAIN_ATTEMPTS:
            # Discord may hold this message already: come back while its nonce still counts.
            delay = min(delay, UNCERTAIN_CAP)
        at_least = timedelta(seconds=outcome.at_least) if outcome is not None else timedelta(0)
        current.next_attempt_at = now + max(delay, at_least)


def _undelivered_reason(row: OutboxMessage) -> str:
    """Why the row was not delivered, without what its handler's failures added."""
    return (row.last_error or row.state).split(f"; {HANDLER_FAILED}")[0]
