"""What a member's modal submission sends: values per input, integer ids, `resolved`.

The bot's modal was numbered when it was shown (see `InteractionHub.callback`), so every
component of the submission carries its integer `id`; `fill_modal` raises `SimulatorError`
where Discord's client would not let the member submit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.simulator.components import resolve_values
from bot.simulator.errors import SimulatorError
from bot.simulator.modal_limits import (
    ACTION_ROW,
    CHECKBOX,
    CHECKBOX_GROUP,
    ENTITY_SELECTS,
    GROUP_OPTIONS,
    LABEL,
    RADIO_GROUP,
    SELECT_VALUES,
    STRING_SELECT,
    TEXT_INPUT,
    TEXT_INPUT_VALUE,
)
from bot.simulator.state import JSON, SimChannel, SimMember, SimRole, SimUser

# What a test may give `submit_modal` for one input.
ModalValue = str | bool | SimMember | SimUser | SimRole | SimChannel | Sequence[Any]

_YES = ("yes", "true", "on", "1")
_NO = ("no", "false", "off", "0", "")


@dataclass
class Submission:
    """MODAL_SUBMIT's `data.components` and the data-level `resolved` of entity selects."""

    components: list[JSON]
    resolved: JSON = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)


def fill_modal(
    modal: Mapping[str, Any], values: Mapping[str, Any], member: SimMember
) -> Submission:
    """The submission of `modal` with `values` keyed by an input's custom_id or its label.

    Raises `SimulatorError` where Discord's client would not let the member submit: a required
    input left empty, a value that is not an option, too few or too many choices.
    """
    remaining = dict(values)
    submission = Submission([])
    for component in modal.get("components") or []:
        submission.components.append(_fill(component, None, remaining, member, submission))
    if remaining:
        raise SimulatorError(f"the modal has no inputs {sorted(remaining)}")
    return submission


def _fill(
    component: Mapping[str, Any],
    label: str | None,
    values: dict[str, Any],
    member: SimMember,
    submission: Submission,
) -> JSON:
    kind = component.get("type")
    if kind == ACTION_ROW:
        children = [_fill(c, None, values, member, submission) for c in component["components"]]
        return {"type": ACTION_ROW, "id": component.get("id"), "components": children}
    if kind == LABEL:
        inner = _fill(component["component"], component.get("label"), values, member, submission)
        return {"type": LABEL, "id": component.get("id"), "component": inner}
    custom_id = component.get("custom_id")
    if custom_id is None:
        return {"type": kind, "id": component.get("id")}
    name = label or component.get("label") or str(custom_id)
    key = next((k for k in (custom_id, label, component.get("label")) if k in values), None)
    given = values.pop(key) if key is not None else None
    answer: JSON = {"type": kind, "id": component.get("id"), "custom_id": custom_id}
    if kind == TEXT_INPUT:
        answer["value"] = _text(component, name, given)
        shown = str(answer["value"])
    elif kind == STRING_SELECT:
        answer["values"] = _choices(component, name, given, limit=SELECT_VALUES)
        shown = ", ".join(answer["values"])
    elif kind in ENTITY_SELECTS:
        answer["values"], shown = _entities(component, name, given, member, submission)
    elif kind == RADIO_GROUP:
        chosen = _choices(component, name, given, limit=1, single=True)
        answer["value"] = chosen[0] if chosen else None
        shown = answer["value"] or ""
    elif kind == CHECKBOX_GROUP:
        answer["values"] = _choices(component, name, given, limit=GROUP_OPTIONS)
        shown = ", ".join(answer["values"])
    elif kind == CHECKBOX:
        answer["value"] = _checked(component, name, given)
        shown = "yes" if answer["value"] else "no"
    else:
        if given is not None:
            raise SimulatorError(f"{name!r}: component type {kind} cannot be filled in here")
        if component.get("required", True):
            raise SimulatorError(f"{name!r} is required (type {kind} is not simulated)")
        answer["values"] = []
        shown = ""
    submission.shown[name] = shown
    return answer


def _required(component: Mapping[str, Any]) -> bool:
    return component.get("required", True) is not False


