"""Recording what an attempt came to, in one short transaction per row: sent or done (and the
feature told), retried with back-off, given back after a rate limit, failed or dead (and the
feature told), and what that releases (edits waiting for the message, operations waiting for
their thread or event)."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.outbox import CANCELLED, DEAD, FAILED, PENDING, SENT, WAITING, OutboxMessage
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
        now = self._clock.now()
        async with self._db.transaction() as session:
            current = await session.get(OutboxMessage, row.id, with_for_update=True)
            if current is not None and current.state == CANCELLED:
                if current.claimed_by == self.worker:
                    await self._drop_cancelled(session, current, outcome)
                return
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
                return
            assert outcome is not None  # only a cancelled row has no attempt
            current.claimed_by = None
            if isinstance(outcome, Retry) and outcome.uncertain:
                current.uncertain_since = current.uncertain_since or current.attempt_started_at
            if isinstance(outcome, Sent | Done):
                self._mark_sent(current, outcome, now)
                await self._completed(session, current)
                await self._after(session, current, now)
                return
            current.last_error = outcome.reason[:200]
            if isinstance(outcome, Retry) and not outcome.counted:
                current.attempts = max(0, current.attempts - 1)  # the claim counted it
                # No jitter: rows held together come back together, in their order (the pacer
                # spaces their requests).
                current.next_attempt_at = now + timedelta(seconds=max(1.0, outcome.at_least))
                self.stats.rate_limited += 1
                await self._after(session, current, now)
                return
            if isinstance(outcome, Retry) and current.attempts < MAX_ATTEMPTS:
                self._retry_later(current, now, outcome)
                self.stats.retried += 1
                await self._after(session, current, now)
                return
            await self._finish_undelivered(session, current, row, outcome, now)

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

    async def _completed(self, session: AsyncSession, current: OutboxMessage) -> None:
        handler = ops.completion_handler(current.purpose)
        made = current.sent_message_id if current.operation in ("send", "edit") else None
        made = made if made is not None else current.external_id
        if handler is None or made is None:
            return
        done = ops.Completed(current.id, current.operation, current.subject_id, made)
        try:
            async with session.begin_nested():
                await handler(session, done)
        except Exception:
            # Done on Discord's side whatever the feature's bookkeeping does: the id stays on
            # the row (external_id / sent_message_id) for the feature to find again.
            log.exception(
                "the completion handler for outbox row %d (%s) failed", current.id, current.purpose
            )

    async def _drop_cancelled(
        self, session: AsyncSession, current: OutboxMessage, outcome: Outcome | None
    ) -> None:
        """A row cancelled while we held it: gone now. If its send was under way it may have
        arrived; that cannot be undone, only told."""
        self.stats.cancelled += 1
        if isinstance(outcome, Sent):
            log.info(
                "outbox row %d (%s) was cancelled after it was sent", current.id, current.purpose
            )
        await session.delete(current)

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
        handler = self._handlers.get(row.purpose) if row.operation != "edit" else None
        if handler is not None:
            try:
                async with session.begin_nested():
                    await handler(session, row.subject_id, current.last_error or current.state)
            except Exception as exc:
                # A broken handler must not stall the queue: retry the row later (its
                # attempts count), and after MAX_ATTEMPTS end it without the handler.
                log.exception(
                    "the undeliverable handler for outbox row %d (%s) failed", row.id, row.purpose
                )
                reason = f"{current.last_error}; handler failed: {type(exc).__name__}"
                current.last_error = reason[:200]
                if current.attempts < MAX_ATTEMPTS:
                    current.state, current.finished_at = PENDING, None
                    self._retry_later(current, now, None)
                    self.stats.retried += 1
                    return
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
        if current.state == SENT:
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
