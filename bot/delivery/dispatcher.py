"""Sending committed outbox rows to Discord: the REST edge of delivery.

Each pass claims a batch of ready rows (a lease, as the ledger does), sends them, and records
each outcome in a short transaction:

- sent: Discord accepted it. Every send carries a nonce derived from the row, and discord.py
  then sets `enforce_nonce`: if we die after Discord accepted a message but before the row was
  marked, the retry after the lease returns the first message instead of posting a second.
- retry: 5xx and network errors (timeouts included); exponential back-off with jitter. After
  `MAX_ATTEMPTS` the row goes dead. These outcomes are *uncertain*: Discord may have accepted
  the message without our hearing the answer. Discord only de-duplicates a nonce for a few
  minutes (about five), so the first `UNCERTAIN_ATTEMPTS` retries of such a row come back within
  `UNCERTAIN_CAP` each. Residual risk: a row whose send was accepted but unanswered and that
  is retried after the window (a long outage, or a retry after the capped ones) can be posted
  twice; it cannot be lost.
- rate limited (429): discord.py waits out short limits itself; a longer Retry-After (the bot's
  `max_ratelimit_timeout`) surfaces as `discord.RateLimited`, and the row is tried again after
  it without spending an attempt. A 401 (the token was revoked or reset) is not the message's
  fault either: the dispatcher holds all sending for a while, says so once in the log, and
  keeps every row.
- refused: a DM the member does not accept (403/50007), or a target that is gone: sent to the
  fallback target if there is one that may receive it, else the row is `failed` and the
  purpose's undeliverable handler hears about it.
- dead: any other 4xx (the message itself is wrong), with the status and code as the reason.

A claim is a lease (`LEASE`), kept alive while the batch is being sent: before each row the
dispatcher extends it if less than one row's worst case (`ROW_TIMEOUT`) plus a margin is left,
so a long batch (a hundred messages to one channel take about 100 s at 5 per 5 s) is never
taken over mid-way by another process. The lease stays short so that, after a crash, the retry
comes within Discord's nonce window. An outcome is only recorded while the row is still ours.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, handle_message_parameters
from discord.utils import MISSING
from sqlalchemy import func, select, update

from bot.clock import Clock
from bot.db import Database
from bot.db.models.outbox import DEAD, FAILED, PENDING, SENT, OutboxMessage
from bot.delivery.outbox import Target, UndeliverableHandlers, undeliverable_handlers
from bot.delivery.pacing import Pacer
from bot.scheduling.runner import backoff, worker_name

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# Seconds of real time for one row's whole delivery (opening the DM, the send, a fallback's
# checks and send, discord.py's own retries included); then it is an uncertain retry.
ROW_TIMEOUT = 60.0
# The claim is extended before a row when less than ROW_TIMEOUT plus this is left.
RENEW_MARGIN = timedelta(seconds=15)
BATCH_SIZE = 100
CONCURRENCY = 16
MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=10)
RETRY_CAP = timedelta(minutes=30)
# Retries after an uncertain outcome stay inside Discord's nonce window (about 5 minutes).
UNCERTAIN_ATTEMPTS = 4
UNCERTAIN_CAP = timedelta(seconds=60)
# After a 401 nothing is sent for this long (a bad token; too many 401s get the IP banned).
UNAUTHORIZED_HOLD = timedelta(minutes=5)
DM_CACHE_SIZE = 50_000

VIEW_CHANNEL = 1 << 10
PRIVATE_THREAD = 12
DM_CHANNEL_TYPES = frozenset({1, 3})
DMS_CLOSED = 50007


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


@dataclass(frozen=True)
class Sent:
    delivered_to: str
    channel_id: int
    message_id: int


@dataclass(frozen=True)
class Retry:
    reason: str
    at_least: float = 0.0  # seconds, from a 429's Retry-After
    # Discord may have accepted the message (network error, timeout, 5xx): retry soon enough
    # for the nonce to de-duplicate it.
    uncertain: bool = False
    # False when the message is not at fault (a long rate limit, a bad token): the attempt is
    # given back and the row is tried again after `at_least`.
    counted: bool = True


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class Dead:
    reason: str


Outcome = Sent | Retry | Refused | Dead


class _Failure(Exception):
    def __init__(self, outcome: Retry | Refused | Dead) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    to_fallback: int = 0
    rate_limited: int = 0
    claims_lost: int = 0


@dataclass
class _Hold:
    """This process's claim on one batch, kept alive while the batch is sent."""

    until: datetime
    ours: set[int]  # rows still claimed by us and not recorded yet
    unstarted: set[int]  # rows whose delivery has not begun (released if we stop)
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
    ) -> None:
        self._http = http
        self._db = database
        self._clock = clock
        self._handlers = handlers
        self.pacer = pacer or Pacer()
        self.worker = worker or worker_name()
        self._lease = lease
        self.batch_size = batch_size
        self._concurrency = asyncio.Semaphore(concurrency)
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)
        self._lock = asyncio.Lock()
        # user id → DM channel id: opening a DM channel costs a request each time otherwise.
        self._dm_channels: OrderedDict[int, int] = OrderedDict()
        self.stats = DispatchStats()
        self._stopping = False
        # Until then (the bot's clock) no request is made: Discord refused our token.
        self._held_until: datetime | None = None

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
        async with self._lock:
            while not self._stopping and (batch := await self.claim(self._clock.now())):
                await self._send_batch(batch)

    async def claim(self, now: datetime) -> list[Claimed]:
        async with self._db.transaction() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(
                    claimed_by=self.worker,
                    next_attempt_at=now + self._lease,
                    attempts=OutboxMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
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
                )
                for row in rows
            ]

    async def _send_batch(self, batch: Sequence[Claimed]) -> None:
        ids = {row.id for row in batch}
        hold = _Hold(until=self._clock.now() + self._lease, ours=set(ids), unstarted=set(ids))
        # Messages to one destination go out in order; different destinations in parallel.
        groups: dict[tuple[str, int], list[Claimed]] = {}
        for row in batch:
            groups.setdefault((row.target.kind, row.target.id), []).append(row)
        results = await asyncio.gather(
            *(self._send_group(rows, hold) for rows in groups.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                # Its rows stay claimed until the lease ends, then they are tried again.
                log.error("a delivery group failed", exc_info=result)
        if hold.unstarted:
            await self._release(hold.unstarted)

    async def _keep_claim(self, hold: _Hold, row: Claimed) -> bool:
        """Extend the batch's lease if this row might outlast it; whether the row is still ours."""
        async with hold.lock:
            now = self._clock.now()
            if hold.ours and hold.until - now < timedelta(seconds=ROW_TIMEOUT) + RENEW_MARGIN:
                until = now + self._lease
                async with self._db.transaction() as session:
                    kept = await session.scalars(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(sorted(hold.ours)),
                            OutboxMessage.state == PENDING,
                            OutboxMessage.claimed_by == self.worker,
                        )
                        .values(next_attempt_at=until)
                        .returning(OutboxMessage.id)
                        .execution_options(synchronize_session=False)
                    )
                    hold.ours = set(kept.all())
                hold.until = until
            return row.id in hold.ours

    async def _release(self, ids: set[int]) -> None:
        """Give back rows we claimed but did not begin (stopping): ready at once, the claim's
        attempt returned."""
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
        log.info("released %d outbox rows not begun before stopping", len(ids))

    async def _send_group(self, rows: list[Claimed], hold: _Hold) -> None:
        async with self._concurrency:
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
                try:
                    async with asyncio.timeout(ROW_TIMEOUT):
                        outcome = await self._deliver(row)
                except TimeoutError:
                    outcome = Retry("network: TimeoutError", uncertain=True)
                except Exception as exc:
                    # A bug, not Discord: keep the row and try again later rather than lose it.
                    log.exception("delivering outbox row %d failed unexpectedly", row.id)
                    outcome = Retry(f"error: {type(exc).__name__}")
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

    async def _deliver(self, row: Claimed) -> Outcome:
        try:
            return await self._send_to(row.target, row, "target", nonce=f"s{row.id}")
        except _Failure as failure:
            first = failure.outcome
        if not isinstance(first, Refused):
            return first
        if row.fallback is None:
            return first
        if not row.public and row.fallback.kind == "channel":
            try:
                private = await self._is_private(row.fallback.id)
            except _Failure as failure:
                return failure.outcome
            if not private:
                # Nothing private reaches a public channel, whatever the caller asked for.
                return Refused(f"{first.reason}; fallback channel is not private")
        try:
            return await self._send_to(row.fallback, row, "fallback", nonce=f"s{row.id}f")
        except _Failure as failure:
            outcome = failure.outcome
            if isinstance(outcome, Retry):
                return outcome
            return type(outcome)(f"{first.reason}; fallback: {outcome.reason}")

    async def _send_to(self, target: Target, row: Claimed, where: str, *, nonce: str) -> Sent:
        channel_id = await self._channel_for(target)
        payload = row.payload
        mentioned = payload.get("mention_users") or []
        params = handle_message_parameters(
            content=payload.get("content") or MISSING,
            nonce=nonce,
            allowed_mentions=discord.AllowedMentions(
                everyone=False,
                roles=False,
                replied_user=False,
                users=[discord.Object(int(u)) for u in mentioned] if mentioned else False,
            ),
        )
        body = params.payload
        assert body is not None  # no files: a JSON body
        if payload.get("embeds"):
            body["embeds"] = payload["embeds"]
        if payload.get("components"):
            body["components"] = payload["components"]
        message = await self._request(
            lambda: self._http.send_message(channel_id, params=params), dm=target.kind == "dm"
        )
        return Sent(where, channel_id, int(message["id"]))

    async def _channel_for(self, target: Target) -> int:
        if target.kind == "channel":
            return target.id
        cached = self._dm_channels.get(target.id)
        if cached is not None:
            self._dm_channels.move_to_end(target.id)
            return cached
        channel = await self._request(lambda: self._http.start_private_message(target.id), dm=True)
        channel_id = int(channel["id"])
        self._dm_channels[target.id] = channel_id
        if len(self._dm_channels) > DM_CACHE_SIZE:
            self._dm_channels.popitem(last=False)
        return channel_id

    async def _is_private(self, channel_id: int) -> bool:
        """A private thread, or a channel whose @everyone overwrite denies View Channel."""
        channel = await self._request(lambda: self._http.get_channel(channel_id), dm=False)
        kind = int(channel.get("type", 0))
        if kind == PRIVATE_THREAD or kind in DM_CHANNEL_TYPES:
            return True
        guild_id = str(channel.get("guild_id", ""))
        return any(
            str(overwrite.get("id")) == guild_id and int(overwrite.get("deny", 0)) & VIEW_CHANNEL
            for overwrite in channel.get("permission_overwrites") or []
        )

    async def _request(self, call: Any, *, dm: bool) -> Any:
        now = self._clock.now()
        if self._held_until is not None and now < self._held_until:
            wait = (self._held_until - now).total_seconds()
            raise _Failure(Retry("401 (holding: bad token)", at_least=wait, counted=False))
        await self.pacer.acquire()
        try:
            return await call()
        except discord.RateLimited as exc:
            # Longer than the bot's max_ratelimit_timeout: not sent; come back after it.
            raise _Failure(Retry("429", at_least=exc.retry_after, counted=False)) from None
        except discord.HTTPException as exc:
            if exc.status == 401:
                self._hold_for_bad_token()
            raise _Failure(_classify(exc, dm=dm)) from None
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            raise _Failure(Retry(f"network: {type(exc).__name__}", uncertain=True)) from None

    def _hold_for_bad_token(self) -> None:
        first = self._held_until is None or self._clock.now() >= self._held_until
        self._held_until = self._clock.now() + UNAUTHORIZED_HOLD
        if first:
            log.warning(
                "Discord answered 401 Unauthorized: the bot token was revoked or reset. Set "
                "DISCORD_TOKEN to the bot's current token and restart. Outbox messages are "
                "kept; sending is held for %d s at a time until the token works.",
                int(UNAUTHORIZED_HOLD.total_seconds()),
            )

    async def _record(self, row: Claimed, outcome: Outcome) -> None:
        now = self._clock.now()
        async with self._db.transaction() as session:
            current = await session.get(OutboxMessage, row.id, with_for_update=True)
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
            current.claimed_by = None
            if isinstance(outcome, Sent):
                current.state = SENT
                current.delivered_to = outcome.delivered_to
                current.sent_channel_id = outcome.channel_id
                current.sent_message_id = outcome.message_id
                current.finished_at = now
                self.stats.sent += 1
                if outcome.delivered_to == "fallback":
                    self.stats.to_fallback += 1
                return
            current.last_error = outcome.reason[:200]
            if isinstance(outcome, Retry) and not outcome.counted:
                current.attempts = max(0, current.attempts - 1)  # the claim counted it
                # No jitter: rows held together come back together, in their order (the pacer
                # spaces their requests).
                current.next_attempt_at = now + timedelta(seconds=max(1.0, outcome.at_least))
                self.stats.rate_limited += 1
                return
            if isinstance(outcome, Retry) and current.attempts < MAX_ATTEMPTS:
                self._retry_later(current, now, outcome)
                self.stats.retried += 1
                return
            if isinstance(outcome, Refused):
                current.state = FAILED
            else:
                current.state = DEAD
                if isinstance(outcome, Retry):
                    gave_up = f"gave up after {current.attempts} attempts: {outcome.reason}"
                    current.last_error = gave_up[:200]
            current.finished_at = now
            handler = self._handlers.get(row.purpose)
            if handler is not None:
                try:
                    async with session.begin_nested():
                        await handler(session, row.subject_id, current.last_error or current.state)
                except Exception as exc:
                    # A broken handler must not stall the queue: retry the row later (its
                    # attempts count), and after MAX_ATTEMPTS end it without the handler.
                    log.exception(
                        "the undeliverable handler for outbox row %d (%s) failed",
                        row.id,
                        row.purpose,
                    )
                    reason = f"{current.last_error}; handler failed: {type(exc).__name__}"
                    current.last_error = reason[:200]
                    if current.attempts < MAX_ATTEMPTS:
                        current.state, current.finished_at = PENDING, None
                        self._retry_later(current, now, None)
                        self.stats.retried += 1
                        return
            if current.state == FAILED:
                self.stats.failed += 1
            else:
                self.stats.dead += 1
                log.warning(
                    "outbox row %d (%s) is dead: %s", row.id, row.purpose, current.last_error
                )

    def _retry_later(self, current: OutboxMessage, now: datetime, outcome: Retry | None) -> None:
        delay = backoff(current.attempts, self._rng, RETRY_BASE, RETRY_CAP)
        if outcome is not None and outcome.uncertain and current.attempts <= UNCERTAIN_ATTEMPTS:
            # Discord may hold this message already: come back while its nonce still counts.
            delay = min(delay, UNCERTAIN_CAP)
        at_least = timedelta(seconds=outcome.at_least) if outcome is not None else timedelta(0)
        current.next_attempt_at = now + max(delay, at_least)


def _classify(exc: discord.HTTPException, *, dm: bool) -> Retry | Refused | Dead:
    reason = f"{exc.status}/{exc.code}" if exc.code else str(exc.status)
    if exc.status == 429:
        retry_after = _retry_after(exc)
        return Retry(f"429 {reason}", at_least=retry_after)
    if exc.status >= 500 or exc.status == 408:
        return Retry(reason, uncertain=True)
    if exc.status == 401:
        # The token, not the message: keep the row (see `Dispatcher._hold_for_bad_token`).
        return Retry(reason, at_least=UNAUTHORIZED_HOLD.total_seconds(), counted=False)
    if exc.code == DMS_CLOSED or (dm and exc.status == 403):
        return Refused(f"DMs closed ({reason})")
    if exc.status in (403, 404):
        # The destination is gone or closed to the bot; a fallback may still receive it.
        return Refused(f"target unavailable ({reason})")
    return Dead(reason)


def _retry_after(exc: discord.HTTPException) -> float:
    raw = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(raw) if raw else 1.0
    except ValueError:
        return 1.0
