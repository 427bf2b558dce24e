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
and go first at the pacer; while a normal batch drains, the urgent lane is polled every
`URGENT_POLL` seconds, so a wave of thousands of DMs never delays an alert by more than that.

Edits wait (state `waiting`) until their original is sent, then go out in order; cancelled
rows are skipped if their send has not begun (bot/delivery/outbox.py).

A claim is a lease (`LEASE`), kept alive while the batch is being sent: before each row the
dispatcher extends it if less than one row's worst case (`ROW_TIMEOUT`) plus a margin is left,
so a long batch is never taken over mid-way by another process. The lease stays short so that,
after a crash, the retry comes within Discord's nonce window. An outcome is only recorded while
the row is still ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route, handle_message_parameters
from discord.utils import MISSING
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.outbox import (
    CANCELLED,
    DEAD,
    FAILED,
    NORMAL,
    PENDING,
    SENT,
    URGENT,
    WAITING,
    DmChannel,
    OutboxMessage,
)
from bot.db.upsert import upsert
from bot.delivery import history, privacy, tracing
from bot.delivery import operations as ops
from bot.delivery.operation_calls import OperationCalls
from bot.delivery.outbox import Target, UndeliverableHandlers, undeliverable_handlers
from bot.delivery.outcomes import (
    UNAUTHORIZED_HOLD_SECONDS,
    Dead,
    Done,
    Failure,
    Outcome,
    Refused,
    Retry,
    Sent,
    classify,
    is_ban,
)
from bot.delivery.pacing import Pacer
from bot.scheduling.runner import backoff, worker_name

log = logging.getLogger(__name__)

__all__ = ["Claimed", "Dead", "DispatchStats", "Dispatcher", "Refused", "Retry", "Sent"]

LEASE = timedelta(minutes=2)
# Seconds of real time for one row's whole delivery (opening the DM, the send, a fallback's
# checks and send, discord.py's own retries included); then it is an uncertain retry.
ROW_TIMEOUT = 60.0
# The claim is extended before a row when less than ROW_TIMEOUT plus this is left.
RENEW_MARGIN = timedelta(seconds=15)
BATCH_SIZE = 100
CONCURRENCY = 16
URGENT_BATCH_SIZE = 10
URGENT_CONCURRENCY = 4
URGENT_POLL = 0.25  # seconds between looks for urgent rows while a normal batch drains
MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=10)
RETRY_CAP = timedelta(minutes=30)
# Retries after an uncertain outcome stay inside Discord's nonce window (about 5 minutes).
UNCERTAIN_ATTEMPTS = 4
UNCERTAIN_CAP = timedelta(seconds=60)
# How long after an uncertain attempt began its nonce is trusted to de-duplicate a retry;
# later, the channel's history is searched first.
NONCE_TRUSTED = timedelta(minutes=4)
HISTORY_LIMIT = 100
UNAUTHORIZED_HOLD = timedelta(seconds=UNAUTHORIZED_HOLD_SECONDS)
DM_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class Claimed:
    id: int
    purpose: str
    subject_id: int | None
    target: Target
    fallback: Target | None
    public: bool
    payload: dict[str, Any]
    attempts: int
    operation: str = "send"
    priority: int = NORMAL
    guild_id: int | None = None
    ref_id: int | None = None
    # An edit's message: the original's channel and message ids.
    ref_channel_id: int | None = None
    ref_message_id: int | None = None
    uncertain_since: datetime | None = None
    # An operation's thread or event: known at enqueue, or made by the row it refers to.
    external_id: int | None = None
    ref_external_id: int | None = None

    @property
    def thing_id(self) -> int | None:
        if self.operation in ops.ON_THREAD:
            return self.target.id or self.ref_external_id
        return self.external_id or self.ref_external_id

    @property
    def group(self) -> tuple[str, int]:
        """Rows of one group go out in order: a destination's messages, one message's edits,
        the operations on one thread or event."""
        if self.operation == "send":
            return self.target.key
        if self.operation == "edit":
            return ("edit", self.ref_id or 0)
        if self.operation in ops.CREATES:
            return ("create", self.id)
        return ("thing", self.ref_id or self.thing_id or 0)


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    to_fallback: int = 0
    rate_limited: int = 0
    claims_lost: int = 0
    cancelled: int = 0
    found_in_history: int = 0
    dm_opens: int = 0
    operations: int = 0


