"""2,000 queued DMs to 2,000 members through the simulator: time against the floor set by
50 requests per second, losses, duplicates and 429s; then a repeat wave to the same members,
which needs one request per DM (their DM channel ids are stored)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from bench.common import backend, fresh_database, wave_figures
from bot.app import SteadyBot
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.simulator import SimMember, Simulator

MEMBERS = 2_000
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def _wave(
    sim: Simulator, bot: SteadyBot, people: list[SimMember], guild_id: int, text: str, name: str
) -> tuple[bool, float]:
    async with bot.database.transaction() as session:
        for person in people:
            await enqueue(
                session,
                target=Target("dm", person.id),
                message=OutgoingMessage(content=text),
                purpose="bench.dm",
                subject_id=person.id,
                guild_id=guild_id,
            )
    first = len(sim.requests)
    started = time.perf_counter()
    await sim.advance()
    figures = wave_figures(
        sim.requests[first:],
        time.perf_counter() - started,
        (sum(1 for m in sim.dms(p) if m.content == text) for p in people),
    )
    print(figures.report(name))
    return figures.ok, figures.elapsed


async def run(*, members: int = MEMBERS) -> dict[str, float]:
    print(f"\n== {members:,} queued DMs through the simulator, twice ({backend()})")
    # discord.py warns about every 429 it sees; the count below says the same in one line.
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    async with fresh_database() as url, Simulator() as sim:
        guild = sim.add_guild("Recovery Circle")
        people = [guild.add_member(f"member{i:04d}") for i in range(members)]
        async with sim.run_bot(url.render_as_string(hide_password=False), now=NOW) as bot:
            ok_first, first = await _wave(
                sim, bot, people, guild.id, "Your IOP group starts in one hour.", "first wave"
            )
        # A restart in between: the repeat wave cannot lean on anything kept in memory.
        async with sim.run_bot(url.render_as_string(hide_password=False)) as bot:
            ok_repeat, repeat = await _wave(
                sim, bot, people, guild.id, "Tonight's group is in one hour.", "repeat wave"
            )
    speedup = first / repeat
    ok = ok_first and ok_repeat and speedup >= 1.8
    print(f"  repeat wave {speedup:.2f}x faster; {'OK' if ok else 'FAIL'} (ratio ≤ 1.15, ≥ 1.8x)")
    return {"dms_s": first, "dms_repeat_s": repeat, "dms_speedup": speedup}
