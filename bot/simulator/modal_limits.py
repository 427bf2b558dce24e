"""Discord's checks on a modal the bot shows: 400 / 50035 with indexed error paths.

A modal holds Labels (each wrapping one input: text input, string/user/role/mentionable/channel
select, radio group, checkbox group, checkbox, file upload), text displays, and the deprecated
action rows with one text input (docs: components/reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.simulator.limits import CUSTOM_ID, MODAL_COMPONENTS, MODAL_TITLE, FormErrors, Path

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
