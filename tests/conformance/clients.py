"""Installing the pinned client libraries and talking to their driver scripts.

Each driver (`discordjs/driver.mjs`, `hikari/driver.py`) is a small bot for the library it
names. It prints one JSON object a line: `{"event": ...}` for what its library saw and
`{"re": id, ...}` answering a request the test wrote to its stdin. The libraries are
installed outside git into `.cache/conformance/<name>/`, once per pinned lock file.
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
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.simulator import Simulator
from bot.simulator.waiting import Changes

HERE = Path(__file__).parent
CACHE = HERE.parent.parent / ".cache" / "conformance"
INSTALL_TIMEOUT = 300.0
STOP_TIMEOUT = 5.0

Event = dict[str, Any]


class ClientUnavailable(Exception):
    """The client library cannot be installed here (no node/npm, or no registry)."""


@dataclass(frozen=True)
class Installed:
    """How to start a driver: its command line and the environment it needs beyond ours."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]


def install_discordjs(cache: Path = CACHE / "discordjs") -> Installed:
    """`npm ci` the pinned discord.js into `cache` unless that exact lock is there already."""
    source = HERE / "discordjs"
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise ClientUnavailable("node and npm are not on PATH")

    def install() -> None:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(source / name, cache / name)
        _run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=cache)

    _once(cache, source / "package-lock.json", install)
    return Installed(
        "discord.js", (node, str(source / "driver.mjs")), {"CONFORMANCE_MODULES": str(cache)}
    )


def install_hikari(cache: Path = CACHE / "hikari") -> Installed:
    """A venv of its own for hikari: its pins (multidict) conflict with the project's."""
    source = HERE / "hikari"
    python = cache / "bin" / "python"

    def install() -> None:
        shutil.rmtree(cache)
        # The base interpreter, not the project's venv: nothing of ours leaks in.
        base = getattr(sys, "_base_executable", sys.executable)
        _run([base, "-m", "venv", str(cache)], cwd=source)
        requirements = str(source / "requirements.txt")
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, "--no-deps", "--only-binary", ":all:", "-r", requirements], cwd=source)

    _once(cache, source / "requirements.txt", install)
    return Installed("hikari", (str(python), str(source / "driver.py")), {})


def _once(cache: Path, lock_file: Path, install: Callable[[], None]) -> None:
    digest = hashlib.sha256(lock_file.read_bytes()).hexdigest()
    cache.mkdir(parents=True, exist_ok=True)
    # Two test runs at once (SQLite and PostgreSQL side by side) must not both install.
    with (cache.parent / f".{cache.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = cache.parent / f".{cache.name}.installed"
        if stamp.is_file() and stamp.read_text() == digest and cache.is_dir():
            return
        stamp.unlink(missing_ok=True)
        install()
        stamp.write_text(digest)


def _run(argv: Sequence[str], *, cwd: Path) -> None:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise ClientUnavailable(f"{argv[0]} took over {INSTALL_TIMEOUT:g} s") from error
    if done.returncode != 0:
        raise ClientUnavailable(f"{' '.join(argv[:3])} failed: {done.stderr.strip()[-2000:]}")


class DriverFailed(AssertionError):
    """The library reported an error, its driver exited, or it did not answer in time."""


class DriverClient:
    """The running driver: what it reported so far, and requests to it."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, *, within: float) -> None:
        self.name = name
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
            try:
                report: Event = json.loads(line)
            except ValueError:
                # Something in the library printed to stdout; keep it for the failure message.
                report = {"event": "stray output", "line": line.decode(errors="replace")}
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
                raise DriverFailed(f"{self.name} failed while waiting for {event!r}: {self.errors}")
            if self._reader.done():
                raise DriverFailed(f"the driver exited before {event!r}")
            return None

        try:
            return await self._changes.wait_until(probe, self.within)
        except TimeoutError:
            raise DriverFailed(
                f"no {event!r} from {self.name} within {self.within:g} s; errors: {self.errors}"
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
                f"{self.name} did not finish {action!r} within {self.within:g} s"
            ) from None
        if not answer["ok"]:
            raise DriverFailed(f"{self.name} failed to {action}: {answer}")
        return answer

    async def stop(self) -> None:
        """Ask the bot to log out; one that does not within a few seconds is killed."""
        assert self.process.stdin is not None
        with contextlib.suppress(ConnectionError):
            self.process.stdin.write(json.dumps({"id": 0, "do": "stop"}).encode() + b"\n")
            await self.process.stdin.drain()
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self._reader


@contextlib.asynccontextmanager
async def running(
    sim: Simulator, installed: Installed, *, log: Path, within: float = 10.0
) -> AsyncIterator[DriverClient]:
    """The driver's bot logged in to `sim`; its library's debug log is written to `log`."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "SIM_API": sim.api_base,
        "SIM_TOKEN": sim.token,
        **installed.env,
    }
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *installed.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        client = DriverClient(installed.name, process, within=within)
        try:
            yield client
        finally:
            await client.stop()
