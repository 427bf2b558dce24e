"""Modals: Discord's checks on a modal the bot shows, and what a member's submission sends.

A modal holds Labels (each wrapping one input: text input, string/user/role/mentionable/channel
select, radio group, checkbox group, checkbox, file upload), text displays, and the deprecated
action rows with one text input. The bot's modal is numbered as Discord numbers it, so the
submission carries every component's integer `id`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.simulator.components import resolve_values
from bot.simulator.errors import SimulatorError
from bot.simulator.limits import CUSTOM_ID, MODAL_COMPONENTS, MODAL_TITLE, FormErrors, Path
from bot.simulator.state import JSON, SimChannel, SimMember, SimRole, SimUser

ACTION_ROW, TEXT_INPUT, STRING_SELECT, TEXT_DISPLAY, LABEL, FILE_UPLOAD = 1, 4, 3, 10, 18, 19
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23
ENTITY_SELECTS = (5, 6, 7, 8)
SELECTS = (STRING_SELECT, *ENTITY_SELECTS)
LABEL_CHILDREN = (TEXT_INPUT, *SELECTS, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX)

LABEL_TEXT = 45
LABEL_DESCRIPTION = 100
TEXT_INPUT_VALUE = 4000
TEXT_INPUT_PLACEHOLDER = 100
SELECT_PLACEHOLDER = 150
SELECT_OPTIONS = 25
SELECT_VALUES = 25
OPTION_TEXT = 100
GROUP_OPTIONS = 10
TEXT_DISPLAY_CONTENT = 4000

# What a test may give `submit_modal` for one input.
ModalValue = str | bool | SimMember | SimUser | SimRole | SimChannel | Sequence[Any]

_YES = ("yes", "true", "on", "1")
_NO = ("no", "false", "off", "0", "")

# -- Discord's checks on the bot's modal ------------------------------------------------------


def check_modal(data: Mapping[str, Any]) -> None:
    """400 / 50035 with indexed paths (`data.components.0.component.placeholder`)."""
    errors = FormErrors(("data",))
    title = data.get("title") or ""
    if not title:
        errors.add(("title",), "BASE_TYPE_REQUIRED", "This field is required")
    errors.too_long(("title",), title, MODAL_TITLE)
    _check_custom_id(errors, ("custom_id",), data.get("custom_id"))
    components = data.get("components") or []
    if not components:
        errors.add(("components",), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
    errors.too_long(("components",), components, MODAL_COMPONENTS)
    seen: set[str] = set()
    for index, component in enumerate(components):
        at: Path = ("components", index)
        kind = component.get("type")
        if kind == LABEL:
            label = component.get("label") or ""
            if not label:
                errors.add((*at, "label"), "BASE_TYPE_REQUIRED", "This field is required")
            errors.too_long((*at, "label"), label, LABEL_TEXT)
            errors.too_long((*at, "description"), component.get("description"), LABEL_DESCRIPTION)
            child = component.get("component")
            if not isinstance(child, Mapping):
                errors.add((*at, "component"), "BASE_TYPE_REQUIRED", "This field is required")
            elif child.get("type") not in LABEL_CHILDREN:
                _bad_type(errors, (*at, "component", "type"), LABEL_CHILDREN)
            else:
                _check_input(errors, (*at, "component"), child, seen, in_label=True)
        elif kind == ACTION_ROW:
            # Deprecated, still accepted: a row holding exactly one text input.
            children = component.get("components") or []
            if len(children) != 1:
                errors.add(
                    (*at, "components"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 1 in length.",
                )
            for c_index, child in enumerate(children):
                where: Path = (*at, "components", c_index)
                if child.get("type") != TEXT_INPUT:
                    _bad_type(errors, (*where, "type"), (TEXT_INPUT,))
                else:
                    _check_input(errors, where, child, seen, in_label=False)
        elif kind == TEXT_DISPLAY:
            content = component.get("content") or ""
            if not content:
                errors.add((*at, "content"), "BASE_TYPE_REQUIRED", "This field is required")
            errors.too_long((*at, "content"), content, TEXT_DISPLAY_CONTENT)
        else:
            _bad_type(errors, (*at, "type"), (ACTION_ROW, TEXT_DISPLAY, LABEL))
    errors.raise_if_any()


def _check_input(
    errors: FormErrors, at: Path, component: Mapping[str, Any], seen: set[str], *, in_label: bool
) -> None:
    kind = component.get("type")
    custom_id = component.get("custom_id")
    _check_custom_id(errors, (*at, "custom_id"), custom_id)
    if isinstance(custom_id, str):
        if custom_id in seen:
            errors.add(
                (*at, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)
    if component.get("disabled"):
        # Discord: "Modals can not currently have disabled components in them."
        errors.add(
            (*at, "disabled"),
            "COMPONENT_DISABLED_IN_MODAL",
            "Modals cannot have disabled components.",
        )
    if kind == TEXT_INPUT:
        _check_text_input(errors, at, component, in_label=in_label)
    elif kind in SELECTS:
        errors.too_long((*at, "placeholder"), component.get("placeholder"), SELECT_PLACEHOLDER)
        _check_counts(errors, at, component, low=0, high=SELECT_VALUES)
        if kind == STRING_SELECT:
            _check_options(errors, at, component.get("options"), low=1, high=SELECT_OPTIONS)
    elif kind == RADIO_GROUP:
        _check_options(errors, at, component.get("options"), low=2, high=GROUP_OPTIONS)
    elif kind == CHECKBOX_GROUP:
        _check_options(errors, at, component.get("options"), low=1, high=GROUP_OPTIONS)
        _check_counts(errors, at, component, low=0, high=GROUP_OPTIONS)
    elif kind == FILE_UPLOAD:
        _check_counts(errors, at, component, low=0, high=10)


def _check_text_input(
    errors: FormErrors, at: Path, component: Mapping[str, Any], *, in_label: bool
) -> None:
    if component.get("style") not in (1, 2):
        errors.add((*at, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
    label = component.get("label")
    if not in_label:
        # Outside a Label the input carries its own (deprecated) label.
        if not label:
            errors.add((*at, "label"), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long((*at, "label"), label, LABEL_TEXT)
    errors.too_long((*at, "placeholder"), component.get("placeholder"), TEXT_INPUT_PLACEHOLDER)
    errors.too_long((*at, "value"), component.get("value"), TEXT_INPUT_VALUE)
    _bounded(errors, (*at, "min_length"), component.get("min_length"), 0, TEXT_INPUT_VALUE)
    _bounded(errors, (*at, "max_length"), component.get("max_length"), 1, TEXT_INPUT_VALUE)
    low, high = component.get("min_length"), component.get("max_length")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.add(
            (*at, "min_length"),
            "BASE_TYPE_BAD_VALUE",
            "min_length must be less than or equal to max_length.",
        )


def _check_counts(
    errors: FormErrors, at: Path, component: Mapping[str, Any], *, low: int, high: int
) -> None:
    least, most = component.get("min_values"), component.get("max_values")
    _bounded(errors, (*at, "min_values"), least, low, high)
    _bounded(errors, (*at, "max_values"), most, 1, high)
    if isinstance(least, int) and isinstance(most, int) and least > most:
        errors.add(
            (*at, "min_values"),
            "BASE_TYPE_BAD_VALUE",
            "min_values must be less than or equal to max_values.",
        )
    if least == 0 and component.get("required", True) is not False:
        # "min_values must be either omitted or at least 1 if required is omitted or true."
        errors.add(
            (*at, "min_values"),
            "NUMBER_TYPE_MIN",
            "int value should be greater than or equal to 1.",
        )


def _check_options(errors: FormErrors, at: Path, options: Any, *, low: int, high: int) -> None:
    options = options if isinstance(options, list) else []
    if len(options) < low:
        errors.add((*at, "options"), "BASE_TYPE_MIN_LENGTH", f"Must be {low} or more in length.")
    errors.too_long((*at, "options"), options, high)
    for index, option in enumerate(options):
        where: Path = (*at, "options", index)
        for key in ("label", "value"):
            if not option.get(key):
                errors.add((*where, key), "BASE_TYPE_REQUIRED", "This field is required")
            errors.too_long((*where, key), option.get(key), OPTION_TEXT)
        errors.too_long((*where, "description"), option.get("description"), OPTION_TEXT)


def _check_custom_id(errors: FormErrors, at: Path, custom_id: object) -> None:
    if not isinstance(custom_id, str) or not custom_id:
        errors.add(at, "BASE_TYPE_REQUIRED", "This field is required")
        return
    errors.too_long(at, custom_id, CUSTOM_ID)


def _bounded(errors: FormErrors, at: Path, value: object, low: int, high: int) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        errors.add(at, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    elif value < low:
        errors.add(at, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}.")
    elif value > high:
        errors.add(at, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")


def _bad_type(errors: FormErrors, at: Path, allowed: tuple[int, ...]) -> None:
    choices = ", ".join(str(t) for t in allowed)
    errors.add(at, "BASE_TYPE_CHOICES", f"Value must be one of ({choices}).")


# -- what a member's submission sends ---------------------------------------------------------


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
