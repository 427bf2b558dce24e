"""Knowing whether an attempt may have reached Discord, from aiohttp's request trace.

discord.py sleeps through short 429s (up to `max_ratelimit_timeout`) and retries some 5xx
answers inside one call, so a row's time limit can run out in the middle of it. Whether that
attempt is *uncertain* (Discord may have done it) depends on what happened on the wire: the
dispatcher marks each row's attempt in a context variable, and the trace callbacks, which run
in the same task as the request, note every write request's end.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.delivery import pacing

NOT_DONE = frozenset({429})


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


async def _start(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
    pacing.note_send()
    attempt = current.get()
    if attempt is not None and _write(params.method):
        attempt.in_flight += 1


async def _end(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
    attempt = current.get()
    if attempt is not None and _write(params.method):
        attempt.in_flight -= 1
        status = params.response.status
        if status not in NOT_DONE and not 400 <= status < 500:
            attempt.maybe_done = True


async def _failed(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
    attempt = current.get()
    if attempt is not None and _write(params.method):
        attempt.in_flight -= 1
        attempt.maybe_done = True


def trace_config() -> aiohttp.TraceConfig:
    """For the bot's `http_trace` client option."""
    config = aiohttp.TraceConfig()
    config.on_request_start.append(_start)
    config.on_request_end.append(_end)
    config.on_request_exception.append(_failed)
    return config
