"""The REST edge of delivery: sending, editing and other operations over discord.py's client,
with the pacer, the holds after a 401 or a ban, stored DM channels, fallback privacy and the
history check after the nonce window (see bot/delivery/dispatcher.py for the whole story)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route, handle_message_parameters
from discord.utils import MISSING
from sqlalchemy import select

from bot.clock import Clock
from bot.db import Database, Urgency
from bot.db.models.outbox import URGENT, OutboxMessage
from bot.delivery import history, privacy
from bot.delivery import operations as ops
from bot.delivery.claims import Claimed, DispatchStats, Hold
from bot.delivery.operation_calls import OperationCalls
from bot.delivery.outbox import Target
from bot.delivery.outcomes import (
    UNAUTHORIZED_HOLD_SECONDS,
    Dead,
    Failure,
    Outcome,
    Refused,
    Retry,
    Sent,
    classify,
    is_ban,
)
from bot.delivery.pacing import Pacer

log = logging.getLogger(__name__)

# How long after an uncertain attempt began its nonce is trusted to de-duplicate a retry;
# later, the channel's history is searched first.
NONCE_TRUSTED = timedelta(minutes=4)
HISTORY_LIMIT = 100
UNAUTHORIZED_HOLD = timedelta(seconds=UNAUTHORIZED_HOLD_SECONDS)
DM_CACHE_SIZE = 50_000


class Sender:
    def __init__(
        self,
        http: HTTPClient,
        database: Database,
        clock: Clock,
        *,
        pacer: Pacer,
        stats: DispatchStats,
        bot_user_id: Callable[[], int | None],
    ) -> None:
        self._http = http
        self._db = database
        self._clock = clock
        self.pacer = pacer
        self.stats = stats
        self._bot_user_id = bot_user_id
        # user id → DM channel id, in front of the dm_channels table.
        self._dm_channels: OrderedDict[int, int] = OrderedDict()
        self.operations = OperationCalls(self._operation_request, bot_user_id, self._taken_ids)
        # Until then (the bot's clock) no request is made: Discord refused our token, or
        # Cloudflare banned the address for a while.
        self._held_until: datetime | None = None
        self._hold_reason = ""

    def known_dm_channel(self, user_id: int) -> bool:
        return user_id in self._dm_channels

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

    async def edit(self, row: Claimed) -> Outcome:
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

    async def deliver(self, row: Claimed, hold: Hold) -> Outcome:
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
        self, target: Target, row: Claimed, hold: Hold, where: str, *, nonce: str
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
        async with self._db.read(Urgency.DELIVERY if urgent else Urgency.NORMAL) as session:
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

    async def _channel_for(self, target: Target, hold: Hold, *, urgent: bool) -> int:
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
        try:
            async with self.pacer.slot(urgent=urgent):
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
