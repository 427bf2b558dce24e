"""Pointing discord.py at the simulator and running a client against it until it is ready."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.simulator.errors import SimulatorError

_patches: list[tuple[str, yarl.URL]] = []


@contextlib.contextmanager
def discord_endpoints(api_base: str, gateway_url: str) -> Iterator[None]:
    """discord.py reads both from class attributes at request/connect time; restore on exit."""
    _patches.append((Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY))
    Route.BASE = api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = _patches.pop()


@contextlib.asynccontextmanager
async def running(
    client: discord.Client,
    token: str,
    *,
    ready_timeout: float,
    stop: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """Start `client`, return once it is ready; stop it (default: close) and wait on exit."""
    task = asyncio.create_task(client.start(token), name="simulated-bot")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()
            raise SimulatorError("the bot stopped before it was ready")
        if ready not in done:
            raise SimulatorError(f"the bot was not ready within {ready_timeout:g} s")
        yield task
    finally:
        ready.cancel()
        if stop is not None:
            await stop()
        elif not client.is_closed():
            await client.close()
        await _finish(task)


async def _finish(task: asyncio.Task[Any]) -> None:
    if not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
    elif not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
