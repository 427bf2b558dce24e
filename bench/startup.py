"""Start-up with 100,000 pending rows: from the process's first step (migrate) to logged in,
READY from the simulator and the wake-up armed, in under 3 s; resident memory."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.common import backend, bulk_due_work, fresh_database, resident_memory_mb
from bot import runtime
from bot.clock import SystemClock
from bot.config import Settings
from bot.db.models import DueWork
from bot.scheduling.kinds import DueItem, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.simulator import Simulator, harness

PENDING = 100_000
OVERDUE = 1_000
KIND = "bench.noop"


async def _noop(session: AsyncSession, item: DueItem, subject: int) -> None:
    return None


async def run() -> dict[str, float]:
    print(f"\n== start-up ({backend()}): {PENDING:,} pending rows, {OVERDUE:,} of them overdue")
    clock = SystemClock()
    async with fresh_database() as url:
        settings = Settings(database_url=url.render_as_string(hide_password=False))
        seed = await runtime.open_database(settings)
        # Spread over the next month, the first OVERDUE came due while the bot was down.
        step = 30 * 24 * 3600 / PENDING
        await bulk_due_work(
            seed, KIND, PENDING, clock.now() - timedelta(seconds=step * OVERDUE), step
        )
        await seed.dispose()

        before, _ = resident_memory_mb()
        async with Simulator() as sim:
            sim.add_guild("Bench")
            started = time.perf_counter()
            # What `python -m bot run` does: migrate, build, log in, connect, wait for READY;
            # the scheduler is started and the wake-up armed in setup_hook during login.
            database = await runtime.open_database(settings)
            bot = runtime.create_bot(settings, database, clock, guild_ready_timeout=0.05)
            bot.work_kinds.register(WorkKind(KIND, nothing_to_lock, _noop))
            with sim.discord_endpoints():
                async with harness.running(
                    bot, sim.token, ready_timeout=60, stop=lambda: runtime.shutdown(bot)
                ):
                    ready = time.perf_counter() - started
                    # Armed: the wake-up job exists, or already fired for the overdue rows.
                    armed_at = bot.wakeups.armed_at
                    assert bot.scheduler.running
                    assert armed_at is not None
                    after, peak = resident_memory_mb()
                    # The catch-up the armed job starts at once (not part of "ready").
                    caught_up = time.perf_counter()
                    await bot.run_due()  # waits for a pass the wake-up job began, if any
                    catch_up = time.perf_counter() - caught_up
                    async with database.read() as session:
                        handled = await session.scalar(
                            select(func.count()).select_from(DueWork).where(DueWork.state == "done")
                        )

    verdict = "OK" if ready < 3 else "FAIL"
    print(f"  ready and armed in {ready:.2f} s (must be under 3): {verdict}")
    print(f"  wake-up armed for {armed_at:%Y-%m-%d %H:%M:%S} UTC (the earliest due row)")
    print(
        f"  resident memory: {after:.0f} MiB (was {before:.0f} MiB before start; peak {peak:.0f})"
    )
    print(f"  catch-up of the overdue rows: {handled or 0:,} handled in {catch_up:.2f} s")
    return {"startup_s": ready, "rss_mb": after, "catch_up_s": catch_up}
