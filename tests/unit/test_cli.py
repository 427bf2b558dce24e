"""The CLI as an operator meets it: one clear line and an exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
