"""`python -m bot`: run, migrate, check-config, sync, demo, keygen."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import socket
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from asyncpg import InterfaceError, PostgresError
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.clock import SystemClock
from bot.config import TOKEN_ENV, Settings, config_file_from_env, load_settings
from bot.db import Database
from bot.errors import ConfigError
from bot.logs import setup_logging
from bot.tree import CommandsRefused

if TYPE_CHECKING:
    from bot.security.notes import NotesCipher

EXIT_USAGE = 2
log = logging.getLogger("bot.cli")


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Steady: a peer-support Discord bot for IOP recovery communities.",
    )
    config_help = "TOML configuration file (default: $STEADY_CONFIG, else ./config.toml if present)"
    parser.add_argument("--config", type=Path, help=config_help)
    # Also accepted after the subcommand (`python -m bot run --config x.toml`); SUPPRESS keeps
    # a subcommand without it from overwriting one given before it.
    config_after = argparse.ArgumentParser(add_help=False)
    config_after.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=config_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        parents=[config_after],
        help="connect to Discord and serve (needs DISCORD_TOKEN)",
        description="Migrate the database, connect to Discord with DISCORD_TOKEN and serve "
        "until SIGTERM or Ctrl-C.",
    )
    commands.add_parser(
        "migrate",
        parents=[config_after],
        help="upgrade the database to the newest schema",
        description="Upgrade the configured database to the newest schema and exit.",
    )
    commands.add_parser(
        "check-config",
        parents=[config_after],
        help="validate and print the effective configuration (secrets masked)",
        description="Validate the configuration file and STEADY_* variables and print the "
        "effective settings as JSON with secrets masked.",
    )
    sync = commands.add_parser(
        "sync",
        parents=[config_after],
        help="publish slash commands to Discord (needs DISCORD_TOKEN)",
        description="Publish the slash commands globally (may take up to an hour to appear) "
        "or, with --guild, to one server at once.",
    )
    sync.add_argument("--guild", type=int, help="a server id to publish to instead of globally")
    commands.add_parser(
        "demo",
        parents=[config_after],
        help="run a scripted demo offline against the local Discord simulator",
        description="Run a scripted scenario against the local Discord simulator on a fresh "
        "SQLite file and print what each member sees. Needs no Discord account.",
    )
    commands.add_parser(
        "keygen",
        help="print a new key for STEADY_ENCRYPTION_KEYS",
        description="Print a new random key for members' notes. To rotate, put it first in "
        "STEADY_ENCRYPTION_KEYS and keep the older keys after it until every note has been "
        "re-encrypted. Needs no configuration.",
    )
    commands.add_parser(
        "rotate-keys",
        parents=[config_after],
        help="re-encrypt every stored note with the newest key",
        description="Re-encrypt every check-in, /sos and mentor request note under the first "
        "key of STEADY_ENCRYPTION_KEYS (or the key file), one batch per transaction, after "
        "encrypting any request note still stored as text. Safe to run again if interrupted; "
        "afterwards the older keys can be removed.",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.config if args.config else config_file_from_env())
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def _token(settings: Settings) -> str:
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        raise CliError(
            f"{TOKEN_ENV} is not set: export {TOKEN_ENV}=<your bot token> to connect to Discord, "
            "or run `make demo` to try Steady offline.",
            EXIT_USAGE,
        )
    return settings.discord_token.get_secret_value().strip()


async def _run(settings: Settings) -> None:
    from bot.runtime import create_bot, run_until_stopped

    token = _token(settings)
    # On SQLite the key file lives beside the database, so the database (and its folder) come
    # first and a bad database_url is reported as such; elsewhere the keys are configuration
    # alone and are checked before connecting.
    on_sqlite = settings.database.get_backend_name() == "sqlite"
    if not on_sqlite:
        _check_encryption_keys(settings)
    database = await _open(settings)
    try:
        cipher = _check_encryption_keys(settings)
    except BaseException:
        await database.dispose()
        raise
    bot = create_bot(settings, database, SystemClock(), cipher=cipher)
    try:
        await run_until_stopped(bot, token)
    except discord.LoginFailure:
        raise CliError(
            f"Discord refused the token in {TOKEN_ENV}; check it and try again."
        ) from None
    except discord.PrivilegedIntentsRequired:
        # The only privileged intent Steady asks for is Server Members, and only with the
        # setting on: say which, and both ways out.
        raise CliError(
            "Discord refused the Server Members intent that members_intent = true asks for: "
            "turn it on for the application in the Developer Portal (Bot, Privileged Gateway "
            "Intents), or set members_intent = false"
        ) from None
    except discord.ConnectionClosed as exc:
        # discord.py reconnects by itself; what reaches here is Discord closing the gateway for
        # good (a token reset while running comes back as 4004 at the next IDENTIFY).
        raise CliError(gateway_closed(exc.code, exc.reason)) from None
    except CommandsRefused as exc:
        # Only dev_guild_id syncs at start: name the setting, and the way to run without it.
        raise CliError(
            f"{exc} (dev_guild_id names the server to sync to at every start; unset it to "
            "run without)"
        ) from None


# Gateway close codes Discord does not let a bot reconnect after, in words an operator can act on.
_GATEWAY_CLOSED = {
    4004: f"the token in {TOKEN_ENV} was refused (was it reset in the Developer Portal?)",
    4011: "Discord asks for sharding, which Steady does not do (over 2,500 servers)",
    4013: "the requested intents are invalid",
}


def gateway_closed(code: int, reason: str | None) -> str:
    """One line for Discord closing the gateway connection for good."""
    why = _GATEWAY_CLOSED.get(code) or (reason or "").strip() or "no reason given"
    return f"Discord closed the gateway connection for good (code {code}): {why}"


def _check_encryption_keys(settings: Settings) -> NotesCipher:
    # Before connecting, so a missing key stops the start with one line (on SQLite this
    # creates the key file on the first start). The cipher is handed to the services.
    from bot.security.notes import KEYS_ENV, load_cipher

    keys = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
    try:
        return load_cipher(keys=keys, database=settings.database)
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(
            f"could not create or read the notes' key file ({exc.filename}): {exc.strerror}. "
            f"Set {KEYS_ENV} or make the database's folder writable."
        ) from None


async def _rotate_keys(settings: Settings) -> None:
    from bot.delivery.sealing import rotate_sealed_messages
    from bot.security.notes import KEYS_ENV, NoteUnreadable
    from bot.services.checkins.upkeep import rotate_notes
    from bot.services.mentoring.notes import rotate_request_notes, seal_plain_notes

    database = await _open(settings)
    try:
        cipher = _check_encryption_keys(settings)
        # Notes still stored as text (written before they were encrypted) are encrypted first,
        # as the bot does at start; then every note is re-encrypted under the newest key.
        sealed = await seal_plain_notes(database, cipher)
        if sealed:
            print(f"encrypted {sealed} mentor request notes stored as text before encryption")
        count = (
            await rotate_notes(database, cipher)
            + await rotate_request_notes(database, cipher)
            + await rotate_sealed_messages(database, cipher)
        )
        print(f"re-encrypted {count} notes with the newest key (of {cipher.key_count})")
    except NoteUnreadable:
        # The batch in hand was rolled back; the batches before it are under the newest key,
        # which the fixed key list still holds, so running again finishes the job.
        raise CliError(
            f"a stored note cannot be decrypted with any key in {KEYS_ENV} (or the key file): "
            "put the older keys back after the new one and run rotate-keys again (nothing was "
            "lost)"
        ) from None
    finally:
        await database.dispose()


async def _migrate(settings: Settings) -> None:
    from bot.db.migrate import current_revision

    database = await _open(settings)
    try:
        print(f"database is at revision {await current_revision(database)}")
    finally:
        await database.dispose()


async def _open(settings: Settings) -> Database:
    """The migrated database, or a one-line `CliError` naming `database_url` and the problem."""
    from bot.runtime import open_database

    if settings.is_sqlite:
        _check_sqlite_file(settings.database)
    try:
        return await open_database(settings)
    except (DBAPIError, OSError, PostgresError, InterfaceError) as exc:
        log.debug("opening the database failed", exc_info=exc)
        raise CliError(database_problem(settings.database, exc)) from None


def _check_sqlite_file(url: URL) -> None:
    """Open the SQLite file once, synchronously, before the async driver does: a path that
    cannot be opened is then reported before aiosqlite starts a thread that would outlive the
    failure (and print its own traceback as the process exits)."""
    if not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA schema_version")
    except (OSError, sqlite3.Error) as exc:
        raise CliError(database_problem(url, exc)) from None


def database_problem(url: URL, exc: BaseException) -> str:
    """What went wrong opening the database, naming where it is but never the password."""
    reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(reason, ConnectionRefusedError):
        why = "the connection was refused (is the server running and listening there?)"
    elif isinstance(reason, socket.gaierror):
        why = "the host name could not be resolved"
    elif isinstance(reason, TimeoutError):
        why = "the connection timed out"
    else:
        why = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    if url.get_backend_name() == "sqlite":
        where = f"the SQLite file {url.database}"
        why += "; check that its folder exists and that Steady may write there"
    else:
        where = (
            f"PostgreSQL database {url.database or '(default)'} on "
            f"{url.host or 'localhost'}:{url.port or 5432} as user {url.username or '(default)'}"
        )
    return f"cannot open {where} (database_url or STEADY_DATABASE_URL): {why}"


async def _sync(settings: Settings, guild_id: int | None) -> None:
    from bot.db import Database
    from bot.runtime import create_bot, shutdown, sync_commands

    token = _token(settings)
    database = Database.connect(settings.database)
    bot = create_bot(settings, database, SystemClock(), background=False)
    try:
        await bot.login(token)
        count = await sync_commands(bot, guild_id)
    except discord.LoginFailure:
        raise CliError(
            f"Discord refused the token in {TOKEN_ENV}; check it and try again."
        ) from None
    except CommandsRefused as exc:
        raise CliError(str(exc)) from None
    finally:
        await shutdown(bot)
    where = f"server {guild_id}" if guild_id else "all servers (may take up to an hour)"
    print(f"published {count} commands to {where}")


async def _demo() -> None:
    from bot.demo import run_demo

    await run_demo(sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keygen":
            from bot.security.notes import generate_key

            print(generate_key())
            return 0
        if args.command == "demo":
            setup_logging("WARNING")
            asyncio.run(_demo())
            return 0
        settings = _settings(args)
        setup_logging(settings.log_level)
        if args.command == "check-config":
            print(json.dumps(settings.masked(), indent=2))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "rotate-keys":
            asyncio.run(_rotate_keys(settings))
        elif args.command == "sync":
            asyncio.run(_sync(settings, args.guild))
        else:
            asyncio.run(_run(settings))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except (OSError, ConnectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
