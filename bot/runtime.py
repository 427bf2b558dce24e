"""Making, running and stopping a Steady process: shared by the CLI, the simulator and tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from bot.app import SteadyBot
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.db.migrate import upgrade_to_head
from bot.security.notes import NotesCipher
from bot.tree import publish

log = logging.getLogger(__name__)


async def open_database(settings: Settings) -> Database:
    """Connect and bring the schema to the newest revision."""
    database = Database.connect(settings.database)
    try:
        await upgrade_to_head(database)
    except BaseException:
        await database.dispose()
        raise
    return database


def create_bot(
    settings: Settings,
    database: Database,
    clock: Clock,
    *,
    cipher: NotesCipher | None = None,
    **client_options: Any,
) -> SteadyBot:
    return SteadyBot(
        settings=settings, database=database, clock=clock, cipher=cipher, **client_options
    )


async def shutdown(bot: SteadyBot) -> None:
    """The graceful stop: scheduler, in-flight work, gateway, then the database."""
    try:
        await bot.close()
    finally:
        await bot.database.dispose()


async def sync_commands(bot: SteadyBot, guild_id: int | None) -> int:
    """Publish the slash commands: to one guild, or globally when `guild_id` is None."""
    return await publish(bot.tree, guild_id)


async def run_until_stopped(bot: SteadyBot, token: str) -> None:
    """Run until SIGTERM/SIGINT (or the connection ends for good), then shut down gracefully."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(token))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            log.info("stopping: signal received")
    finally:
        stopper.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await shutdown(bot)
        if runner.done():
            runner.result()  # surfaces a login failure to the caller
        else:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
