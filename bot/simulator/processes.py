"""Real bot processes (`bot.runtime`, the real clock and wake-ups) against a running simulator:
for checking that several processes on one database share Discord's budget."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.simulator.simulator import Simulator

# A real `run`; only the endpoints point at the simulator.
RUN = """
import asyncio, sys
from bot import runtime
from bot.clock import SystemClock
from bot.config import Settings
from bot.simulator.harness import discord_endpoints

async def main(url, api, gateway, token, guild, shard):
    # With a guild: its slash commands are synced there at start, as with a dev guild. With a
    # shard ("1/2"), the process identifies as that shard, as each of several should.
    shard_id, shard_count = (int(n) for n in shard.split("/")) if shard else (None, None)
    settings = Settings(
        database_url=url,
        discord_token=token,
        dev_guild_id=int(guild) if guild else None,
        shard_id=shard_id,
        shard_count=shard_count,
    )
    with discord_endpoints(api, gateway):
        database = await runtime.open_database(settings)
        bot = runtime.create_bot(settings, database, SystemClock(), guild_ready_timeout=0.05)
        await runtime.run_until_stopped(bot, token)

asyncio.run(main(*sys.argv[1:]))
"""


@asynccontextmanager
async def bot_processes(
    sim: Simulator,
    database_url: str,
    count: int,
    *,
    commands_in: int | None = None,
    sharded: bool = True,
) -> AsyncIterator[list[int]]:
    """`count` bot processes on `database_url` while the block runs, stopped with SIGTERM as a
    host would. The yielded list holds their exit codes once the block has ended. With
    `commands_in` (a guild id) the slash commands are synced to that guild at start. Several
    are given a shard each, as the README says to run them (`sharded=False`: all on one, the
    mistake)."""
    arguments = [database_url, sim.api_base, sim.gateway_url, sim.token, str(commands_in or "")]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RUN,
            *arguments,
            f"{number}/{count}" if sharded and count > 1 else "",
            stderr=asyncio.subprocess.DEVNULL,
        )
        for number in range(count)
    ]
    codes: list[int] = []
    try:
        yield codes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes.extend([await asyncio.wait_for(p.wait(), 60) for p in processes])
