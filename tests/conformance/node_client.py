"""Installing the pinned discord.js and talking to its driver script over stdin/stdout.

The driver (`discordjs/driver.mjs`) prints one JSON object a line: `{"event": ...}` for what
discord.js saw and `{"re": id, ...}` answering a request the test wrote to its stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from bot.simulator import Simulator
from bot.simulator.waiting import Changes

HERE = Path(__file__).parent
DRIVER_DIR = HERE / "discordjs"
REPO = HERE.parent.parent
CACHE = REPO / ".cache" / "conformance" / "discordjs"
INSTALL_TIMEOUT = 300.0

Event = dict[str, Any]


class ClientUnavailable(Exception):
    """The client library cannot be installed here (no node/npm, or the registry is down)."""


def install_discordjs(cache: Path = CACHE) -> Path:
    """`npm ci` the pinned lock into `cache` unless that exact lock is installed already."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise ClientUnavailable("node and npm are not on PATH")
    digest = hashlib.sha256((DRIVER_DIR / "package-lock.json").read_bytes()).hexdigest()
    cache.mkdir(parents=True, exist_ok=True)
    # Two test runs at once (SQLite and PostgreSQL side by side) must not both run npm ci.
    with (cache.parent / f".{cache.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install(npm, cache, digest)


def _install(npm: str, cache: Path, digest: str) -> Path:
    stamp = cache / ".installed-lock-sha256"
    if stamp.is_file() and stamp.read_text() == digest:
        return cache
    stamp.unlink(missing_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(DRIVER_DIR / name, cache / name)
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=cache,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ClientUnavailable(f"npm ci took over {INSTALL_TIMEOUT:g} s") from error
    if done.returncode != 0:
        raise ClientUnavailable(f"npm ci failed: {done.stderr.strip()[-2000:]}")
    stamp.write_text(digest)
    return cache


class DriverFailed(AssertionError):
    pass


class NodeClient:
    """The running driver: what it reported so far, and requests to it."""

    def __init__(self, process: asyncio.subprocess.Process, *, within: float) -> None:
        self.process = process
        self.events: list[Event] = []
        self.answers: dict[int, Event] = {}
        self.within = within
        self._changes = Changes()
        self._next_id = 0
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            report: Event = json.loads(line)
            if "re" in report:
                self.answers[int(report["re"])] = report
            else:
                self.events.append(report)
            self._changes.notify()
        self._changes.notify()

    @property
    def errors(self) -> list[Event]:
        return [e for e in self.events if e.get("event") == "error"]

    async def wait_for(self, event: str, predicate: Callable[[Event], bool] | None = None) -> Event:
        """The first reported `event` matching `predicate`; fails if the driver dies first."""

        def probe() -> Event | None:
            for report in self.events:
                if report.get("event") == event and (predicate is None or predicate(report)):
                    return report
            if self.errors:
                raise DriverFailed(f"discord.js failed while waiting for {event!r}: {self.errors}")
            if self._reader.done():
                raise DriverFailed(f"the driver exited before {event!r}")
            return None

        try:
            return await self._changes.wait_until(probe, self.within)
        except TimeoutError:
            raise DriverFailed(
                f"no {event!r} from discord.js within {self.within:g} s; errors: {self.errors}"
            ) from None

    async def do(self, action: str, **arguments: Any) -> Event:
        """Ask the driver to act as the bot (send, thread, ...); its answer, which must be ok."""
        self._next_id += 1
        request_id = self._next_id
        assert self.process.stdin is not None
        request = {"id": request_id, "do": action, **arguments}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        await self.process.stdin.drain()

        def probe() -> Event | None:
            if self._reader.done() and request_id not in self.answers:
                raise DriverFailed(f"the driver exited before answering {action!r}")
            return self.answers.get(request_id)

        try:
            answer = await self._changes.wait_until(probe, self.within)
        except TimeoutError:
            raise DriverFailed(
                f"discord.js did not finish {action!r} within {self.within:g} s"
            ) from None
        if not answer["ok"]:
            raise DriverFailed(f"discord.js failed to {action}: {answer}")
        return answer

    async def stop(self) -> None:
        with contextlib.suppress(DriverFailed, ConnectionError):
            if self.process.returncode is None:
                await self.do("stop")
        try:
            await asyncio.wait_for(self.process.wait(), self.within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self._reader


@contextlib.asynccontextmanager
async def running_discordjs(
    sim: Simulator, modules: Path, *, log: Path, within: float = 15.0
) -> AsyncIterator[NodeClient]:
    """The discord.js bot logged in to `sim`; its debug log is written to `log`."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "SIM_API": sim.api_base.removesuffix("/v10"),
        "SIM_TOKEN": sim.token,
        "CONFORMANCE_MODULES": str(modules),
    }
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(DRIVER_DIR / "driver.mjs"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        client = NodeClient(process, within=within)
        try:
            yield client
        finally:
            await client.stop()
