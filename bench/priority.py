"""An urgent alert committed while a 5,000-DM wave is draining: how long until it leaves the
bot (its request reaches the simulator). Exits non-zero above 2 s."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import UTC, datetime

from bench.common import backend, fresh_database
from bot.db.models.outbox import URGENT
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.simulator import Simulator

WAVE = 5_000
LIMIT_S = 2.0
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SEND = "POST /channels/{channel_id}/messages"


async def run(*, members: int = WAVE) -> dict[str, float]:
    print(f"\n== an urgent alert during a {members:,}-DM wave ({backend()})")
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    async with fresh_database() as url, Simulator() as sim:
        guild = sim.add_guild("Recovery Circle")
        people = [guild.add_member(f"member{i:04d}") for i in range(members)]
        mentor = guild.add_member("mentor")
        alerts = guild.add_text_channel("alerts")
        async with sim.run_bot(url.render_as_string(hide_password=False), now=NOW) as bot:
            async with bot.database.transaction() as session:
                for person in people:
                    await enqueue(
                        session,
                        target=Target("dm", person.id),
                        message=OutgoingMessage(content="Check-in time: how are you today?"),
                        purpose="bench.prompt",
                        subject_id=person.id,
                        guild_id=guild.id,
                    )
            draining = asyncio.create_task(sim.advance())
            # Well into the wave: a few batches claimed and sending.
            await sim.wait_until(lambda: len(sim.requests) >= 400, within=120)
            before = sum(1 for r in sim.requests if r.route == SEND and r.ok)
            started = time.perf_counter()
            async with bot.database.transaction() as session:
                await enqueue(
                    session,
                    target=Target("channel", alerts.id),
                    message=OutgoingMessage(
                        content=f"<@{mentor.id}> someone asked for support",
                        mention_users=(mentor.id,),
                    ),
                    purpose="bench.alert",
                    guild_id=guild.id,
                    public=True,
                    priority=URGENT,
                )
            await sim.wait_for_message(alerts, within=60)
            latency = time.perf_counter() - started
            during = sum(1 for r in sim.requests if r.route == SEND and r.ok) - before
            await draining
    got = sum(1 for p in people if len(sim.dms(p)) == 1)
    ok = latency <= LIMIT_S and got == members
    print(f"  alert left the bot {latency:.2f} s after its commit (limit {LIMIT_S:.0f} s)")
    print(f"  wave messages sent meanwhile: {during}; wave delivered: {got:,}/{members:,}")
    print(f"  {'OK' if ok else 'FAIL'}")
    if not ok:
        sys.exit(1)
    return {"priority_latency_s": latency}
