"""Components from a member's side: finding one, and the values a select sends (see `modals`)."""

from __future__ import annotations

from typing import Any

from bot.simulator.errors import SimulatorError
from bot.simulator.state import (
    JSON,
    SimChannel,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
    user_of,
    walk_components,
)


def find_component(
    message: SimMessage, *, label: str | None, custom_id: str | None, types: tuple[int, ...]
) -> JSON:
    if label is None and custom_id is None:
        raise SimulatorError("say which component: label= or custom_id=")
    for component in walk_components(message.components):
        if component.get("type") not in types:
            continue
        if custom_id is not None and component.get("custom_id") == custom_id:
            return component
        if label is not None and (
            component.get("label") == label or component.get("placeholder") == label
        ):
            return component
    shown = [c.get("label") or c.get("custom_id") for c in message.buttons()]
    raise SimulatorError(f"no component {label or custom_id!r} on the message (buttons: {shown})")


def resolve_values(component: JSON, values: list[Any], member: SimMember) -> tuple[list[str], JSON]:
    """Select values as Discord sends them (ids for user/role/channel selects, plus resolved)."""
    kind = component.get("type")
    low = int(component.get("min_values", 1))
    high = int(component.get("max_values", 1))
    if not low <= len(values) <= high:
        raise SimulatorError(f"choose between {low} and {high} values")
    resolved: JSON = {}
    if kind == 3:
        offered = [o["value"] for o in component.get("options") or []]
        for value in values:
            if value not in offered:
                raise SimulatorError(f"{value!r} is not an option (options: {offered})")
        return [str(v) for v in values], resolved
    ids: list[str] = []
    for value in values:
        if isinstance(value, SimMember | SimUser):
            user = user_of(value)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            found = member.guild.members_by_id.get(user.id)
            if found is not None:
                resolved.setdefault("members", {})[str(user.id)] = found.payload(
                    with_user=False
                ) | {"permissions": str(found.permissions)}
            ids.append(str(user.id))
        elif isinstance(value, SimChannel):
            resolved.setdefault("channels", {})[str(value.id)] = value.payload() | {
                "permissions": str(member.permissions_in(value))
            }
            ids.append(str(value.id))
        else:
            if not isinstance(value, SimRole):
                raise SimulatorError(f"cannot select {value!r}")
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            ids.append(str(value.id))
    return ids, resolved