def _text(component: Mapping[str, Any], name: str, given: Any) -> str:
    if given is None:
        value = str(component.get("value") or "")
    elif isinstance(given, str):
        value = given
    else:
        raise SimulatorError(f"{name!r} is a text input: give it a string, not {given!r}")
    if _required(component) and not value:
        raise SimulatorError(f"{name!r} is required")
    high = min(int(component.get("max_length") or TEXT_INPUT_VALUE), TEXT_INPUT_VALUE)
    low = int(component.get("min_length") or 0)
    if value and not low <= len(value) <= high:
        raise SimulatorError(f"{name!r} must be {low}..{high} characters long")
    return value


def _choices(
    component: Mapping[str, Any], name: str, given: Any, *, limit: int, single: bool = False
) -> list[str]:
    """Chosen option values (an option may be named by its value or its label)."""
    options = list(component.get("options") or [])
    if given is None:
        picked = [str(o["value"]) for o in options if o.get("default")]
    else:
        wanted = [given] if isinstance(given, str) else list(given)
        picked = []
        for item in wanted:
            option = next(
                (o for o in options if str(item) in (str(o.get("value")), o.get("label"))), None
            )
            if option is None:
                offered = [o.get("value") for o in options]
                raise SimulatorError(f"{item!r} is not an option of {name!r} (options: {offered})")
            picked.append(str(option["value"]))
    if single:
        low, high = (1 if _required(component) else 0), 1
    else:
        default_high = len(options) if component.get("type") == CHECKBOX_GROUP else 1
        high = _count(component.get("max_values"), default_high)
        low = _count(component.get("min_values"), 1)
    _check_count(component, name, len(picked), low, min(high, limit))
    return picked


def _entities(
    component: Mapping[str, Any],
    name: str,
    given: Any,
    member: SimMember,
    submission: Submission,
) -> tuple[list[str], str]:
    if given is None:
        items: list[Any] = [
            _default_entity(member, d) for d in component.get("default_values") or []
        ]
    elif isinstance(given, str | bytes) or not isinstance(given, Sequence):
        items = [given]
    else:
        items = list(given)
    kind = component.get("type")
    allowed: dict[int, tuple[type, ...]] = {
        5: (SimMember, SimUser),
        6: (SimRole,),
        7: (SimMember, SimUser, SimRole),
        8: (SimChannel,),
    }
    for item in items:
        if not isinstance(item, allowed[int(kind or 0)]):
            raise SimulatorError(f"{name!r} cannot take {item!r}")
        kinds = component.get("channel_types")
        if isinstance(item, SimChannel) and kinds and item.type not in kinds:
            raise SimulatorError(f"{name!r} offers only channel types {kinds}")
    high = _count(component.get("max_values"), 1)
    low = _count(component.get("min_values"), 1)
    _check_count(component, name, len(items), low, min(high, SELECT_VALUES))
    if not items:
        return [], ""
    unbounded = {**component, "min_values": 0, "max_values": SELECT_VALUES}
    ids, resolved = resolve_values(unbounded, items, member)
    for section, entries in resolved.items():
        submission.resolved.setdefault(section, {}).update(entries)
    return ids, ", ".join(_name(i) for i in items)


def _default_entity(member: SimMember, default: Mapping[str, Any]) -> Any:
    guild, target = member.guild, int(default.get("id", 0))
    found: Any = {
        "user": guild.members_by_id.get(target),
        "role": guild.roles.get(target),
        "channel": guild.world.channels.get(target),
    }.get(str(default.get("type")))
    if found is None:
        raise SimulatorError(f"default value {default!r} names nothing in {guild.name}")
    return found


def _checked(component: Mapping[str, Any], name: str, given: Any) -> bool:
    if given is None:
        return bool(component.get("default"))
    if isinstance(given, bool):
        return given
    if isinstance(given, str) and given.strip().lower() in _YES + _NO:
        return given.strip().lower() in _YES
    raise SimulatorError(f"{name!r} is a checkbox: give it yes/no or True/False, not {given!r}")


def _count(value: Any, default: int) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else default


def _check_count(component: Mapping[str, Any], name: str, count: int, low: int, high: int) -> None:
    if count == 0:
        if _required(component):
            raise SimulatorError(f"{name!r} is required")
        return
    if not max(low, 1) <= count <= high:
        raise SimulatorError(f"{name!r}: choose between {max(low, 1)} and {high}")


def _name(item: Any) -> str:
    if isinstance(item, SimChannel):
        return f"#{item.name}"
    return f"@{item.name}"
