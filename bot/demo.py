"""`python -m bot demo`: a scripted morning in a recovery community, fully offline.

The real bot runs against the local Discord simulator on a fresh SQLite file with a
controllable clock; the transcript shows what each member sees, whether in a channel, a DM or
an ephemeral reply only they can see.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.simulator import Simulator

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def run_demo(out: TextIO) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="steady-demo-") as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'steady.db'}"
        async with Simulator() as sim:
            await _scenario(sim, url)
            out.write(sim.transcript.text() + "\n")
    elapsed = time.monotonic() - started
    out.write(f"\nDemo finished in {elapsed:.1f} s. Nothing left this machine.\n")


async def _scenario(sim: Simulator, url: str) -> None:
    guild = sim.add_guild("Recovery Circle")
    mods = guild.add_role("Moderators", manage_guild=True)
    milestones = guild.add_text_channel("milestones")
    alice = guild.add_member("alice")
    sam = guild.add_member("sam")
    bob = guild.add_member("bob")
    mo = guild.add_member("mo", roles=[mods])
    carol = guild.add_member("carol", dms_open=False)

    def note(text: str, at: datetime | None = None) -> None:
        assert sim.clock is not None
        when = at or sim.clock.now()
        sim.transcript.lines.append(f"\n── {text} ({when:%a %d %b %H:%M} UTC) ──")

    async def until(instant: datetime, text: str) -> None:
        note(text, instant)
        assert sim.clock is not None
        await sim.advance(seconds=(instant - sim.clock.now()).total_seconds())

    async with sim.run_bot(database_url=url, now=START):
        note("A moderator sets the server up")
        await sim.slash(mo, "setup timezone", zone="America/New_York")
        await sim.slash(mo, "setup milestones", channel=milestones, hour=9)
        await sim.slash(mo, "setup show")
        await sim.slash(bob, "setup timezone", zone="Asia/Tokyo", bypass_permissions=True)

        note("Members set their timezone and counters; everything they see is private")
        await sim.autocomplete(alice, "timezone set", "zone", "new_y")
        await sim.slash(alice, "timezone set", zone="America/New_York")
        await sim.slash(alice, "sobriety set", date="2026-02-23")
        await sim.slash(alice, "sobriety privacy", celebrate="channel", visibility="members")
        await sim.slash(sam, "timezone set", zone="Europe/London")
        await sim.slash(sam, "sobriety set", date="2026-01-31", label="alcohol")
        await sim.slash(sam, "sobriety show", label="alcohol")
        await sim.slash(carol, "sobriety set", date="2026-02-23")
        await sim.slash(bob, "sobriety show", member=sam)
        await sim.slash(bob, "sobriety show", member=alice)

        note("Bad input gets a kind explanation and changes nothing")
        await sim.slash(bob, "sobriety set", date="yesterday")
        await sim.slash(bob, "sobriety set", date="2025-02-30")
        await sim.slash(bob, "timezone set", zone="EST")

        await until(
            datetime(2026, 3, 2, 9, tzinfo=UTC),
            "The night passes. 09:00 in London: Sam's milestone, by DM as Sam chose",
        )
        await until(
            datetime(2026, 3, 2, 14, tzinfo=UTC),
            "09:00 in New York: Alice chose the channel; Carol chose DMs, but hers are closed",
        )
        note("Nothing of Carol's went public: her congratulation waits for /sobriety show")
        await sim.slash(carol, "sobriety show")

        note("A hard day: Sam restarts a streak; nothing of the journey is lost")
        prompt = await sim.slash(sam, "sobriety reset", label="alcohol")
        await sim.click(sam, prompt, label="Confirm")
        await sim.slash(sam, "sobriety history", label="alcohol")
        await sim.slash(sam, "crisis")

        note("Delivery health, for moderators")
        await sim.slash(mo, "setup status")
