"""Logging set-up. Log lines name the logger and level and never carry members' words or dates.

Exception *messages* may quote member data (asyncpg's DataError quotes the offending argument,
a ValueError may repeat what was parsed), so `PrivateFormatter` prints a traceback's frames and
the class names of the whole exception chain, never the messages. Installed on Steady's only
handler, it covers every `log.exception` in Steady and in the libraries it uses.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class PrivateFormatter(logging.Formatter):
    """A formatter whose tracebacks name exception classes but never print their messages."""

    def __init__(self, fmt: str = FORMAT, datefmt: str = DATE_FORMAT) -> None:
        super().__init__(fmt, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the formatted traceback on the record (`exc_text`) and later handlers
        # reuse it: compute ours whatever is cached, and leave ours cached, so a handler added
        # beside Steady's (an operator's, a test's) prints the safe text too.
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redacted_traceback(record.exc_info[1])
        return super().format(record)

    def formatException(self, ei: Any) -> str:
        return redacted_traceback(ei[1]) if ei and ei[1] is not None else ""


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and of its causes and contexts, oldest first as Python prints
    it: frames and fully qualified class names only."""
    chain: list[tuple[BaseException, str]] = []  # (exception, how the next newer one followed)
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts: list[str] = []
    for item, followed_by in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        kind = type(item)
        parts.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
        parts.append(followed_by)
    return "".join(parts).rstrip("\n")


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrivateFormatter())
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
