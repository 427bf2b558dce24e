"""Application commands: what the bot registered, who may see them, and invocation payloads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.simulator import permissions as perms
from bot.simulator.errors import CommandNotAvailable, SimulatorError
from bot.simulator.ids import Snowflakes
from bot.simulator.limits import FormErrors
from bot.simulator.state import (
    JSON,
    LOCALES,
    SimChannel,
    SimFile,
    SimGuild,
    SimMember,
    SimRole,
    SimUser,
    World,
)

SUB_COMMAND, SUB_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
CHAT_INPUT = 1
GUILD_CONTEXT = 0

_NAME = re.compile(r"^[-_\w]{1,32}$")


@dataclass
class RegisteredCommand:
    data: JSON

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def type(self) -> int:
        return int(self.data.get("type") or CHAT_INPUT)

    @property
    def default_member_permissions(self) -> int | None:
        value = self.data.get("default_member_permissions")
        return None if value is None else int(value)

    def visible_to(self, member: SimMember) -> bool:
        contexts = self.data.get("contexts")
        if contexts is not None and GUILD_CONTEXT not in contexts:
            return False
        required = self.default_member_permissions
        if required is None:
            return True
        have = member.permissions
        if have & perms.ADMINISTRATOR:
            return True
        # "0" means: nobody but administrators.
        return required != 0 and have & required == required


class CommandRegistry:
    def __init__(self, world: World, ids: Snowflakes) -> None:
        self.world = world
        self.ids = ids
        self.scopes: dict[int | None, dict[tuple[str, int], RegisteredCommand]] = {}

    def overwrite(self, guild_id: int | None, payloads: list[JSON]) -> list[JSON]:
        validate_commands(payloads)
        old = self.scopes.get(guild_id, {})
        fresh: dict[tuple[str, int], RegisteredCommand] = {}
        for payload in payloads:
            key = (str(payload["name"]), int(payload.get("type") or CHAT_INPUT))
            previous = old.get(key)
            command_id = previous.id if previous else self.ids.next()
            fresh[key] = RegisteredCommand(self._normalize(payload, command_id, guild_id))
        self.scopes[guild_id] = fresh
        return [c.data for c in fresh.values()]

    def upsert(self, guild_id: int | None, payload: JSON) -> JSON:
        validate_commands([payload])
        scope = self.scopes.setdefault(guild_id, {})
        key = (str(payload["name"]), int(payload.get("type") or CHAT_INPUT))
        previous = scope.get(key)
        command = RegisteredCommand(
            self._normalize(payload, previous.id if previous else self.ids.next(), guild_id)
        )
        scope[key] = command
        return command.data

    def delete(self, guild_id: int | None, command_id: int) -> bool:
        scope = self.scopes.get(guild_id, {})
        for key, command in list(scope.items()):
            if command.id == command_id:
                del scope[key]
                return True
        return False

    def listing(self, guild_id: int | None) -> list[JSON]:
        return [c.data for c in self.scopes.get(guild_id, {}).values()]

    def get(self, guild_id: int | None, command_id: int) -> JSON | None:
        for command in self.scopes.get(guild_id, {}).values():
            if command.id == command_id:
                return command.data
        return None

    def find(self, guild: SimGuild, name: str, kind: int = CHAT_INPUT) -> RegisteredCommand | None:
        for scope in (guild.id, None):
            found = self.scopes.get(scope, {}).get((name, kind))
            if found is not None:
                return found
        return None

    def _normalize(self, payload: JSON, command_id: int, guild_id: int | None) -> JSON:
        data = dict(payload)
        data["id"] = str(command_id)
        data["application_id"] = str(self.world.application_id)
        data["version"] = str(self.ids.next())
        data.setdefault("type", CHAT_INPUT)
        data.setdefault("description", "")
        data.setdefault("options", [])
        if data.get("default_member_permissions") is not None:
            data["default_member_permissions"] = str(data["default_member_permissions"])
        else:
            data["default_member_permissions"] = None
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data


def validate_commands(payloads: list[JSON]) -> None:
    """The checks Discord makes on a command upload, so a bad definition fails in tests too."""
    errors = FormErrors()
    if len(payloads) > 100:
        errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for index, payload in enumerate(payloads):
        name = str(payload.get("name", ""))
        kind = int(payload.get("type") or CHAT_INPUT)
        if (name, kind) in seen:
            errors.add((index, "name"), "APPLICATION_COMMAND_NAME_ALREADY_EXISTS", "Duplicate name")
        seen.add((name, kind))
        if kind == CHAT_INPUT:
            _check_option_level(errors, (index,), payload)
        elif not 1 <= len(name) <= 32:
            errors.add(
                (index, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
            )
    errors.raise_if_any()


def _check_option_level(
    errors: FormErrors, at: tuple[str | int, ...], payload: Mapping[str, Any]
) -> None:
    name = str(payload.get("name", ""))
    if not _valid_name(name):
        errors.add((*at, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = str(payload.get("description", ""))
    if not 1 <= len(description) <= 100:
        errors.add(
            (*at, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    _check_localizations(errors, (*at, "name_localizations"), payload, name=True)
    _check_localizations(errors, (*at, "description_localizations"), payload, name=False)
    options = payload.get("options") or []
    errors.too_long((*at, "options"), options, 25)
    optional_seen = False
    for o_index, option in enumerate(options):
        where = (*at, "options", o_index)
        if option.get("type") in (SUB_COMMAND, SUB_GROUP):
            _check_option_level(errors, where, option)
            continue
        _check_option_level(errors, where, {**option, "options": []})
        if option.get("required"):
            if optional_seen:
                errors.add(
                    (*where, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        errors.too_long((*where, "choices"), option.get("choices") or [], 25)
        for c_index, choice in enumerate(option.get("choices") or []):
            at_choice = (*where, "choices", c_index, "name_localizations")
            _check_localizations(errors, at_choice, choice, name=False, high=100)


def _valid_name(name: str) -> bool:
    # Lowercase where the script has case (Discord's rule for chat-input names).
    return bool(_NAME.match(name)) and name == name.lower()


def _check_localizations(
    errors: FormErrors,
    at: tuple[str | int, ...],
    payload: Mapping[str, Any],
    *,
    name: bool,
    high: int = 100,
) -> None:
    """`name_localizations` / `description_localizations`: Discord's locales as keys, and
    values held to the same rules as the name or description they translate."""
    key = str(at[-1])
    localized = payload.get(key)
    if localized is None:
        return
    if not isinstance(localized, Mapping):
        errors.add(at, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    for locale, text in localized.items():
        where = (*at, str(locale))
        if locale not in LOCALES:
            errors.add(where, "BASE_TYPE_CHOICES", f"Value must be one of {sorted(LOCALES)}.")
        elif not isinstance(text, str):
            errors.add(where, "BASE_TYPE_STRING", "Must be a string.")
        elif name and not _valid_name(text):
            errors.add(where, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif not 1 <= len(text) <= (32 if name else high):
            limit = 32 if name else high
            errors.add(where, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {limit} in length.")


# -- invocation ------------------------------------------------------------------------------


@dataclass
class Invocation:
    options: list[JSON]
    resolved: JSON


def build_options(
    command: RegisteredCommand,
    path: list[str],
    values: Mapping[str, Any],
    *,
    member: SimMember,
    focused: str | None = None,
) -> Invocation:
    """Options for `/name sub group ...` with values as Discord's client would send them."""
    level: list[JSON] = list(command.data.get("options") or [])
    resolved: JSON = {}
    outer: list[JSON] = []
    nest = outer
    for part in path:
        option = next(
            (o for o in level if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_GROUP)), None
        )
        if option is None:
            raise CommandNotAvailable(f"/{command.name} has no subcommand {part!r}")
        inner: list[JSON] = []
        nest.append({"name": part, "type": option["type"], "options": inner})
        nest = inner
        level = list(option.get("options") or [])
    if any(o["type"] in (SUB_COMMAND, SUB_GROUP) for o in level):
        names = ", ".join(o["name"] for o in level)
        raise CommandNotAvailable(f"/{command.name} needs a subcommand ({names})")
    known = {o["name"]: o for o in level}
    for name in values:
        if name not in known:
            raise SimulatorError(f"/{' '.join([command.name, *path])} has no option {name!r}")
    for definition in level:
        name = definition["name"]
        if name == focused:
            nest.append(
                {
                    "name": name,
                    "type": definition["type"],
                    "value": str(values.get(name, "")),
                    "focused": True,
                }
            )
            continue
        if name not in values or values[name] is None:
            if definition.get("required") and focused is None:
                raise SimulatorError(f"option {name!r} is required")
            continue
        value = _convert(definition, values[name], member=member, resolved=resolved)
        nest.append({"name": name, "type": definition["type"], "value": value})
    return Invocation(outer, resolved)


