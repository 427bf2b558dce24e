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
    # discord.py logs every gateway event at DEBUG, payloads included; members' text must not
    # reach the logs even when an operator turns on DEBUG for Steady itself.
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("discord.client").addFilter(_no_voice_notice)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _no_voice_notice(record: logging.LogRecord) -> bool:
    # Steady has no voice features; discord.py's notice about missing voice libraries is noise.
    return "voice will NOT be supported" not in record.getMessage()
