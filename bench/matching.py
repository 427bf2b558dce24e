"""Batch matching: a waitlist of 10,000 and 1,000 mentors with capacities 1–5.

Targets: the optimal batch is solved in under 5 s, and its total score is at least the greedy
baseline's. Exits non-zero when either is missed. Pure computation, so no database is involved;
the solve runs in a worker thread as `/mentors match-waitlist` runs it.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.assignment import greedy, optimal
from bot.domain.matching import (
    DEFAULT_DAY,
    MENTOR,
    SLOT_MINUTES,
    SPONSOR,
    Mentor,
    Request,
    Window,
    focus_key,
    week_start,
    weekly_mask,
)
from bot.domain.matching_input import DEFAULT_FOCUS_LIST

WAITLIST = 10_000
MENTORS = 1_000
TARGET_SECONDS = 5.0
NOW = datetime(2026, 3, 5, 12, tzinfo=UTC)  # a week with the US change to summer time in it
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
]
# Most members speak English; some ask for another language.
LANGUAGES = ["en"] * 10 + ["es", "es", "es", "fr", "de", "pt", "hi", "zh"]


def _windows(rng: random.Random) -> tuple[Window, ...]:
    windows = []
    for _ in range(rng.randint(1, 2)):
        start = rng.randrange(0, 96) * SLOT_MINUTES
        length = rng.randrange(4, 20) * SLOT_MINUTES
        windows.append(Window(start, (start + length) % (24 * 60)))
    return tuple(windows)


def population(seed: int = 11) -> tuple[list[Request], list[Mentor]]:
    rng = random.Random(seed)
    start = week_start(NOW)
    focus = [focus_key(name) for name in DEFAULT_FOCUS_LIST]
    zones = [ZoneInfo(name) for name in ZONES]
    mentors = [
        Mentor(
            user_id=1_000_000 + i,
            kind=SPONSOR if rng.random() < 0.3 else MENTOR,
            capacity=rng.randint(1, 5),
            load=0,
            focus=frozenset(rng.sample(focus, rng.randint(1, 4))),
            languages=frozenset({"en", rng.choice(LANGUAGES)}),
            availability=weekly_mask(_windows(rng), rng.choice(zones), start),
        )
        for i in range(MENTORS)
    ]
    requests = [
        Request(
            requester_id=i + 1,
            kind=SPONSOR if rng.random() < 0.15 else MENTOR,
            focus=frozenset(rng.sample(focus, rng.randint(0, 3))),
            language=rng.choice([*LANGUAGES, None, None, None]),
            availability=weekly_mask(DEFAULT_DAY, rng.choice(zones), start),
        )
        for i in range(WAITLIST)
    ]
    return requests, mentors


async def run() -> dict[str, float]:
    print(f"\n== matching: a waitlist of {WAITLIST:,}, {MENTORS:,} mentors with capacities 1–5")
    requests, mentors = population()
    places = sum(m.capacity for m in mentors)
    started = time.perf_counter()
    baseline = await asyncio.to_thread(greedy, requests, mentors)
    greedy_s = time.perf_counter() - started
    started = time.perf_counter()
    batch = await asyncio.to_thread(optimal, requests, mentors)
    batch_s = time.perf_counter() - started
    print(f"  {places:,} free places")
    print(
        f"  greedy : {len(baseline.pairs):>5,} matched, total {baseline.total:>10,}, "
        f"average {baseline.average:7.1f}, {greedy_s:5.2f} s"
    )
    print(
        f"  optimal: {len(batch.pairs):>5,} matched, total {batch.total:>10,}, "
        f"average {batch.average:7.1f}, {batch_s:5.2f} s "
        f"(+{batch.total - baseline.total:,} points over greedy)"
    )
    fast = batch_s < TARGET_SECONDS
    better = batch.total >= baseline.total
    verdict = "OK" if fast and better else "FAIL"
    print(f"  solve under {TARGET_SECONDS:g} s and total >= greedy: {verdict}")
    if verdict == "FAIL":
        raise SystemExit(1)
    return {"matching_s": batch_s, "matching_total": batch.total, "greedy_total": baseline.total}
