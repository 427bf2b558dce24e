"""Logging set-up. Log lines name the logger and level and never carry members' words or dates."""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that log payloads at DEBUG (discord.py every gateway event, aiosqlite every
    # statement with its parameters): members' words and dates must not reach the logs even
    # when an operator turns on DEBUG for Steady itself.
    quieter = max(logging.INFO, logging.getLevelName(level))
    for name in ("discord", "aiosqlite", "asyncpg"):
        logging.getLogger(name).setLevel(quieter)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("discord.client").addFilter(_no_voice_notice)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _no_voice_notice(record: logging.LogRecord) -> bool:
    # Steady has no voice features; discord.py's notice about missing voice libraries is noise.
    return "voice will NOT be supported" not in record.getMessage()
