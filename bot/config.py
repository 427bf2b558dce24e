"""Configuration: defaults < config file (TOML) < `STEADY_*` environment variables.

The Discord token is read only from the `DISCORD_TOKEN` environment variable, never from a file,
so it cannot end up committed next to the configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.domain.timezones import parse_timezone
from bot.errors import ConfigError, InvalidInput
from bot.security.notes import KEYS_ENV, parse_keys

ENV_PREFIX = "STEADY_"
TOKEN_ENV = "DISCORD_TOKEN"  # noqa: S105 (the variable's name, not a secret)
CONFIG_ENV = "STEADY_CONFIG"
DEFAULT_CONFIG_FILE = Path("config.toml")

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
        populate_by_name=True,
        frozen=True,
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///data/steady.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://…",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    dev_guild_id: int | None = Field(
        default=None, description="Guild whose commands are synced at start (development only)."
    )
    default_timezone: str = Field(
        default="UTC", description="IANA zone used when neither member nor guild chose one."
    )
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=300)
    # A Confirm button's life. Under Discord's 15-minute interaction token, so an expired prompt
    # can still be edited to say so.
    confirm_timeout_seconds: float = Field(default=600.0, gt=0, le=840)
    # The privileged Server Members intent (enable it in the Developer Portal first): with it,
    # a member who leaves has their data erased 30 days later unless they come back.
    members_intent: bool = False
    # Several processes: each its own shard of the gateway (Discord sends an event to every
    # session of its shard, so two processes on one shard would both handle every command).
    shard_id: int | None = Field(default=None, ge=0, description="This process's shard.")
    shard_count: int | None = Field(
        default=None, ge=1, description="How many shards (processes) there are."
    )
    discord_token: SecretStr | None = Field(default=None, validation_alias=TOKEN_ENV, exclude=True)
    # Read as STEADY_ENCRYPTION_KEYS; never from the config file (see _TokenFreeToml).
    encryption_keys: SecretStr | None = Field(
        default=None,
        exclude=True,
        description="Fernet keys for members' notes, comma separated, newest first.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "expected a database URL such as sqlite+aiosqlite:///data/steady.db "
                "or postgresql+asyncpg://user:password@host/steady"
            ) from exc
        driver = _DRIVERS.get(url.drivername)
        if driver is None:
            raise ValueError(
                f"unsupported database driver {url.drivername!r}; "
                "use sqlite+aiosqlite or postgresql+asyncpg"
            )
        if driver.startswith("sqlite") and not url.database:
            raise ValueError(
                "an SQLite URL needs a file path, e.g. sqlite+aiosqlite:///data/steady.db"
            )
        return url.set(drivername=driver).render_as_string(hide_password=False)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            return parse_timezone(value).key
        except InvalidInput as exc:
            raise ValueError(
                f"expected an IANA timezone such as Europe/London, got {value!r}"
            ) from exc

    @field_validator("encryption_keys")
    @classmethod
    def _usable_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            parse_keys(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _whole_shard(self) -> Settings:
        if (self.shard_id is None) != (self.shard_count is None):
            raise ValueError("set shard_id and shard_count together (or neither)")
        if self.shard_id is not None and self.shard_count is not None:
            if self.shard_id >= self.shard_count:
                raise ValueError(
                    f"shard_id must be below shard_count: 0 to {self.shard_count - 1} "
                    f"for {self.shard_count} shards, got {self.shard_id}"
                )
            if self.shard_count > 1 and self.is_sqlite:
                raise ValueError(
                    "several shards are several processes, and they need PostgreSQL: "
                    "on SQLite run one process, without shard_id and shard_count"
                )
        return self

    @property
    def database(self) -> URL:
        return make_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database.get_backend_name() == "sqlite"

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets hidden, for `check-config`."""
        shown: dict[str, Any] = self.model_dump(exclude={"discord_token"})
        shown["database_url"] = self.database.render_as_string(hide_password=True)
        shown["discord_token"] = "set (hidden)" if self.discord_token else "not set"
        shown["encryption_keys"] = "set (hidden)" if self.encryption_keys else "not set"
        return shown

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TokenFreeToml(settings_cls))


class _TokenFreeToml(TomlConfigSettingsSource):
    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        for key in ("discord_token", TOKEN_ENV, "token"):
            if key in values:
                raise ConfigError(
                    f"{key}: the Discord token must not be in the config file; "
                    f"set the {TOKEN_ENV} environment variable instead"
                )
        if "encryption_keys" in values:
            raise ConfigError(
                "encryption_keys: encryption keys must not be in the config file; "
                f"set the {KEYS_ENV} environment variable instead"
            )
        return values


def config_file_from_env() -> Path | None:
    """The file named by STEADY_CONFIG, else ./config.toml if it exists, else none."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


# Where an operator might put the token by analogy with the other settings: refused, so it is
# never silently used (or silently ignored) from a place the README says it is not read from.
_MISPLACED_TOKEN_ENV = (f"{ENV_PREFIX}DISCORD_TOKEN", f"{ENV_PREFIX}TOKEN")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the file, environment and `overrides`, or a `ConfigError` naming the key."""
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file {config_file} does not exist")
    for name in _MISPLACED_TOKEN_ENV:
        if os.environ.get(name):
            raise ConfigError(
                f"{name}: the Discord token is read only from the {TOKEN_ENV} environment "
                f"variable; unset {name} and set {TOKEN_ENV} instead"
            )

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=config_file)

    try:
        loaded = _FromFile(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except ValueError as exc:  # a malformed TOML file
        raise ConfigError(f"config file {config_file}: {exc}") from None
    return loaded


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "config"
        env = f"{ENV_PREFIX}{key.upper()}" if key != TOKEN_ENV else TOKEN_ENV
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling against config.example.toml)"
        lines.append(f"{key} (or {env}): {message}")
    return "invalid configuration: " + "; ".join(lines)
