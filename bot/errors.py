"""Errors a member may see.

Services raise these; the command tree's error handler turns them into kind ephemeral replies.
Their messages are written for the member, never contain tracebacks, and are safe to show.
"""

from __future__ import annotations


class SteadyError(Exception):
    """An expected failure whose message is meant for the person who ran the command."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SteadyError):
    """The command's input cannot be used; nothing was changed."""


class NotFound(SteadyError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class NotAllowed(SteadyError):
    """The asker may not do this."""


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and what is expected."""
