"""Answering a check-in's or an /sos's interaction while what the member sent is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import discord

T = TypeVar("T")


async def deferred_while(
    interaction: discord.Interaction[Any], recording: Coroutine[Any, Any, T]
) -> T:
    """Defer `interaction` (ephemeral, "thinking") while `recording` already runs, and return
    its result (or raise its error) once both are done.

    Side by side, not one after the other: under a crowd, the deferral's round trip to Discord
    took up to half a second, and a support request's alert waited for it before it was even
    recorded. If Discord does not take the deferral (the interaction expired on a stalled
    connection), what the member sent is still recorded, since nothing asked for may be lost;
    the deferral's error is raised after it."""
    task = asyncio.ensure_future(recording)
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
    except BaseException:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: the deferral's error is the one that explains
        raise
    return await task