def _convert(definition: JSON, value: Any, *, member: SimMember, resolved: JSON) -> Any:
    kind = definition["type"]
    name = definition["name"]
    guild = member.guild
    if kind == STRING:
        if not isinstance(value, str):
            raise SimulatorError(f"option {name!r} takes a string")
        low, high = definition.get("min_length"), definition.get("max_length")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise SimulatorError(f"option {name!r} must be {low}..{high} characters long")
        _check_choice(definition, value)
        return value
    if kind in (INTEGER, NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SimulatorError(f"option {name!r} takes a number")
        if kind == INTEGER and not isinstance(value, int):
            raise SimulatorError(f"option {name!r} takes an integer")
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise SimulatorError(f"option {name!r} must be between {low} and {high}")
        _check_choice(definition, value)
        return value
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise SimulatorError(f"option {name!r} takes True or False")
        return value
    if kind == USER or (kind == MENTIONABLE and isinstance(value, SimMember | SimUser)):
        return _resolve_user(value, guild, resolved, name)
    if kind == ROLE or (kind == MENTIONABLE and isinstance(value, SimRole)):
        if not isinstance(value, SimRole):
            raise SimulatorError(f"option {name!r} takes a SimRole")
        resolved.setdefault("roles", {})[str(value.id)] = value.payload()
        return str(value.id)
    if kind == CHANNEL:
        if not isinstance(value, SimChannel) or value.guild is not guild:
            raise SimulatorError(f"option {name!r} takes a SimChannel of this guild")
        allowed = definition.get("channel_types")
        if allowed and value.type not in allowed:
            raise SimulatorError(f"option {name!r} does not accept channel type {value.type}")
        data = value.payload() | {"permissions": str(member.permissions_in(value))}
        resolved.setdefault("channels", {})[str(value.id)] = data
        return str(value.id)
    if kind == ATTACHMENT:
        if not isinstance(value, SimFile):
            raise SimulatorError(f"option {name!r} takes a SimFile")
        value.id = value.id or guild.world.ids.next()
        resolved.setdefault("attachments", {})[str(value.id)] = {
            "id": str(value.id),
            "filename": value.filename,
            "size": len(value.data),
            "url": f"{guild.world.attachment_base}/attachments/0/{value.id}/{value.filename}",
            "proxy_url": f"{guild.world.attachment_base}/attachments/0/{value.id}/{value.filename}",
            "content_type": value.content_type or "application/octet-stream",
        }
        return str(value.id)
    raise SimulatorError(f"option {name!r} has unsupported type {kind}")


def _check_choice(definition: JSON, value: Any) -> None:
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        shown = ", ".join(repr(c["value"]) for c in choices)
        raise SimulatorError(f"option {definition['name']!r} must be one of {shown}")


def _resolve_user(value: Any, guild: SimGuild, resolved: JSON, name: str) -> str:
    if isinstance(value, SimMember):
        user = value.user
    elif isinstance(value, SimUser):
        user = value
    else:
        raise SimulatorError(f"option {name!r} takes a SimMember")
    resolved.setdefault("users", {})[str(user.id)] = user.payload()
    member = guild.members_by_id.get(user.id)
    if member is not None:
        data = member.payload(with_user=False) | {"permissions": str(member.permissions)}
        resolved.setdefault("members", {})[str(user.id)] = data
    return str(user.id)
