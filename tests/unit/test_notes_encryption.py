"""Notes at rest: keys from the environment or a private key file, rotation, clear errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from bot.config import load_settings
from bot.errors import ConfigError
from bot.security.notes import (
    KEYS_ENV,
    NotesCipher,
    NoteUnreadable,
    generate_key,
    key_file_for,
    load_cipher,
    load_or_create_key_file,
    parse_keys,
)

ROOT = Path(__file__).resolve().parents[2]
NOTE = "Rough night. Called my sister — ¿mañana mejor?"
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def test_a_note_round_trips_and_the_token_does_not_hold_it() -> None:
    cipher = NotesCipher(parse_keys(generate_key()))
    token = cipher.encrypt(NOTE)
    assert NOTE.encode() not in token
    assert b"sister" not in token
    assert cipher.decrypt(token) == NOTE
    assert cipher.encrypt(NOTE) != token, "each encryption is fresh (random IV)"


def test_rotation_old_key_still_decrypts_and_rotated_tokens_need_only_the_new_key() -> None:
    old, new = generate_key(), generate_key()
    before = NotesCipher(parse_keys(old)).encrypt(NOTE)
    during = NotesCipher(parse_keys(f"{new},{old}"))
    assert during.decrypt(before) == NOTE, "the old key still reads notes written before"
    rotated = during.rotate(before)
    after = NotesCipher(parse_keys(new))
    assert after.decrypt(rotated) == NOTE
    with pytest.raises(NoteUnreadable):
        after.decrypt(before)
    with pytest.raises(NoteUnreadable):
        NotesCipher(parse_keys(old)).decrypt(rotated)


def test_the_newest_key_is_the_one_that_encrypts() -> None:
    old, new = generate_key(), generate_key()
    token = NotesCipher(parse_keys(f"{new},{old}")).encrypt(NOTE)
    assert NotesCipher(parse_keys(new)).decrypt(token) == NOTE


def test_a_wrong_key_or_a_damaged_token_is_unreadable_not_garbage() -> None:
    token = NotesCipher(parse_keys(generate_key())).encrypt(NOTE)
    with pytest.raises(NoteUnreadable):
        NotesCipher(parse_keys(generate_key())).decrypt(token)
    with pytest.raises(NoteUnreadable):
        NotesCipher(parse_keys(generate_key())).rotate(token)
    with pytest.raises(NoteUnreadable):
        NotesCipher(parse_keys(generate_key())).decrypt(b"not a token")


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("", "no key given"),
        ("  ", "no key given"),
        ("abc", "key 1 of 1 is not a Fernet key"),
        ("KEY,", "empty entry"),
    ],
)
def test_bad_keys_say_which_and_never_echo_them(raw: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as caught:
        parse_keys(raw.replace("KEY", generate_key()))
    assert "abc" not in str(caught.value)


def test_a_bad_second_key_and_a_repeated_key_are_named_by_position() -> None:
    key = generate_key()
    with pytest.raises(ValueError, match="key 2 of 2 is not a Fernet key"):
        parse_keys(f"{key},{key[:-2]}")
    with pytest.raises(ValueError, match="key 2 of 2 repeats"):
        parse_keys(f"{key}, {key}")


def test_the_variable_wins_over_the_key_file(tmp_path: Path) -> None:
    key = generate_key()
    cipher = load_cipher(keys=key, database=make_url(_sqlite(tmp_path / "steady.db")))
    assert Fernet(key.encode()).decrypt(cipher.encrypt(NOTE)).decode() == NOTE
    assert not (tmp_path / "steady.db.key").exists()


def test_an_invalid_variable_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_cipher(keys="abc", database=make_url(_sqlite(tmp_path / "steady.db")))
    message = str(caught.value)
    assert message.startswith(f"{KEYS_ENV}: ")
    assert "\n" not in message
    assert "keygen" in message


@posix_only
def test_sqlite_without_keys_creates_a_private_key_file_and_reuses_it(tmp_path: Path) -> None:
    database = make_url(_sqlite(tmp_path / "data" / "steady.db"))
    first = load_cipher(keys=None, database=database)
    path = tmp_path / "data" / "steady.db.key"
    assert key_file_for(database) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = first.encrypt(NOTE)
    content = path.read_text()
    again = load_cipher(keys="", database=database)
    assert again.decrypt(token) == NOTE, "the second start reads what the first wrote"
    assert path.read_text() == content, "the key file is reused, not replaced"


@posix_only
def test_the_key_file_is_private_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        load_or_create_key_file(tmp_path / "steady.db.key")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "steady.db.key").stat().st_mode) == 0o600


@posix_only
def test_a_key_file_others_can_read_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "steady.db.key"
    load_or_create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"mode 644.*chmod 600"):
        load_or_create_key_file(path)


@posix_only
def test_a_key_file_can_hold_rotated_keys_newest_first(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    path = tmp_path / "steady.db.key"
    path.write_text(f"# comment\n{new}\n\n{old}\n")
    path.chmod(0o600)
    keys = load_or_create_key_file(path)
    assert keys == (new.encode(), old.encode())


@posix_only
def test_a_damaged_key_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "steady.db.key"
    path.write_text("not-a-key\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=r"steady.db.key: key 1 of 1 is not a Fernet key"):
        load_or_create_key_file(path)


def test_postgresql_without_keys_is_a_start_up_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=f"^{KEYS_ENV} is not set") as caught:
        load_cipher(keys=None, database=make_url("postgresql+asyncpg://u:p@db/steady"))
    assert "\n" not in str(caught.value)


def test_an_in_memory_database_gets_a_key_for_the_process_only(tmp_path: Path) -> None:
    database = make_url("sqlite+aiosqlite:///:memory:")
    assert key_file_for(database) is None
    cipher = load_cipher(keys=None, database=database)
    assert cipher.decrypt(cipher.encrypt(NOTE)) == NOTE


def test_configuration_validates_the_variable_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEADY_CONFIG", raising=False)
    monkeypatch.setenv(KEYS_ENV, "nope")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert f"encryption_keys (or {KEYS_ENV}): key 1 of 1" in str(caught.value)
    key = generate_key()
    monkeypatch.setenv(KEYS_ENV, key)
    settings = load_settings()
    assert settings.encryption_keys is not None
    assert settings.encryption_keys.get_secret_value() == key
    assert settings.masked()["encryption_keys"] == "set (hidden)"
    assert key not in str(settings.masked())


def test_keys_in_the_config_file_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    path = tmp_path / "config.toml"
    path.write_text(f'encryption_keys = "{generate_key()}"\n')
    with pytest.raises(ConfigError, match=f"must not be in the config file.*{KEYS_ENV}"):
        load_settings(path)


def test_keygen_prints_a_usable_key_and_needs_no_configuration(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEADY_")}
    env["PYTHONPATH"] = str(ROOT)
    env["STEADY_DATABASE_URL"] = "not a url"  # keygen must not even read the configuration
    result = subprocess.run(
        [sys.executable, "-m", "bot", "keygen"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (key,) = result.stdout.split()
    assert NotesCipher(parse_keys(key)).decrypt(Fernet(key.encode()).encrypt(b"x")) == "x"
    assert list(tmp_path.iterdir()) == [], "nothing is written"


def test_run_on_postgresql_without_keys_stops_before_connecting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEADY_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": "tok-123",
        # Port 1 on loopback: nothing listens, so any connection attempt would fail differently.
        "STEADY_DATABASE_URL": "postgresql+asyncpg://steady:pw@127.0.0.1:1/steady",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {KEYS_ENV} is not set")
    assert result.stderr.count("\n") == 1
