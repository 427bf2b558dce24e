"""Knowing whether an attempt may have reached Discord, from aiohttp's request trace.

discord.py sleeps through short 429s (up to `max_ratelimit_timeout`) and retries some 5xx
answers inside one call, so a row's time limit can run out in the middle of it. Whether that
attempt is *uncertain* (Discord may have done it) depends on what happened on the wire: the
dispatcher marks each row's attempt in a context variable, and the trace callbacks, which run
in the same task as the request, note every write request's end.

The trace also tells the pacer (bot/delivery/pacing.py) of every request that counts against
Discord's global limit, those made outside its slots included.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp
from discord.http import Route

from bot.delivery import pacing

NOT_DONE = frozenset({429})
# Paths of the REST routes Discord does not count against the global limit.
EXEMPT = ("/interactions/", "/webhooks/")


@dataclass
class Attempt:
    """The write requests (POST, PATCH, PUT, DELETE) one row's delivery made so far."""

    in_flight: int = 0
    # A write that Discord may have carried out: answered 2xx/5xx, or no answer at all.
    maybe_done: bool = False

    @property
    def certainly_not_done(self) -> bool:
        return self.in_flight == 0 and not self.maybe_done


current: ContextVar[Attempt | None] = ContextVar("steady_delivery_attempt", default=None)


def _write(method: str) -> bool:
    return method.upper() != "GET"


def counts_globally(url: object) -> bool:
    """A REST request that Discord counts against the bot's global limit: not the gateway's
    connection, nor interaction callbacks and webhooks (an interaction's follow-ups), which
    Discord leaves out of it."""
    text = str(url)
    return text.startswith(Route.BASE) and not any(part in text for part in EXEMPT)


def trace_config(unpaced: Callable[[], pacing.Pacer | None] = lambda: None) -> aiohttp.TraceConfig:
    """For the bot's `http_trace` client option. `unpaced` gives the process's pacer, which
    also counts the requests made outside its slots (see `pacing.note_send`)."""

    async def start(_session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
        if counts_globally(params.url):
            pacer = unpaced()
            if pacing.note_send(unpaced=pacer):
                ctx.steady_unpaced = pacer
        attempt = current.get()
        if attempt is not None and _write(params.method):
            attempt.in_flight += 1

    async def end(_session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
        _unpaced_over(ctx)
        attempt = current.get()
        if attempt is not None and _write(params.method):
            attempt.in_flight -= 1
            status = params.response.status
            if status not in NOT_DONE and not 400 <= status < 500:
                attempt.maybe_done = True

    async def failed(_session: aiohttp.ClientSession, ctx: SimpleNamespace, params: Any) -> None:
        _unpaced_over(ctx)
        attempt = current.get()
        if attempt is not None and _write(params.method):
            attempt.in_flight -= 1
            attempt.maybe_done = True

    config = aiohttp.TraceConfig()
    config.on_request_start.append(start)
    config.on_request_end.append(end)
    config.on_request_exception.append(failed)
    return config


def _unpaced_over(ctx: SimpleNamespace) -> None:
    pacer = getattr(ctx, "steady_unpaced", None)
    if isinstance(pacer, pacing.Pacer):
        ctx.steady_unpaced = None
        pacing.note_unpaced_end(pacer)
