"""Errors: the ones the simulator answers over HTTP, and the ones a test sees."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response in Discord's shape: HTTP status, JSON error code, message, details."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(kind: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {kind}")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_WEBHOOK = 10015
UNKNOWN_USER = 10013
UNKNOWN_COMMAND = 10063
UNKNOWN_INTERACTION = 10062
UNKNOWN_EVENT = 10070
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
EMPTY_MESSAGE = 50006
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035
ALREADY_ACKNOWLEDGED = 40060


class SimulatorError(Exception):
    """A test asked for something a Discord user could not do (or the simulator cannot)."""


class CommandNotAvailable(SimulatorError):
    """The command is not registered, or is hidden from this member by its permissions."""


class InteractionFailed(SimulatorError):
    """What the member sees as "This interaction failed" / "The application did not respond"."""
