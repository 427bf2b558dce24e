"""Sending committed outbox rows to Discord: the REST edge of delivery.

Each pass claims a batch of ready rows (a lease, as the ledger does), sends them, and records
each outcome in a short transaction:

- sent: Discord accepted it. Every send carries a nonce derived from the row, and discord.py
  then sets `enforce_nonce`: if we die after Discord accepted a message but before the row was
  marked, the retry after the lease returns the first message instead of posting a second.
  Discord only de-duplicates a nonce for a few minutes (about five): a retry of a row whose
  earlier attempt may have succeeded and that comes later than `NONCE_TRUSTED` first looks for
  the message in the channel's recent history (bot/delivery/history.py) and, if it is there,
  marks the row sent without posting again.
- retry: 5xx and network errors (timeouts included); exponential back-off with jitter. After
  `MAX_ATTEMPTS` the row goes dead. These outcomes are *uncertain*; the first
  `UNCERTAIN_ATTEMPTS` retries come back within `UNCERTAIN_CAP` each, inside the nonce window.
- rate limited (429): nothing was done, so no attempt is spent. discord.py waits out short
  limits itself (the request trace tells such a wait from an unanswered request when the row's
  time runs out, bot/delivery/tracing.py); a longer Retry-After surfaces as
  `discord.RateLimited`; a Cloudflare ban (no `Via` header) holds all sending for its
  Retry-After. A 401 (the token was revoked or reset) holds all sending for a while, says so
  once in the log, and keeps every row.
- refused: a DM the member does not accept (403/50007), or a target that is gone: sent to the
  fallback target if there is one that may receive it, else the row is `failed` and the
  purpose's undeliverable handler hears about it.
- dead: any other 4xx (the message itself is wrong), with the status and code as the reason.

Two lanes: urgent rows (support alerts) are claimed by their own loop with their own senders
and go first at the pacer; while a normal batch drains, and while urgent batches are being sent
(one may be waiting out a retry), the urgent lane is looked at every `URGENT_POLL` seconds, so
neither a wave of thousands of DMs nor another alert's retry delays an alert by more than that.

Edits wait (state `waiting`) until their original is sent, then go out in order; cancelled
rows are skipped if their send has not begun (bot/delivery/outbox.py).

A claim is a lease (`LEASE`), kept alive while the batch is being sent: before each row the
dispatcher extends it if less than one row's worst case (`ROW_TIMEOUT`) plus a margin is left,
so a long batch is never taken over mid-way by another process. The lease stays short so that,
after a crash, the retry comes within Discord's nonce window. An outcome is only recorded while
the row is still ours.

Here: lanes, claims, batches and leases. The REST calls are in `sending.py` (messages) and
`operation_calls.py` (threads, events); recording outcomes in `recording.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from discord.http import HTTPClient
from sqlalchemy import delete, func, select, update

from bot.clock import Clock
from bot.db import Database, Urgency
from bot.db.models.outbox import (
    CANCELLED,
    NORMAL,
    PENDING,
    URGENT,
    DmChannel,
    OutboxMessage,
)
from bot.db.upsert import upsert
from bot.delivery import sealing, tracing
from bot.delivery.claims import Claimed, DispatchStats, Hold
from bot.delivery.outbox import Target, UndeliverableHandlers, undeliverable_handlers
from bot.delivery.outcomes import Dead, Outcome, Refused, Retry, Sent
from bot.delivery.pacing import Pacer
from bot.delivery.recording import MAX_ATTEMPTS, UNCERTAIN_ATTEMPTS, UNCERTAIN_CAP, Recorder
from bot.delivery.sending import Sender
from bot.scheduling.runner import worker_name

log = logging.getLogger(__name__)

__all__ = [
    "MAX_ATTEMPTS",
    "UNCERTAIN_ATTEMPTS",
    "UNCERTAIN_CAP",
    "Claimed",
    "Dead",
    "DispatchStats",
    "Dispatcher",
    "Refused",
    "Retry",
    "Sent",
    "Target",
]

LEASE = timedelta(minutes=2)
# Seconds of real time for one row's whole delivery (opening the DM, the send, a fallback's
# checks and send, discord.py's own retries included); then it is an uncertain retry.
ROW_TIMEOUT = 60.0
# The claim is extended before a row when less than ROW_TIMEOUT plus this is left.
RENEW_MARGIN = timedelta(seconds=15)
BATCH_SIZE = 100
CONCURRENCY = 16
# Enough alerts in hand and on their way at once that each one's own round trips (its claim
# renewal, the send, the record) hide behind the pacer's spacing, as the crowd of a busy
# evening slows every round trip down: with 4 at a time a crowd's alerts left at 8-25 a second.
URGENT_BATCH_SIZE = 20
URGENT_CONCURRENCY = 10
URGENT_POLL = 0.25  # seconds between looks for urgent rows while a normal batch drains


def lane_urgency(lane: int | None) -> Urgency:
    """The urgent lane's transactions and reads go ahead of ordinary ones (bot/db/write_turns.py):
    an alert committed during a crowd of check-ins is claimed, sent and recorded without
    waiting for the crowd to be stored."""
    return Urgency.DELIVERY if lane == URGENT else Urgency.NORMAL


class Dispatcher:
    """The outbox as `TimedWork`."""

    def __init__(
        self,
        http: HTTPClient,
        database: Database,
        clock: Clock,
        *,
        handlers: UndeliverableHandlers = undeliverable_handlers,
        pacer: Pacer | None = None,
        worker: str | None = None,
        lease: timedelta = LEASE,
        batch_size: int = BATCH_SIZE,
        concurrency: int = CONCURRENCY,
        rng: random.Random | None = None,
        bot_user_id: Callable[[], int | None] = lambda: None,
    ) -> None:
        self._db = database
        self._clock = clock
        self.worker = worker or worker_name()
        self._lease = lease
        self.batch_size = batch_size
        self.urgent_batch_size = URGENT_BATCH_SIZE
        self._senders = {
            NORMAL: asyncio.Semaphore(concurrency),
            URGENT: asyncio.Semaphore(URGENT_CONCURRENCY),
        }
        self._lanes = {NORMAL: asyncio.Lock(), URGENT: asyncio.Lock()}
        self.stats = DispatchStats()
        self._sender = Sender(
            http, database, clock, pacer=pacer or Pacer(), stats=self.stats, bot_user_id=bot_user_id
        )
        self._recorder = Recorder(
            database,
            clock,
            handlers=handlers,
            worker=self.worker,
            rng=rng or random.Random(),  # noqa: S311 (jitter, not security)
            stats=self.stats,
        )
        self._stopping = False

    @property
    def pacer(self) -> Pacer:
        return self._sender.pacer

    @pacer.setter
    def pacer(self, pacer: Pacer) -> None:
        self._sender.pacer = pacer

    def stop(self) -> None:
        """Finish the rows being sent, start no others: for shutdown. Rows of the batch not
        begun yet are released at once for the next process."""
        self._stopping = True

    async def next_due(self) -> datetime | None:
        async with self._db.read() as session:
            sends: datetime | None = await session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.state == PENDING
                )
            )
            hooks: datetime | None = await session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.hook.is_not(None)
                )
            )
        return min((t for t in (sends, hooks) if t is not None), default=None)

    async def run_due(self) -> None:
        """Send everything ready now; return when each row is sent, failed, dead or waiting for a
        later attempt."""
        await self._run_lane(URGENT)
        await self._run_lane(NORMAL)
        await self._run_lane(URGENT)  # what came in while the normal lane was busy
        await self._recorder.run_due_hooks()  # left by a crash, or by a failing handler

    async def _run_lane(self, lane: int) -> None:
        async with self._lanes[lane]:
            if lane == URGENT:
                # Its transactions are urgent (their own pool, ahead in SQLite's turns, and on
                # PostgreSQL fewer ordinary ones in flight meanwhile); its waits on Discord hold
                # nobody else back.
                await self._drain(URGENT)
                return
            # The whole normal lane is watched, its claims too: a claim may wait behind a crowd
            # of ordinary writers (for SQLite's turn, or a PostgreSQL connection), and an alert
            # committed meanwhile must not wait with it.
            drained = asyncio.Event()
            watcher = asyncio.create_task(self._watch_urgent(drained))
            try:
                await self._drain(NORMAL)
            finally:
                drained.set()
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    watcher.cancel()  # shutting down past the grace period: no waiting
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    async def _drain(self, lane: int) -> None:
        if lane == URGENT:
            await self._drain_urgent()
            return
        while not self._stopping:
            batch = await self.claim(self._clock.now(), lane)
            if not batch:
                return
            await self._send_batch(batch, lane)

    async def _drain_urgent(self) -> None:
        """Claim and send urgent rows; while batches are being sent, look again every
        `URGENT_POLL` seconds and send what came in beside them. An alert's send being retried
        (discord.py waits seconds after a 5xx, up to `ROW_TIMEOUT` for one that hangs) must not
        hold back an alert committed meanwhile: the lane's senders (`URGENT_CONCURRENCY`) are
        shared, so a new batch's rows go out as soon as one of them is free."""
        sending: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                # A look before the claim: an urgent claim goes ahead of other writers, so one
                # that would find nothing must not take their turn on every pass.
                if await self._urgent_ready():
                    batch = await self.claim(self._clock.now(), URGENT)
                    if batch:
                        sending.add(asyncio.create_task(self._send_batch(batch, URGENT)))
                        continue
                if not sending:
                    return
                done, sending = await asyncio.wait(sending, timeout=URGENT_POLL)
                for task in done:
                    task.result()  # a batch's own failures are logged; anything else is raised
        finally:
            # Never cancelled mid-way: an urgent send begun is finished (its rows go back if
            # shutdown ran out of grace, in `_send_batch`).
            if sending:
                await asyncio.wait(sending)

    async def _urgent_ready(self) -> bool:
        async with self._db.read(Urgency.DELIVERY) as session:
            ready = await session.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.state == PENDING,
                    OutboxMessage.priority == URGENT,
                    OutboxMessage.next_attempt_at <= self._clock.now(),
                )
                .limit(1)
            )
        return ready is not None

    async def _watch_urgent(self, done: asyncio.Event) -> None:
        """While the normal lane runs (until `done`): serve urgent rows as soon as they are
        committed. Never cancelled mid-way: an urgent send it began is finished."""
        while not self._stopping and not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), URGENT_POLL)
                return
            if self._lanes[URGENT].locked():
                continue
            if await self._urgent_ready():
                await self._run_lane(URGENT)

    async def claim(self, now: datetime, lane: int | None = None) -> list[Claimed]:
        """Claim ready rows of `lane` (both lanes, urgent first, when None)."""
        size = self.urgent_batch_size if lane == URGENT else self.batch_size
        async with self._db.transaction(lane_urgency(lane)) as session:
            # Rows cancelled while claimed by a process that then died: their lease is over.
            # SKIP LOCKED: a row another transaction holds (a claimer's, a feature's) is left for
            # a later claim rather than waited for, and locks are never taken in a circle.
            lapsed = (
                select(OutboxMessage.id)
                .where(OutboxMessage.state == CANCELLED, OutboxMessage.next_attempt_at <= now)
                .with_for_update(skip_locked=True)
            )
            await session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.id.in_(lapsed.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now)
                .order_by(
                    OutboxMessage.priority.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id
                )
                .limit(size)
                .with_for_update(skip_locked=True)
            )
            if lane is not None:
                query = query.where(OutboxMessage.priority == lane)
            rows = (await session.scalars(query)).all()
            if not rows:
                return []
            ids = [row.id for row in rows]
            # A row still claimed is one whose lease ran out: that attempt's outcome is unknown.
            expired = [row.id for row in rows if row.claimed_by is not None]
            if expired:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(expired))
                    .values(
                        uncertain_since=func.coalesce(
                            OutboxMessage.uncertain_since, OutboxMessage.attempt_started_at
                        )
                    )
                    .execution_options(synchronize_session=False)
                )
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    claimed_by=self.worker,
                    next_attempt_at=now + self._lease,
                    attempts=OutboxMessage.attempts + 1,
                    attempt_started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            uncertain = dict(
                (
                    await session.execute(
                        select(OutboxMessage.id, OutboxMessage.uncertain_since).where(
                            OutboxMessage.id.in_(ids), OutboxMessage.uncertain_since.is_not(None)
                        )
                    )
                ).all()
            )
            refs = {row.ref_id for row in rows if row.ref_id is not None}
            originals: dict[int, tuple[int | None, int | None, int | None]] = {}
            if refs:
                found = await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.sent_channel_id,
                        OutboxMessage.sent_message_id,
                        OutboxMessage.external_id,
                    ).where(OutboxMessage.id.in_(refs))
                )
                originals = {i: (c, m, e) for i, c, m, e in found.all()}
            unknown = (None, None, None)
            return [
                Claimed(
                    id=row.id,
                    purpose=row.purpose,
                    subject_id=row.subject_id,
                    target=Target(row.target_kind, row.target_id),  # type: ignore[arg-type]
                    fallback=(
                        Target(row.fallback_kind, row.fallback_id)  # type: ignore[arg-type]
                        if row.fallback_kind and row.fallback_id is not None
                        else None
                    ),
                    public=row.public,
                    payload=sealing.opened(row.payload),
                    attempts=row.attempts + 1,
                    operation=row.operation,
                    priority=row.priority,
                    guild_id=row.guild_id,
                    ref_id=row.ref_id,
                    ref_channel_id=originals.get(row.ref_id or 0, unknown)[0],
                    ref_message_id=originals.get(row.ref_id or 0, unknown)[1],
                    ref_external_id=originals.get(row.ref_id or 0, unknown)[2],
                    external_id=row.external_id,
                    uncertain_since=uncertain.get(row.id),
                )
                for row in rows
            ]

    async def _send_batch(self, batch: Sequence[Claimed], lane: int = NORMAL) -> None:
        ids = {row.id for row in batch}
        members = [row.target.id for row in batch if row.target.kind == "dm"]
        urgency = lane_urgency(lane)
        hold = Hold(
            until=self._clock.now() + self._lease,
            ours=set(ids),
            unstarted=set(ids),
            dm_channels=await self._stored_dm_channels(members, urgency),
            urgency=urgency,
        )
        # Messages to one destination go out in order; different destinations in parallel.
        groups: dict[tuple[str, int], list[Claimed]] = {}
        for row in batch:
            groups.setdefault(row.group, []).append(row)
        try:
            results = await asyncio.gather(
                *(self._send_group(rows, hold, lane) for rows in groups.values()),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, Exception):
                    # Its rows stay claimed until the lease ends, then they are tried again.
                    log.error("a delivery group failed", exc_info=result)
        finally:
            # Also when shutdown ran out of grace and cancelled us: rows not begun go back
            # at once instead of staying locked for the rest of the lease.
            await asyncio.shield(self._after_batch(hold))

    async def _after_batch(self, hold: Hold) -> None:
        await self._store_dm_channels(hold.new_dm_channels, hold.urgency)
        if hold.unstarted:
            await self._release(hold.unstarted, hold.urgency)

    async def _stored_dm_channels(self, members: list[int], urgency: Urgency) -> dict[int, int]:
        wanted = sorted({m for m in members if not self._sender.known_dm_channel(m)})
        if not wanted:
            return {}
        async with self._db.read(urgency) as session:
            found = await session.execute(
                select(DmChannel.user_id, DmChannel.channel_id).where(DmChannel.user_id.in_(wanted))
            )
            return {int(u): int(c) for u, c in found.all()}

    async def _store_dm_channels(self, opened: dict[int, int], urgency: Urgency) -> None:
        if not opened:
            return
        try:
            async with self._db.transaction(urgency) as session:
                for user_id, channel_id in sorted(opened.items()):
                    await upsert(
                        session, DmChannel, {"user_id": user_id}, {"channel_id": channel_id}
                    )
        except Exception:
            # Only a cache: the next wave opens these DMs again.
            log.exception("storing %d DM channel ids failed", len(opened))

    async def _keep_claim(self, hold: Hold, row: Claimed) -> bool:
        """Extend the batch's lease if this row might outlast it; whether the row is still
        ours and not cancelled."""
        async with hold.lock:
            now = self._clock.now()
            if hold.ours and hold.until - now < timedelta(seconds=ROW_TIMEOUT) + RENEW_MARGIN:
                until = now + self._lease
                async with self._db.transaction(hold.urgency) as session:
                    kept = await session.scalars(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(sorted(hold.ours)),
                            OutboxMessage.state.in_([PENDING, CANCELLED]),
                            OutboxMessage.claimed_by == self.worker,
                        )
                        .values(next_attempt_at=until)
                        .returning(OutboxMessage.id)
                        .execution_options(synchronize_session=False)
                    )
                    hold.ours = set(kept.all())
                hold.until = until
        if row.id not in hold.ours:
            return False
        async with self._db.read(hold.urgency) as session:
            state = await session.scalar(
                select(OutboxMessage.state).where(
                    OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker
                )
            )
        if state == CANCELLED:
            hold.cancelled.add(row.id)
        return state in (PENDING, CANCELLED)

    async def _release(self, ids: set[int], urgency: Urgency) -> None:
        """Give back rows we claimed but did not begin (stopping): ready at once, the claim's
        attempt returned; cancelled ones are deleted."""
        async with self._db.transaction(urgency) as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(sorted(ids)),
                    OutboxMessage.state == PENDING,
                    OutboxMessage.claimed_by == self.worker,
                )
                .values(
                    claimed_by=None,
                    next_attempt_at=self._clock.now(),
                    attempts=OutboxMessage.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.id.in_(sorted(ids)),
                    OutboxMessage.state == CANCELLED,
                    OutboxMessage.claimed_by == self.worker,
                )
            )
        log.info("released %d outbox rows not begun before stopping", len(ids))

    async def _send_group(self, rows: list[Claimed], hold: Hold, lane: int) -> None:
        async with self._senders[lane]:
            for row in rows:
                if self._stopping:
                    return
                hold.unstarted.discard(row.id)
                if not await self._keep_claim(hold, row):
                    self.stats.claims_lost += 1
                    log.warning(
                        "outbox row %d (%s): claim lost before sending; left to its new holder",
                        row.id,
                        row.purpose,
                    )
                    continue
                outcome = await self._attempt(row, hold)
                # Ids, purposes and machine reasons only: never what the message said.
                log.debug(
                    "outbox row %d (%s), attempt %d: %s",
                    row.id,
                    row.purpose,
                    row.attempts,
                    type(outcome).__name__,
                )
                try:
                    await self._record(row, outcome)
                except Exception:
                    # The row stays claimed until its lease ends, then it is tried again.
                    log.exception("recording the outcome of outbox row %d failed", row.id)
                hold.ours.discard(row.id)

    async def _attempt(self, row: Claimed, hold: Hold) -> Outcome | None:
        """One delivery attempt; None when the row was cancelled before it began."""
        if row.id in hold.cancelled:
            return None
        attempt = tracing.Attempt()
        token = tracing.current.set(attempt)
        try:
            async with asyncio.timeout(ROW_TIMEOUT):
                if row.operation == "edit":
                    return await self._sender.edit(row)
                if row.operation != "send":
                    return await self._sender.operations.run(row)
                return await self._sender.deliver(row, hold)
        except TimeoutError:
            if attempt.certainly_not_done:
                # discord.py was sleeping through 429s: nothing reached Discord.
                return Retry("429 (waited out)", counted=False)
            return Retry("network: TimeoutError", uncertain=True)
        except Exception as exc:
            # A bug, not Discord: keep the row and try again later rather than lose it.
            log.exception("delivering outbox row %d failed unexpectedly", row.id)
            return Retry(f"error: {type(exc).__name__}")
        finally:
            tracing.current.reset(token)

    async def _record(self, row: Claimed, outcome: Outcome | None) -> None:
        await self._recorder.record(row, outcome)
