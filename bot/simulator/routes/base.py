"""What every route group shares: the call, replies, and lookups with Discord's errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.simulator import errors as err
from bot.simulator.errors import ApiError
from bot.simulator.limits import FormErrors
from bot.simulator.state import JSON, SimChannel, SimFile, SimGuild, SimMember, SimMessage, World


@dataclass
class Call:
    params: Mapping[str, str]
    json: Any = None
    files: list[SimFile] = field(default_factory=list)
    query: Mapping[str, str] = field(default_factory=dict)

    def int(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(404, 0, "404: Not Found") from None

    def flag(self, name: str) -> bool:
        """A boolean query parameter (`?wait=true`)."""
        return self.query.get(name) in ("1", "true", "True")

    @property
    def body(self) -> JSON:
        return self.json if isinstance(self.json, dict) else {}


Reply = tuple[int, Any]
Handler = Callable[[Call], Awaitable[Reply]]
# Who may call: "bot" needs the bot token and counts against the global limit.
Scope = str
BOT: Scope = "bot"
WEBHOOK: Scope = "webhook"
PUBLIC: Scope = "public"
# (method, discord.py's route template, handler, scope)
Route = tuple[str, str, Handler, Scope]


def ok(body: Any) -> Reply:
    return 200, body


NO_CONTENT: Reply = (204, None)


class RouteGroup(ABC):
    """A set of related routes; subclasses list theirs in `routes()`."""

    def __init__(self, world: World) -> None:
        self.world = world

    @abstractmethod
    def routes(self) -> list[Route]:
        """The (method, template, handler, scope) routes this group serves."""

    # -- lookups and permission checks ---------------------------------------------------------

    def _channel(self, call: Call) -> SimChannel:
        channel = self.world.channels.get(call.int("channel_id"))
        if channel is None or channel.deleted:
            raise err.unknown("Channel", err.UNKNOWN_CHANNEL)
        if channel.guild is not None and not self._me(channel.guild).can_see(channel):
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        return channel

    def _guild(self, call: Call) -> SimGuild:
        guild = self.world.guilds.get(call.int("guild_id"))
        if guild is None:
            raise err.unknown("Guild", err.UNKNOWN_GUILD)
        return guild

    def _message(self, call: Call, channel: SimChannel) -> SimMessage:
        message = self.world.messages.get(call.int("message_id"))
        if (
            message is None
            or message.channel is not channel
            or message.deleted
            or message.ephemeral
        ):
            raise err.unknown("Message", err.UNKNOWN_MESSAGE)
        return message

    def _me(self, guild: SimGuild) -> SimMember:
        return guild.me

    def _require(self, channel: SimChannel | None, guild: SimGuild, bit: int) -> None:
        me = self._me(guild)
        have = me.permissions_in(channel) if channel is not None else me.permissions
        if not have & bit:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")

    def _member(self, guild: SimGuild, user_id: int) -> SimMember:
        member = guild.members_by_id.get(user_id)
        if member is None:
            raise err.unknown("Member", err.UNKNOWN_MEMBER)
        return member


def query_int(
    errors: FormErrors, call: Call, name: str, default: int, *, low: int, high: int | None
) -> int:
    """An integer query parameter within bounds; errors name the parameter as Discord does."""
    raw = call.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
        return default
    if value < low:
        message = f"int value should be greater than or equal to {low}."
        errors.add((name,), "NUMBER_TYPE_MIN", message)
    elif high is not None and value > high:
        message = f"int value should be less than or equal to {high}."
        errors.add((name,), "NUMBER_TYPE_MAX", message)
    return value
