"""Shared pieces: fresh databases (SQLite, or PostgreSQL with STEADY_BENCH_DATABASE_URL), bulk
rows, the timing of a bot's interaction handling, and a DM wave's figures against the floor
that Discord's global rate limit sets."""

from __future__ import annotations

import os
import resource
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import discord.webhook.async_
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from bot.db import Database
from bot.db.migrate import migrate_url
from bot.simulator.server import SimRequest

POSTGRES_ENV = "STEADY_BENCH_DATABASE_URL"
GLOBAL_LIMIT = 50  # requests per second, the simulator's and Discord's
SEND = "POST /channels/{channel_id}/messages"
OPEN_DM = "POST /users/@me/channels"
WAVE_RATIO_LIMIT = 1.15


def backend() -> str:
    return "postgresql" if os.environ.get(POSTGRES_ENV) else "sqlite"


@asynccontextmanager
async def fresh_database() -> AsyncIterator[URL]:
    """An empty database at the newest schema, removed afterwards."""
    server = os.environ.get(POSTGRES_ENV)
    if server is None:
        with tempfile.TemporaryDirectory(prefix="steady-bench-") as folder:
            url = make_url(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
            await migrate_url(url)
            yield url
        return
    base = make_url(server)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql", database="postgres").render_as_string(False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = base.set(database=name)
    try:
        await migrate_url(url)
        yield url
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


async def bulk_due_work(
    database: Database, kind: str, count: int, first_due: datetime, step_seconds: float
) -> None:
    """`count` pending rows, subjects 1…count, due every `step_seconds` from `first_due`,
    generated inside the database (a million ORM objects would measure Python, not the sweep)."""
    async with database.transaction() as session:
        if database.dialect == "sqlite":
            base = first_due.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
            due = (
                "printf('%s.000000', datetime(:base, '+' || CAST((s.i - 1) * :step AS INTEGER)"
                " || ' seconds'))"
            )
            await session.execute(
                text(
                    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                    "WHERE i < :count) "
                    "INSERT INTO due_work (kind, subject_id, due_at, available_at, state, "
                    f"attempts) SELECT :kind, s.i, {due}, {due}, 'pending', 0 FROM s"
                ),
                {"count": count, "kind": kind, "base": base, "step": step_seconds},
            )
        else:
            due = "CAST(:base AS timestamptz) + (s.i - 1) * make_interval(secs => :step)"
            await session.execute(
                text(
                    "INSERT INTO due_work (kind, subject_id, due_at, available_at, state, "
                    f"attempts) SELECT :kind, s.i, {due}, {due}, 'pending', 0 "
                    "FROM generate_series(1, :count) AS s(i)"
                ),
                {"count": count, "kind": kind, "base": first_due, "step": step_seconds},
            )
    async with database.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


def resident_memory_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MiB."""
    current = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0…1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def interaction_handling(bot: Any) -> Iterator[list[float]]:
    """Seconds from each interaction's arrival to its reply leaving, appended to the yielded list
    while the block runs. Taken from the bot's own hooks, so the simulator's side is not counted.

    Arrival is when discord.py reads the INTERACTION_CREATE event, before it starts the command:
    the `interaction` event is dispatched after the command's task is made, so a listener for it
    would first run once the command awaits something, leaving out the command's start."""
    handling: list[float] = []
    arrived: dict[int, float] = {}
    parsers = bot._connection.parsers  # discord.py's gateway event handlers, by event name
    parse = parsers["INTERACTION_CREATE"]

    def arriving(data: Any) -> None:
        arrived[int(data["id"])] = time.perf_counter()
        parse(data)

    adapter = discord.webhook.async_.AsyncWebhookAdapter
    original = adapter.create_interaction_response

    async def timed_response(self: Any, interaction_id: int, *a: Any, **k: Any) -> Any:
        # The moment the reply leaves: discord.py is about to send the callback.
        if int(interaction_id) in arrived:
            handling.append(time.perf_counter() - arrived.pop(int(interaction_id)))
        return await original(self, interaction_id, *a, **k)

    parsers["INTERACTION_CREATE"] = arriving
    adapter.create_interaction_response = timed_response  # type: ignore[method-assign]
    try:
        yield handling
    finally:
        adapter.create_interaction_response = original  # type: ignore[method-assign]
        parsers["INTERACTION_CREATE"] = parse


@dataclass(frozen=True)
class WaveFigures:
    """A wave of DMs against its floor: the requests Discord accepted at GLOBAL_LIMIT per second
    (the sends and the DM opens they needed), and per member how many copies arrived."""

    elapsed: float
    opens: int
    messages: int
    limited: int  # requests answered 429
    lost: int  # members who got none
    duplicated: int  # members who got more than one

    @property
    def requests(self) -> int:
        return self.opens + self.messages

    @property
    def floor(self) -> float:
        return self.requests / GLOBAL_LIMIT

    @property
    def ratio(self) -> float:
        return self.elapsed / self.floor if self.floor else float("inf")

    @property
    def share_429(self) -> float:
        tried = self.requests + self.limited
        return self.limited / tried if tried else 0.0

    @property
    def ok(self) -> bool:
        return (
            self.ratio <= WAVE_RATIO_LIMIT
            and self.lost == 0
            and self.duplicated == 0
            and self.share_429 < 0.01
        )

    def report(self, name: str) -> str:
        return (
            f"  {name}: {self.requests:,} requests accepted ({self.opens:,} DM opens, "
            f"{self.messages:,} messages), {self.limited} answered 429 ({self.share_429:.2%})\n"
            f"    time: {self.elapsed:.1f} s; floor at {GLOBAL_LIMIT}/s: {self.floor:.1f} s; "
            f"ratio {self.ratio:.3f} (limit {WAVE_RATIO_LIMIT}); lost: {self.lost}, "
            f"duplicates: {self.duplicated}; {'OK' if self.ok else 'FAIL'}"
        )


def wave_figures(
    requests: Sequence[SimRequest], elapsed: float, copies: Iterable[int]
) -> WaveFigures:
    """`requests`: the simulator's requests made during the wave; `copies`: per member, how
    many of the wave's messages reached them."""
    ours = [r for r in requests if r.route in (SEND, OPEN_DM)]
    accepted = [r for r in ours if r.ok]
    got = Counter(copies)
    return WaveFigures(
        elapsed=elapsed,
        opens=sum(1 for r in accepted if r.route == OPEN_DM),
        messages=sum(1 for r in accepted if r.route == SEND),
        limited=sum(1 for r in ours if r.status == 429),
        lost=got.get(0, 0),
        duplicated=sum(n for k, n in got.items() if k > 1),
    )
