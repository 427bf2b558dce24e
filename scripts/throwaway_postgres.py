"""Run a command against a throwaway PostgreSQL server on loopback, then remove the server.

    python scripts/throwaway_postgres.py -- pytest ...

The command gets STEADY_TEST_DATABASE_URL. initdb refuses to run as root, so as root the server
runs as the `postgres` OS user (runuser). Without PostgreSQL binaries this prints a notice and
exits 0, unless CI=true, where a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: throwaway_postgres.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            print("error: PostgreSQL binaries (initdb) not found, and CI=true", file=sys.stderr)
            return 1
        print("PostgreSQL binaries not found: skipping the PostgreSQL test run (SQLite only).")
        return 0

    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="steady-pg-"))
    data, sockets = workdir / "data", workdir / "sock"
    sockets.mkdir()
    if as_root:
        shutil.chown(workdir, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    log = workdir / "server.log"
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError as exc:
        print(f"error: could not start PostgreSQL ({exc})", file=sys.stderr)
        if log.exists():
            print(log.read_text(), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
        return 1

    env = dict(os.environ)
    env["STEADY_TEST_DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    print(f"PostgreSQL started on 127.0.0.1:{port}", flush=True)
    try:
        return subprocess.run(argv, env=env, check=False).returncode
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
