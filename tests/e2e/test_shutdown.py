"""Stopping gracefully: a real process, a real signal, through the simulator."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from sqlalchemy.engine import URL

from bot.simulator import Simulator
from tests.e2e.conftest import START, World, url_text

RUN_UNTIL_SIGNALLED = """
import asyncio, sys
from datetime import datetime
from bot import runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.simulator.harness import discord_endpoints

async def main(url, api, gateway, token, now):
    settings = Settings(database_url=url, discord_token=token)
    with discord_endpoints(api, gateway):
        database = await runtime.open_database(settings)
        bot = runtime.create_bot(
            settings, database, ManualClock(datetime.fromisoformat(now)), guild_ready_timeout=0.05
        )

        async def ready():
            print("ready", flush=True)

        bot.add_listener(ready, "on_ready")
        await runtime.run_until_stopped(bot, token)
        print("stopped", bot.is_closed(), bot.scheduler.running, flush=True)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_the_bot_gracefully(
    sim: Simulator, world: World, database_url: URL, sig: signal.Signals
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN_UNTIL_SIGNALLED,
        url_text(database_url), sim.api_base, sim.gateway_url, sim.token, START.isoformat(),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
    process.send_signal(sig)
    rest = await asyncio.wait_for(process.stdout.read(), 30)
    assert await process.wait() == 0
    # The gateway is closed and the scheduler stopped before the process exits.
    assert rest == b"stopped True False\n"
