"""1,000 members checking in within one second through the simulator: every interaction
answered within Discord's 3 s and every check-in stored; and, for the 100 of them who ask for
support, the time from the check-in's arrival to their mentor's DM leaving the bot (p95 under
2 s). Exits non-zero when a target is missed.

The bot runs as its own process, as in production (`python -m bot run`'s runtime: the real
clock, the real wake-ups): the simulator's work (the other side of every request) is not on the
bot's event loop, as Discord's is not. The mentors were paired before and the bot restarted
since, so each mentor's DM channel id is stored and each alert is one request.

Two rounds: the check-ins arrive spread over one second (the issue's "in the same second"; one
in ten asks for support), then all in the same instant. The floor of each is what the bot's
pacer allows at best (bot/delivery/pacing.py), had the bot and the network taken no time at
all: at most 48 requests in any second (on PostgreSQL shared by the processes, here one), so
100 alerts asked for in one instant cannot all leave within 1 s.
Observations are taken from the simulator's request log as requests arrive, so nothing polls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bench.common import backend, fresh_database
from bot.db import Database
from bot.db.models import Checkin, MentoringPair
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.delivery.pacing import BURST, WINDOW
from bot.security.notes import KEYS_ENV, generate_key
from bot.simulator import InteractionFailed, SimGuild, SimMember, Simulator
from bot.simulator.errors import CommandNotAvailable
from bot.simulator.processes import bot_processes

MEMBERS = 1_000
ASKING_EVERY = 10  # one member in ten asks for support: 100 alerts
ACK_LIMIT_S = 3.0
DM_P95_LIMIT_S = 2.0
SEND = "POST /channels/{channel_id}/messages"
OPEN_DM = "POST /users/@me/channels"


@dataclass(frozen=True)
class Round:
    name: str
    spread: float  # seconds over which the check-ins arrive, evenly
    # Whether the alerts' p95 must be under 2 s: the issue's crowd arrives within a second; the
    # instant one is harder than asked (its floor is half the target or more) and is reported.
    p95_target: bool


ROUNDS = (
    Round("spread over one second", 1.0, p95_target=True),
    Round("all in the same instant", 0.0, p95_target=False),
)


def _p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def paced_floor(arrivals: Sequence[float], burst: int = BURST, window: float = WINDOW) -> float:
    """The p95 had every alert's one request left the moment the pacer allowed: at most
    `burst` requests in any `window` seconds, in the order they were asked for."""
    sent: list[float] = []
    for index, arrived in enumerate(sorted(arrivals)):
        earliest = sent[index - burst] + window if index >= burst else arrived
        sent.append(max(arrived, earliest))
    return _p95([s - a for s, a in zip(sent, sorted(arrivals), strict=True)])


async def _pair(
    url: URL, guild: SimGuild, people: list[SimMember], mentors: list[SimMember]
) -> None:
    """Each mentor paired with a member who will ask, and told so by DM."""
    database = Database.connect(url)
    try:
        async with database.transaction() as session:
            for person, mentor in zip(people, mentors, strict=True):
                session.add(
                    MentoringPair(
                        guild_id=guild.id,
                        mentee_id=person.id,
                        mentor_id=mentor.id,
                        kind="mentor",
                        state="active",
                        started_at=datetime.now(UTC),
                    )
                )
                await enqueue(
                    session,
                    target=Target("dm", mentor.id),
                    message=OutgoingMessage(content=f"You're now {person.name}'s mentor."),
                    purpose="bench.paired",
                    guild_id=guild.id,
                )
    finally:
        await database.dispose()


async def _stored(url: URL) -> int:
    database = Database.connect(url)
    try:
        async with database.read() as session:
            return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)
    finally:
        await database.dispose()


def _ready(sim: Simulator, guild: SimGuild) -> bool | None:
    """The bot is connected and its commands are synced to the guild."""
    try:
        sim.command("checkin", guild)
    except CommandNotAvailable:
        return None
    return sim.gateway.connected or None


async def _crowd(
    sim: Simulator, people: list[SimMember], mentors: list[SimMember], spread: float
) -> dict[str, float]:
    members = len(people)
    asking = [i for i in range(members) if i % ASKING_EVERY == 0]
    mentor_of_channel = {sim.dm_channel(m).id: asking[j] for j, m in enumerate(mentors)}
    started_at: dict[int, float] = {}
    arrived: dict[int, float] = {}  # member asking → their mentor's alert reached Discord
    answered_at: dict[str, float] = {}  # interaction id → its first callback reached Discord
    interaction_of: dict[int, str] = {}
    failed: list[int] = []  # members who saw "The application did not respond"
    requests_before = len(sim.requests)
    all_arrived = asyncio.Event()

    def expected() -> int:
        # A member whose interaction failed was never recorded, so no alert of theirs can come.
        return len(asking) - sum(1 for index in failed if index % ASKING_EVERY == 0)

    def on_request() -> None:
        request = sim.requests[-1]
        now = time.perf_counter()
        if request.path.endswith("/callback"):
            answered_at.setdefault(request.path.split("/")[-3], now)
        elif request.route == SEND and request.ok:
            index = mentor_of_channel.get(int(request.params["channel_id"]))
            if index is not None and index not in arrived:
                arrived[index] = now
                if len(arrived) >= expected():
                    all_arrived.set()

    sim.request_log.on_add(on_request)
    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.05

    async def check_in(index: int) -> None:
        await asyncio.sleep(max(0.0, begin + spread * index / members - loop.time()))
        started_at[index] = time.perf_counter()
        try:
            result = await sim.slash(
                people[index], "checkin", mood=3, craving=2, support=index % ASKING_EVERY == 0
            )
        except InteractionFailed:
            failed.append(index)  # counted and reported: the run goes on to measure the rest
            return
        interaction_of[index] = str(result.interaction.id)

    wall = time.perf_counter()
    await asyncio.gather(*(check_in(i) for i in range(members)))
    wall = time.perf_counter() - wall
    if len(arrived) >= expected():
        all_arrived.set()
    await asyncio.wait_for(all_arrived.wait(), timeout=120)
    ours = [r for r in sim.requests[requests_before:] if r.route in (SEND, OPEN_DM) and r.ok]
    opens = sum(1 for r in ours if r.route == OPEN_DM)
    acks = [answered_at[interaction_of[i]] - started_at[i] for i in interaction_of]
    latencies = [arrived[i] - started_at[i] for i in arrived]
    first = min(started_at.values())
    floor = paced_floor([started_at[i] - first for i in asking])
    return {
        "wall_s": wall,
        "failed": float(len(failed)),
        "ack_p50_s": statistics.median(acks),
        "ack_max_s": max(acks),
        "dm_p50_s": statistics.median(latencies),
        "dm_p95_s": _p95(latencies),
        "dm_max_s": max(latencies),
        "dm_floor_s": floor,
        "alerts": float(len(latencies)),
        "requests": float(len(ours)),
        "dm_opens": float(opens),
    }


async def _round(round_: Round, members: int) -> dict[str, float]:
    async with fresh_database() as url, Simulator(reply_timeout=120) as sim:
        guild = sim.add_guild("Recovery Circle")
        people = [guild.add_member(f"member{i:04d}") for i in range(members)]
        asking = [people[i] for i in range(members) if i % ASKING_EVERY == 0]
        mentors = [guild.add_member(f"mentor{i:03d}") for i in range(len(asking))]
        address = url.render_as_string(hide_password=False)
        await _pair(url, guild, asking, mentors)
        async with bot_processes(sim, address, 1) as codes:
            await sim.wait_until(lambda: all(sim.dms(m) for m in mentors) or None, within=120)
        if codes != [0]:
            raise RuntimeError(f"the bot process that sent the pairing DMs exited with {codes}")
        # A restart since the pairing: the stored DM channel ids are all the bot has.
        async with bot_processes(sim, address, 1, commands_in=guild.id) as codes:
            await sim.wait_until(lambda: _ready(sim, guild), within=120)
            figures = await _crowd(sim, people, mentors, round_.spread)
        figures["stored"] = float(await _stored(url))
        figures["exit_code"] = float(codes[0])
    return figures


def _report(round_: Round, figures: dict[str, float], members: int) -> bool:
    ok = (
        figures["failed"] == 0
        and figures["ack_max_s"] <= ACK_LIMIT_S
        and figures["stored"] == members
        and (figures["dm_p95_s"] < DM_P95_LIMIT_S or not round_.p95_target)
        and figures["exit_code"] == 0
    )
    print(
        f"  {members:,} check-ins answered in {figures['wall_s']:.2f} s; "
        f"{figures['stored']:,.0f}/{members:,} stored; bot exit code {figures['exit_code']:.0f}"
    )
    print(
        f"  interaction answered: p50 {figures['ack_p50_s']:.2f} s, max "
        f"{figures['ack_max_s']:.2f} s (limit {ACK_LIMIT_S:.0f} s); "
        f"{figures['failed']:.0f} not answered in time"
    )
    print(
        f"  support check-in → mentor's DM leaving the bot ({figures['alerts']:.0f} alerts): "
        f"p50 {figures['dm_p50_s']:.2f} s, p95 {figures['dm_p95_s']:.2f} s "
        + (f"(limit {DM_P95_LIMIT_S:.0f} s)" if round_.p95_target else "(reported)")
        + f", max {figures['dm_max_s']:.2f} s; "
        f"{figures['requests']:.0f} requests ({figures['dm_opens']:.0f} DM opens)"
    )
    print(
        f"  the pacer's floor for this round: p95 {figures['dm_floor_s']:.2f} s "
        f"(at most {BURST} requests in any {WINDOW:.3g} s)"
    )
    print(f"  {'OK' if ok else 'FAIL'}")
    return ok


async def run(*, members: int = MEMBERS, rounds: Sequence[Round] = ROUNDS) -> dict[str, float]:
    logging.getLogger("discord.http").setLevel(logging.ERROR)
    # The bot process refuses to start on PostgreSQL without keys (a throwaway one is fine).
    os.environ.setdefault(KEYS_ENV, generate_key())
    results: dict[str, float] = {}
    ok = True
    for index, round_ in enumerate(rounds):
        print(
            f"\n== {members:,} check-ins {round_.name}, one in ten asking for support ({backend()})"
        )
        figures = await _round(round_, members)
        ok = _report(round_, figures, members) and ok
        results.update({f"checkins_{k}_{index}": v for k, v in figures.items()})
    if not ok:
        sys.exit(1)
    return results
