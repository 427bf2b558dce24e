"""A check-in prompt wave (`python -m bench checkin-wave [--members N]`): 10,000 members with a
daily `/checkin schedule` at 20:00 in three zones that share one offset (the server's
Europe/Berlin, and members' own Europe/Paris and Africa/Lagos), so every prompt falls due at one
instant. The simulator's clock moves to it and the bot's real timed work (the prompt kind in the
due-work ledger) and outbox deliver every prompt, a DM with the **Check in** button.

Measured against the floor Discord's 50 requests per second sets (bench/dms.py's): the time,
the requests (DM opens + messages), the ratio (target ≤ 1.15), members without a prompt (lost)
and with more than one (duplicated), both 0, and the 429s answered. Then the next day's wave
after a restart, so no DM channel is left in memory: the stored channel ids must make it one
request per prompt (0 DM opens), same targets. Exits non-zero when a target is missed.

The schedules are made through the product's own `PromptService.set_schedule` (which plans each
member's first prompt), a few at a time: the ledger rows are the ones a member's command makes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import backend, fresh_database, wave_figures
from bot.app import SteadyBot
from bot.services.checkins.rendering import prompt_message
from bot.simulator import SimMember, SimMessage, Simulator

MEMBERS = 10_000
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)  # a Sunday, far from any change of summer time
SERVER_ZONE = "Europe/Berlin"
# All three at UTC+1 on these days: 20:00 local is 19:00 UTC for everyone.
MEMBER_ZONES = (None, "Europe/Paris", "Africa/Lagos")
PROMPT_AT = "20:00"
FIRST_WAVE = datetime(2026, 3, 1, 19, tzinfo=UTC)
# Schedules set at once (each its own transaction, as a member's command is).
SETUP_CONCURRENCY = 8


def _is_prompt(message: SimMessage, text: str | None) -> bool:
    if message.content != text:
        return False
    return any(
        child.get("label") == "Check in"
        for row in message.components
        for child in row.get("components", ())
    )


async def _schedule_everyone(bot: SteadyBot, guild_id: int, people: list[SimMember]) -> float:
    services = bot.services
    started = time.perf_counter()
    await services.settings.set_guild_timezone(guild_id, SERVER_ZONE)
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(index: int, person: SimMember) -> None:
        async with gate:
            zone = MEMBER_ZONES[index % len(MEMBER_ZONES)]
            if zone is not None:
                await services.settings.set_member_timezone(guild_id, person.id, zone)
            view = await services.checkins.prompts.set_schedule(
                guild_id, person.id, time=PROMPT_AT, days=None
            )
            assert view.next_prompt == FIRST_WAVE, (view.zone, view.next_prompt)

    await asyncio.gather(*(one(i, p) for i, p in enumerate(people)))
    return time.perf_counter() - started


async def _wave(
    sim: Simulator, bot: SteadyBot, people: list[SimMember], at: datetime, name: str
) -> tuple[bool, dict[str, float]]:
    """Move the clock to `at` a second before it, then time the step to it: the prompts' due
    work, and their delivery, started by each commit's wake-up as in real time (a prompt's
    commit lets the dispatcher send while the ledger is still making the rest)."""
    await sim.advance(to=at - timedelta(seconds=1))
    text = prompt_message(0).content
    before = {p.id: len(sim.dms(p)) for p in people}
    first = len(sim.requests)
    started = time.perf_counter()
    with bot.realtime.woken_on_commit(bot.clock.now):
        await sim.advance(to=at)
    elapsed = time.perf_counter() - started
    figures = wave_figures(
        sim.requests[first:],
        elapsed,
        (sum(1 for m in sim.dms(p)[before[p.id] :] if _is_prompt(m, text)) for p in people),
    )
    print(figures.report(name))
    return figures.ok, {
        f"{name}_s": figures.elapsed,
        f"{name}_ratio": figures.ratio,
        f"{name}_opens": figures.opens,
    }


async def run(*, members: int = MEMBERS) -> dict[str, float]:
    print(f"\n== a check-in prompt wave to {members:,} members, twice ({backend()})")
    # discord.py warns about every 429 it sees; the count in the report says the same.
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    async with fresh_database() as url, Simulator() as sim:
        guild = sim.add_guild("Recovery Circle")
        people = [guild.add_member(f"member{i:05d}") for i in range(members)]
        async with sim.run_bot(url.render_as_string(hide_password=False), now=NOW) as bot:
            setup = await _schedule_everyone(bot, guild.id, people)
            print(f"  {members:,} schedules set through the prompt service in {setup:.1f} s")
            ok_first, first = await _wave(sim, bot, people, FIRST_WAVE, "first wave")
        # A restart in between: no DM channel is left in discord.py's memory or ours.
        async with sim.run_bot(url.render_as_string(hide_password=False)) as again:
            ok_repeat, repeat = await _wave(
                sim, again, people, FIRST_WAVE + timedelta(days=1), "repeat wave"
            )
    opens_ok = repeat["repeat wave_opens"] == 0
    ok = ok_first and ok_repeat and opens_ok
    print(
        f"  repeat wave: {int(repeat['repeat wave_opens'])} DM opens (target 0); "
        f"{'OK' if ok else 'FAIL'}"
    )
    if not ok:
        sys.exit(1)
    return {**first, **repeat}
