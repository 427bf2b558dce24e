"""`python -m bot` itself, in a process of its own: the real clock, APScheduler's wake-ups,
SIGTERM and the CLI's errors, against the simulator. The other end-to-end tests drive the same
bot inside the test process with a manual clock, where none of that runs. Few and short, and
never a sleep: each waits on what the simulator sees."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL

from bot import runtime
from bot.config import TOKEN_ENV, Settings
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.security.notes import KEYS_ENV
from bot.simulator import SimGuild, SimMember, Simulator
from tests.e2e.checkins_helpers import pair
from tests.e2e.conftest import World, url_text
from tests.e2e.test_delivery import SEND

ROOT = Path(__file__).resolve().parents[2]

# The CLI's own `main`, as `python -m bot` runs it; only Discord's endpoints point elsewhere.
CLI = """
import sys
from bot.__main__ import main
from bot.simulator.harness import discord_endpoints

with discord_endpoints(sys.argv[1], sys.argv[2]):
    code = main(sys.argv[3:])
sys.exit(code)
"""


def _environment(**extra: str) -> dict[str, str]:
    """This environment without the developer's own STEADY_* settings (the keys stay: on
    PostgreSQL every process needs them), with `extra` on top."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("STEADY_") or k == KEYS_ENV}
    return {**kept, "PYTHONPATH": str(ROOT), **extra}


class Run:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log
        self.exit_code: int | None = None


def _writing(path: Path) -> IO[str]:
    return path.open("w")


@asynccontextmanager
async def steady_run(
    sim: Simulator,
    database_url: URL,
    workdir: Path,
    *,
    name: str = "steady",
    dev_guild: SimGuild | None = None,
) -> AsyncIterator[Run]:
    """`python -m bot run` on `database_url` until the block ends, then SIGTERM as a host
    stops it; its exit code is on the yielded `Run` afterwards."""
    env = _environment(STEADY_DATABASE_URL=url_text(database_url), **{TOKEN_ENV: sim.token})
    if dev_guild is not None:  # the commands are synced to it at start, as in development
        env["STEADY_DEV_GUILD_ID"] = str(dev_guild.id)
    log = workdir / f"{name}.log"
    with _writing(log) as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLI, sim.api_base, sim.gateway_url, "run",
            cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    run = Run(process, log)
    try:
        await sim.wait_for_bot(within=60)
        yield run
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        run.exit_code = await asyncio.wait_for(process.wait(), 60)


async def test_a_support_checkin_reaches_the_mentor_and_a_failed_send_is_retried_in_seconds(
    sim: Simulator, world: World, database_url: URL, tmp_path: Path
) -> None:
    alice, bob = world.alice, world.bob
    await pair(database_url, world, alice, bob)
    sim.fail_next(SEND, 503)  # Discord struggles as the mentor's DM goes out
    async with steady_run(sim, database_url, tmp_path, dev_guild=world.guild) as run:
        reply = await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
        assert "I've let your mentor know" in reply.content
        # Retried after its back-off (5 to 10 s), not at the sweep a minute after the start.
        dm = await sim.wait_for_message(bob, within=30)
    assert f"<@{alice.id}>" in dm.content
    assert "asked for support" in dm.content
    assert [r.status for r in sim.requests if r.route == SEND] == [503, 200]
    assert run.exit_code == 0, run.log.read_text()


async def _wave(database_url: URL, world: World, members: list[SimMember]) -> None:
    database = await runtime.open_database(Settings(database_url=url_text(database_url)))
    try:
        async with database.transaction() as session:
            for member in members:
                await enqueue(
                    session,
                    target=Target("dm", member.id),
                    message=OutgoingMessage(content="Your group starts in an hour."),
                    purpose="test.wave",
                    guild_id=world.guild.id,
                )
    finally:
        await database.dispose()


async def test_sigterm_mid_wave_exits_0_and_the_next_start_sends_the_rest_once(
    sim: Simulator, world: World, database_url: URL, tmp_path: Path
) -> None:
    members = [world.guild.add_member(f"member{i:03d}") for i in range(100)]
    await _wave(database_url, world, members)

    def delivered() -> int:
        return sum(1 for member in members if sim.dms(member))

    async with steady_run(sim, database_url, tmp_path, name="first") as first:
        await sim.wait_until(lambda: delivered() >= 10, within=60)
    assert first.exit_code == 0, first.log.read_text()
    assert delivered() < len(members)  # stopped mid-wave: the rest waits in the database

    async with steady_run(sim, database_url, tmp_path, name="second") as second:
        await sim.wait_until(lambda: delivered() == len(members), within=60)
    assert second.exit_code == 0, second.log.read_text()
    assert Counter(len(sim.dms(member)) for member in members) == {1: len(members)}


async def cli(sim: Simulator, workdir: Path, *args: str, **env: str) -> tuple[int, str]:
    """`python -m bot ARGS` to its end: the exit code and what it printed on stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLI, sim.api_base, sim.gateway_url, *args,
        cwd=workdir, env=_environment(**{TOKEN_ENV: sim.token, **env}),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


NOT_STEADYS = "123456789012345678"  # a server Steady was never added to


async def test_sync_to_a_server_steady_is_not_in_is_one_line_naming_it(
    sim: Simulator, world: World, database_url: URL, tmp_path: Path
) -> None:
    database = {"STEADY_DATABASE_URL": url_text(database_url)}
    code, stderr = await cli(sim, tmp_path, "sync", "--guild", NOT_STEADYS, **database)
    assert code == 1
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: Discord refused the slash commands for server {NOT_STEADYS}")
    assert "applications.commands" in last
    code, stderr = await cli(sim, tmp_path, "sync", "--guild", str(world.guild.id), **database)
    assert code == 0, stderr


async def test_run_with_a_dev_guild_steady_is_not_in_stops_with_one_line_naming_the_setting(
    sim: Simulator, world: World, database_url: URL, tmp_path: Path
) -> None:
    code, stderr = await cli(
        sim,
        tmp_path,
        "run",
        STEADY_DATABASE_URL=url_text(database_url),
        STEADY_DEV_GUILD_ID=NOT_STEADYS,
    )
    assert code == 1
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: Discord refused the slash commands for server {NOT_STEADYS}")
    assert "dev_guild_id" in last


async def test_run_without_the_members_intent_enabled_names_the_setting_and_the_portal(
    sim: Simulator, world: World, database_url: URL, tmp_path: Path
) -> None:
    sim.privileged_intents = set()  # the Developer Portal's toggle is off
    code, stderr = await cli(
        sim,
        tmp_path,
        "run",
        STEADY_DATABASE_URL=url_text(database_url),
        STEADY_MEMBERS_INTENT="true",
    )
    assert code == 1
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: Discord refused the Server Members intent")
    assert "members_intent = false" in last
    assert "Developer Portal" in last


async def test_a_token_reset_while_running_stops_with_one_line_naming_the_variable(
    sim: Simulator, world: World, database_url: URL, tmp_path: Path
) -> None:
    async with steady_run(sim, database_url, tmp_path) as run:
        await sim.reset_token()  # in the Developer Portal, after a leak
        await asyncio.wait_for(run.process.wait(), 60)
    assert run.exit_code == 1
    stderr = run.log.read_text()
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    assert TOKEN_ENV in last
