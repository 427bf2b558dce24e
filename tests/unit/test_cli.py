"""The CLI as an operator meets it: one clear line and an exit code, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.security.notes import KEYS_ENV, generate_key

ROOT = Path(__file__).resolve().parents[2]


def _cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STEADY_")}
    clean.pop("DISCORD_TOKEN", None)
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_exits_2_naming_the_variable_and_the_demo(tmp_path: Path) -> None:
    result = _cli("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0]
    assert "make demo" in lines[0]
    assert not (tmp_path / "data").exists(), "nothing is created before the token is checked"


def test_invalid_config_is_one_line_with_the_key(tmp_path: Path) -> None:
    result = _cli("check-config", cwd=tmp_path, env={"STEADY_DEFAULT_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "default_timezone" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_prints_effective_settings_with_secrets_masked(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'database_url = "postgresql+asyncpg://steady:hunter2@db/steady"\n'
    )
    result = _cli("check-config", cwd=tmp_path, env={"DISCORD_TOKEN": "tok-123"})
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert "tok-123" not in result.stdout
    assert "steady:***@db" in result.stdout


def test_migrate_creates_the_sqlite_folder_and_reports_the_revision(tmp_path: Path) -> None:
    result = _cli("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "steady.db").exists()
    assert "revision" in result.stdout


@pytest.mark.parametrize("command", ["run", "migrate", "check-config", "sync", "demo"])
def test_every_subcommand_has_help(tmp_path: Path, command: str) -> None:
    result = _cli(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: python -m bot" in result.stdout


@pytest.mark.parametrize("command", ["migrate", "run"])
def test_an_unwritable_sqlite_path_is_one_line_naming_database_url(
    tmp_path: Path, command: str
) -> None:
    env = {"STEADY_DATABASE_URL": "sqlite+aiosqlite:////proc/x.db", "DISCORD_TOKEN": "tok"}
    result = _cli(command, cwd=tmp_path, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "database_url" in lines[0]
    assert "/proc/x.db" in lines[0]
    assert "unable to open database file" in lines[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", ["migrate", "run"])
def test_an_unreachable_postgresql_names_the_database_but_not_the_password(
    tmp_path: Path, command: str
) -> None:
    port = _free_port()  # nothing listens there
    url = f"postgresql+asyncpg://steady:hunter2@127.0.0.1:{port}/recovery"
    # PostgreSQL needs the notes' keys before it connects; with them, the connection is next.
    env = {"STEADY_DATABASE_URL": url, "DISCORD_TOKEN": "t", KEYS_ENV: generate_key()}
    result = _cli(command, cwd=tmp_path, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "database_url" in lines[0]
    assert f"recovery on 127.0.0.1:{port}" in lines[0]
    assert "refused" in lines[0]
    assert "hunter2" not in result.stderr


def test_config_works_after_the_subcommand_too(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('default_timezone = "Asia/Tokyo"\n')
    after = _cli("check-config", "--config", str(config), cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert '"default_timezone": "Asia/Tokyo"' in after.stdout
    before = _cli("--config", str(config), "check-config", cwd=tmp_path)
    assert before.stdout == after.stdout


def test_a_token_in_steady_discord_token_is_refused_naming_that_variable(
    tmp_path: Path,
) -> None:
    result = _cli("check-config", cwd=tmp_path, env={"STEADY_DISCORD_TOKEN": "tok-123"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: STEADY_DISCORD_TOKEN:")
    assert "DISCORD_TOKEN environment variable" in lines[0]
    assert "tok-123" not in result.stderr
