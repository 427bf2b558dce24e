"""`python -m bot demo`: a scripted two days in a recovery community, fully offline.

The real bot runs against the local Discord simulator on a fresh SQLite file with a
controllable clock; the transcript shows what each member sees, whether in a channel, a DM or
an ephemeral reply only they can see, with times as their own Discord client shows them.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.demo.community import community
from bot.demo.meetings import meetings
from bot.demo.rendering import ReadableLines
from bot.demo.stage import cast
from bot.simulator import Simulator

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
# The zones members set with /timezone set in the demo; everyone else reads in New York.
READER_ZONES = {"alice": "America/New_York", "sam": "Europe/London"}


async def run_demo(out: TextIO) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="steady-demo-") as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'steady.db'}"
        async with Simulator() as sim:
            lines = ReadableLines(
                lambda: sim.clock.now() if sim.clock is not None else START, READER_ZONES
            )
            sim.transcript.lines = lines
            stage = cast(sim, lines)
            async with sim.run_bot(database_url=url, now=START) as bot:
                stage.bot = bot
                await community(stage)
                await meetings(stage)
            out.write(sim.transcript.text() + "\n")
    elapsed = time.monotonic() - started
    out.write(f"\nDemo finished in {elapsed:.1f} s. Nothing left this machine.\n")
