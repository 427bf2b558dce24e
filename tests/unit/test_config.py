from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "STEADY_DATABASE_URL",
        "STEADY_LOG_LEVEL",
        "STEADY_DEFAULT_TIMEZONE",
        "STEADY_DEV_GUILD_ID",
        "STEADY_CONFIG",
        "STEADY_DISCORD_TOKEN",
        "STEADY_TOKEN",
        "DISCORD_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body)
    return path


def test_defaults_need_no_file() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/steady.db"
    assert settings.default_timezone == "UTC"
    assert settings.discord_token is None


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path, 'log_level = "DEBUG"\ndefault_timezone = "Europe/London"\n')
    monkeypatch.setenv("STEADY_DEFAULT_TIMEZONE", "Asia/Tokyo")
    settings = load_settings(path)
    assert settings.log_level == "DEBUG"
    assert settings.default_timezone == "Asia/Tokyo"


def test_plain_postgres_url_gets_the_async_driver(tmp_path: Path) -> None:
    settings = load_settings(_file(tmp_path, 'database_url = "postgresql://u:pw@db/steady"\n'))
    assert settings.database_url == "postgresql+asyncpg://u:pw@db/steady"
    assert settings.masked()["database_url"] == "postgresql+asyncpg://u:***@db/steady"


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ('default_timezone = "EST"', "default_timezone", "IANA timezone"),
        ('database_url = "mysql://x/y"', "database_url", "sqlite+aiosqlite or postgresql+asyncpg"),
        ('database_url = "not a url"', "database_url", "database URL"),
        ('dev_guild_id = "abc"', "dev_guild_id", "integer"),
        ('log_level = "LOUD"', "log_level", "'INFO'"),
        ("colour = 3", "colour", "unknown setting"),
    ],
)
def test_bad_values_name_the_key_and_what_is_expected(
    tmp_path: Path, body: str, key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_file(tmp_path, body))
    assert key in str(caught.value)
    assert expected in str(caught.value)


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEADY_DEFAULT_TIMEZONE", "UTC+3")
    with pytest.raises(ConfigError, match="STEADY_DEFAULT_TIMEZONE"):
        load_settings()


def test_token_is_refused_in_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN environment variable"):
        load_settings(_file(tmp_path, 'discord_token = "abc"'))


def test_token_comes_from_the_environment_and_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very-secret")
    settings = load_settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "very-secret"
    assert "very-secret" not in str(settings.masked())


def test_missing_and_malformed_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="config file"):
        load_settings(_file(tmp_path, "log_level = "))


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example)
    assert settings.default_timezone == "UTC"


@pytest.mark.parametrize("level", ["debug", "Warning", " info "])
def test_log_level_is_case_insensitive(tmp_path: Path, level: str) -> None:
    settings = load_settings(_file(tmp_path, f'log_level = "{level}"'))
    assert settings.log_level == level.strip().upper()


@pytest.mark.parametrize("name", ["STEADY_DISCORD_TOKEN", "STEADY_TOKEN"])
def test_a_token_in_a_steady_variable_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "abc")
    with pytest.raises(ConfigError, match=f"^{name}: .*DISCORD_TOKEN environment variable"):
        load_settings()


def test_canonical_utc_names_are_a_valid_default_timezone(tmp_path: Path) -> None:
    assert load_settings(_file(tmp_path, 'default_timezone = "Etc/UTC"')).default_timezone == (
        "Etc/UTC"
    )


PG = 'database_url = "postgresql://u:pw@db/steady"\n'


def test_each_of_several_processes_names_its_shard(tmp_path: Path) -> None:
    settings = load_settings(_file(tmp_path, PG + "shard_id = 1\nshard_count = 2\n"))
    assert (settings.shard_id, settings.shard_count) == (1, 2)
    alone = load_settings()
    assert (alone.shard_id, alone.shard_count) == (None, None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (PG + "shard_id = 1\n", "shard_id and shard_count together"),
        (PG + "shard_count = 2\n", "shard_id and shard_count together"),
        (PG + "shard_id = 2\nshard_count = 2\n", "0 to 1 for 2 shards"),
        (PG + "shard_id = -1\nshard_count = 2\n", "greater than or equal to 0"),
        ("shard_id = 0\nshard_count = 2\n", "need PostgreSQL"),
    ],
)
def test_a_shard_that_cannot_work_is_refused_with_the_reason(
    tmp_path: Path, body: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(_file(tmp_path, body))