@dataclass
class _Hold:
    """This process's claim on one batch, kept alive while the batch is sent."""

    until: datetime
    ours: set[int]  # rows still claimed by us and not recorded yet
    unstarted: set[int]  # rows whose delivery has not begun (released if we stop)
    dm_channels: dict[int, int]  # stored DM channel ids of the batch's members
    new_dm_channels: dict[int, int] = field(default_factory=dict)
    cancelled: set[int] = field(default_factory=set)  # cancelled before their send began
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


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
        self._http = http
        self._db = database
        self._clock = clock
        self._handlers = handlers
        self.pacer = pacer or Pacer()
        self.worker = worker or worker_name()
        self._lease = lease
        self.batch_size = batch_size
        self.urgent_batch_size = URGENT_BATCH_SIZE
        self._senders = {
            NORMAL: asyncio.Semaphore(concurrency),
            URGENT: asyncio.Semaphore(URGENT_CONCURRENCY),
        }
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)
        self._lanes = {NORMAL: asyncio.Lock(), URGENT: asyncio.Lock()}
        self._bot_user_id = bot_user_id
        # user id → DM channel id, in front of the dm_channels table.
        self._dm_channels: OrderedDict[int, int] = OrderedDict()
        self.stats = DispatchStats()
        self._operations = OperationCalls(self._operation_request, bot_user_id, self._taken_ids)
        self._stopping = False
        # Until then (the bot's clock) no request is made: Discord refused our token, or
        # Cloudflare banned the address for a while.
        self._held_until: datetime | None = None
        self._hold_reason = ""

    def stop(self) -> None:
        """Finish the rows being sent, start no others: for shutdown. Rows of the batch not
        begun yet are released at once for the next process."""
        self._stopping = True

    async def next_due(self) -> datetime | None:
        async with self._db.read() as session:
            earliest: datetime | None = await session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.state == PENDING
                )
            )
        return earliest

    async def run_due(self) -> None:
        """Send everything ready now; return when each row is sent, failed, dead or waiting for a
        later attempt."""
        await self._run_lane(URGENT)
        await self._run_lane(NORMAL)
        await self._run_lane(URGENT)  # what came in while the normal lane was busy

    async def _run_lane(self, lane: int) -> None:
        async with self._lanes[lane]:
            while not self._stopping and (batch := await self.claim(self._clock.now(), lane)):
                await self._send_batch(batch, lane)

    async def _watch_urgent(self) -> None:
        """While a normal batch drains: serve urgent rows as soon as they are committed."""
        while not self._stopping:
            await asyncio.sleep(URGENT_POLL)
            if self._lanes[URGENT].locked():
                continue
            async with self._db.read() as session:
                ready = await session.scalar(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.state == PENDING,
                        OutboxMessage.priority == URGENT,
                        OutboxMessage.next_attempt_at <= self._clock.now(),
                    )
                    .limit(1)
                )
            if ready is not None:
                await self._run_lane(URGENT)

    async def claim(self, now: datetime, lane: int | None = None) -> list[Claimed]:
        """Claim ready rows of `lane` (both lanes, urgent first, when None)."""
        size = self.urgent_batch_size if lane == URGENT else self.batch_size
        async with self._db.transaction() as session:
            # Rows cancelled while claimed by a process that then died: their lease is over.
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.state == CANCELLED, OutboxMessage.next_attempt_at <= now
                )
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
                    payload=dict(row.payload),
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
        hold = _Hold(
            until=self._clock.now() + self._lease,
            ours=set(ids),
            unstarted=set(ids),
            dm_channels=await self._stored_dm_channels(members),
        )
        # Messages to one destination go out in order; different destinations in parallel.
        groups: dict[tuple[str, int], list[Claimed]] = {}
        for row in batch:
            groups.setdefault(row.group, []).append(row)
        watcher = asyncio.create_task(self._watch_urgent()) if lane == NORMAL else None
        try:
            results = await asyncio.gather(
                *(self._send_group(rows, hold, lane) for rows in groups.values()),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    # Its rows stay claimed until the lease ends, then they are tried again.
                    log.error("a delivery group failed", exc_info=result)
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            # Also when shutdown ran out of grace and cancelled us: rows not begun go back
            # at once instead of staying locked for the rest of the lease.
            await asyncio.shield(self._after_batch(hold))

    async def _after_batch(self, hold: _Hold) -> None:
        await self._store_dm_channels(hold.new_dm_channels)
        if hold.unstarted:
            await self._release(hold.unstarted)

    async def _stored_dm_channels(self, members: list[int]) -> dict[int, int]:
        wanted = sorted({m for m in members if m not in self._dm_channels})
        if not wanted:
            return {}
        async with self._db.read() as session:
            found = await session.execute(
                select(DmChannel.user_id, DmChannel.channel_id).where(DmChannel.user_id.in_(wanted))
            )
            return {int(u): int(c) for u, c in found.all()}

    async def _store_dm_channels(self, opened: dict[int, int]) -> None:
        if not opened:
            return
        try:
            async with self._db.transaction() as session:
                for user_id, channel_id in sorted(opened.items()):
                    await upsert(
                        session, DmChannel, {"user_id": user_id}, {"channel_id": channel_id}
                    )
        except Exception:
            # Only a cache: the next wave opens these DMs again.
            log.exception("storing %d DM channel ids failed", len(opened))

    async def _keep_claim(self, hold: _Hold, row: Claimed) -> bool:
        """Extend the batch's lease if this row might outlast it; whether the row is still
        ours and not cancelled."""
        async with hold.lock:
            now = self._clock.now()
            if hold.ours and hold.until - now < timedelta(seconds=ROW_TIMEOUT) + RENEW_MARGIN:
                until = now + self._lease
                async with self._db.transaction() as session:
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
        async with self._db.read() as session:
            state = await session.scalar(
                select(OutboxMessage.state).where(
                    OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.worker
                )
            )
        if state == CANCELLED:
            hold.cancelled.add(row.id)
        return state in (PENDING, CANCELLED)

    async def _release(self, ids: set[int]) -> None:
        """Give back rows we claimed but did not begin (stopping): ready at once, the claim's
        attempt returned; cancelled ones are deleted."""
        async with self._db.transaction() as session:
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

    async def _send_group(self, rows: list[Claimed], hold: _Hold, lane: int) -> None:
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

    async def _attempt(self, row: Claimed, hold: _Hold) -> Outcome | None:
        """One delivery attempt; None when the row was cancelled before it began."""
        if row.id in hold.cancelled:
            return None
        attempt = tracing.Attempt()
        token = tracing.current.set(attempt)
        try:
            async with asyncio.timeout(ROW_TIMEOUT):
                if row.operation == "edit":
                    return await self._edit(row)
                if row.operation != "send":
                    return await self._operations.run(row)
                return await self._deliver(row, hold)
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

    async def _operation_request(self, route: Route, body: dict[str, Any] | None) -> Any:
        return await self._request(lambda: self._http.request(route, json=body), dm=False)

    async def _taken_ids(self, row_id: int, ids: list[int]) -> set[int]:
        """Which of these threads or events other outbox rows already made."""
        async with self._db.read() as session:
            found = await session.scalars(
                select(OutboxMessage.external_id).where(
                    OutboxMessage.external_id.in_(ids),
                    OutboxMessage.id != row_id,
                    OutboxMessage.operation.in_(sorted(ops.CREATES)),
                )
            )
            return {int(i) for i in found.all() if i is not None}

    async def _edit(self, row: Claimed) -> Outcome:
        if row.ref_channel_id is None or row.ref_message_id is None:
            return Dead("edit: the original has no message")
        channel_id, message_id = row.ref_channel_id, row.ref_message_id
        params = self._params(row.payload, nonce=None, editing=True)
        try:
            await self._request(
                lambda: self._http.edit_message(channel_id, message_id, params=params),
                dm=False,
                urgent=row.priority == URGENT,
            )
        except Failure as failure:
            return failure.outcome
        return Sent("target", channel_id, message_id)

    async def _deliver(self, row: Claimed, hold: _Hold) -> Outcome:
        try:
            return await self._send_to(row.target, row, hold, "target", nonce=f"s{row.id}")
        except Failure as failure:
            first = failure.outcome
        if not isinstance(first, Refused):
            return first
        if row.fallback is None:
            return first
        if not row.public and row.fallback.kind == "channel":
            try:
                private = await self._is_private(row.fallback.id, urgent=row.priority == URGENT)
            except Failure as failure:
                return failure.outcome
            if not private:
                # Nothing private reaches a public channel, whatever the caller asked for.
                return Refused(f"{first.reason}; fallback channel is not private")
        try:
            return await self._send_to(row.fallback, row, hold, "fallback", nonce=f"s{row.id}f")
        except Failure as failure:
            outcome = failure.outcome
            if isinstance(outcome, Retry):
                return outcome
            return type(outcome)(f"{first.reason}; fallback: {outcome.reason}")

    def _params(self, payload: dict[str, Any], *, nonce: str | None, editing: bool = False) -> Any:
        users = payload.get("mention_users") or []
        roles = payload.get("mention_roles") or []
        params = handle_message_parameters(
            content=payload.get("content") or (None if editing else MISSING),
            nonce=nonce if nonce is not None else MISSING,
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                replied_user=False,
                users=[discord.Object(int(u)) for u in users] if users else False,
                roles=[discord.Object(int(r)) for r in roles] if roles else False,
            ),
        )
        body = params.payload
        assert body is not None  # no files: a JSON body
        if payload.get("embeds") or editing:
            body["embeds"] = payload.get("embeds") or []
        if payload.get("components") or editing:
            body["components"] = payload.get("components") or []
        return params

    async def _send_to(
        self, target: Target, row: Claimed, hold: _Hold, where: str, *, nonce: str
    ) -> Sent:
        urgent = row.priority == URGENT
        channel_id = await self._channel_for(target, hold, urgent=urgent)
        if row.uncertain_since is not None and (
            self._clock.now() - row.uncertain_since > NONCE_TRUSTED
        ):
            found = await self._find_posted(channel_id, row, urgent=urgent)
            if found is not None:
                return Sent(where, channel_id, found, found=True)
        params = self._params(row.payload, nonce=nonce)
        message = await self._request(
            lambda: self._http.send_message(channel_id, params=params),
            dm=target.kind == "dm",
            urgent=urgent,
        )
        return Sent(where, channel_id, int(message["id"]))

    async def _find_posted(self, channel_id: int, row: Claimed, *, urgent: bool) -> int | None:
        """Our message of `row` in the channel, posted since its first uncertain attempt."""
        author = self._bot_user_id()
        assert row.uncertain_since is not None
        if author is None:
            return None
        # A minute early, for the difference between our clock and Discord's.
        after = history.snowflake_at(row.uncertain_since - timedelta(minutes=1))
        try:
            recent = await self._request(
                lambda: self._http.logs_from(channel_id, HISTORY_LIMIT, after=after),
                dm=False,
                urgent=urgent,
            )
        except Failure as failure:
            if isinstance(failure.outcome, Retry):
                raise
            # No Read Message History here: send as before (a duplicate is better than a loss).
            log.warning(
                "outbox row %d: cannot read the channel's history (%s) to look for an earlier "
                "copy; sending again",
                row.id,
                failure.outcome.reason,
            )
            return None
        ids = [int(m["id"]) for m in recent]
        async with self._db.read() as session:
            taken = {
                int(i)
                for i in (
                    await session.scalars(
                        select(OutboxMessage.sent_message_id).where(
                            OutboxMessage.sent_message_id.in_(ids), OutboxMessage.id != row.id
                        )
                    )
                ).all()
                if i is not None
            }
        found = history.find_posted(row.payload, recent, author_id=author, taken=taken)
        if found is not None:
            self.stats.found_in_history += 1
        return found

    async def _channel_for(self, target: Target, hold: _Hold, *, urgent: bool) -> int:
        if target.kind == "channel":
            return target.id
        cached = self._dm_channels.get(target.id) or hold.dm_channels.get(target.id)
        if cached is None:
            channel = await self._request(
                lambda: self._http.start_private_message(target.id), dm=True, urgent=urgent
            )
            cached = int(channel["id"])
            hold.new_dm_channels[target.id] = cached
            self.stats.dm_opens += 1
        self._dm_channels[target.id] = cached
        self._dm_channels.move_to_end(target.id)
        if len(self._dm_channels) > DM_CACHE_SIZE:
            self._dm_channels.popitem(last=False)
        return cached

    async def _is_private(self, channel_id: int, *, urgent: bool) -> bool:
        """A private thread, or a channel only a minority can see (bot/delivery/privacy.py)."""
        channel = await self._request(
            lambda: self._http.get_channel(channel_id), dm=False, urgent=urgent
        )
        verdict = privacy.is_thread_or_dm_private(channel)
        if verdict is not None:
            return verdict
        if int(channel.get("type", 0)) in privacy.PUBLIC_THREADS and channel.get("parent_id"):
            return await self._is_private(int(channel["parent_id"]), urgent=urgent)
        guild_id = int(channel.get("guild_id", 0))
        guild = await self._request(
            lambda: self._http.get_guild(guild_id, with_counts=True), dm=False, urgent=urgent
        )
        roles = privacy.viewing_roles(channel, guild.get("roles") or [], guild_id)
        if roles is None:
            return False
        if not roles:
            return True
        counts = await self._request(
            lambda: self._http.request(
                Route("GET", "/guilds/{guild_id}/roles/member-counts", guild_id=guild_id)
            ),
            dm=False,
            urgent=urgent,
        )
        return privacy.few_enough(
            roles,
            {int(k): int(v) for k, v in (counts or {}).items()},
            int(guild.get("approximate_member_count") or 0),
        )

    async def _request(self, call: Any, *, dm: bool, urgent: bool = False) -> Any:
        now = self._clock.now()
        if self._held_until is not None and now < self._held_until:
            wait = (self._held_until - now).total_seconds()
            raise Failure(Retry(self._hold_reason, at_least=wait, counted=False))
        await self.pacer.acquire(urgent=urgent)
        try:
            return await call()
        except discord.RateLimited as exc:
            # Longer than the bot's max_ratelimit_timeout: not sent; come back after it.
            raise Failure(Retry("429", at_least=exc.retry_after, counted=False)) from None
        except discord.HTTPException as exc:
            outcome = classify(exc, dm=dm)
            if exc.status == 401:
                self._hold(UNAUTHORIZED_HOLD, bad_token=True)
            elif is_ban(exc):
                self._hold(timedelta(seconds=outcome.at_least if isinstance(outcome, Retry) else 1))
            raise Failure(outcome) from None
        except (OSError, aiohttp.ClientError) as exc:
            raise Failure(Retry(f"network: {type(exc).__name__}", uncertain=True)) from None

    def _hold(self, duration: timedelta, *, bad_token: bool = False) -> None:
        first = self._held_until is None or self._clock.now() >= self._held_until
        self._hold_reason = "401 (holding: bad token)" if bad_token else "429 (holding: banned)"
        self._held_until = max(self._held_until or self._clock.now(), self._clock.now() + duration)
        if not first:
            return
        if bad_token:
            log.warning(
                "Discord answered 401 Unauthorized: the bot token was revoked or reset. Set "
                "DISCORD_TOKEN to the bot's current token and restart. Outbox messages are "
                "kept; sending is held for %d s at a time until the token works.",
                int(duration.total_seconds()),
            )
        else:
            log.warning(
                "Discord's edge refused this address for %d s (a 429 without Via: too many "
                "invalid requests); all sending waits, nothing is lost.",
                int(duration.total_seconds()),
            )

    async def _record(self, row: Claimed, outcome: Outcome | None) -> None:
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
        made = current.external_id if current.operation != "send" else current.sent_message_id
        if current.operation == "edit":
            made = current.sent_message_id
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
