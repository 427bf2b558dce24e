"""Discord's size limits, answered as Discord does: 400 with code 50035 and per-field errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.simulator.errors import EMPTY_MESSAGE, INVALID_FORM_BODY, ApiError
from bot.simulator.state import COMPONENTS_V2, walk_components

CONTENT = 2000
EMBEDS = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000
ACTION_ROWS = 5
ROW_BUTTONS = 5
V2_COMPONENTS = 40
SELECT_OPTIONS = 25
CUSTOM_ID = 100
BUTTON_LABEL = 80
MODAL_TITLE = 45
MODAL_COMPONENTS = 5
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100

Path = tuple[str | int, ...]


class FormErrors:
    """Collects field errors and renders them in Discord's nested `{"_errors": [...]}` shape."""

    def __init__(self, prefix: Path = ()) -> None:
        self.prefix = prefix
        self.found: list[tuple[Path, str, str]] = []

    def add(self, path: Path, code: str, message: str) -> None:
        self.found.append((self.prefix + path, code, message))

    def too_long(self, path: Path, value: object, limit: int) -> None:
        if isinstance(value, str | list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if not self.found:
            return
        tree: dict[str, Any] = {}
        for path, code, message in self.found:
            node = tree
            for part in path:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        raise ApiError(400, INVALID_FORM_BODY, "Invalid Form Body", tree)


class FormErrorsOf(ApiError):
    """400 / 50035 for a single field (`key`), or for the whole body when `key` is empty."""

    def __init__(self, key: str, code: str, message: str) -> None:
        tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
        super().__init__(400, INVALID_FORM_BODY, "Invalid Form Body", {key: tree} if key else tree)


def check_message(
    payload: Mapping[str, Any],
    *,
    files: int = 0,
    prefix: Path = (),
    require_body: bool = True,
) -> None:
    """A message create/edit body (also the `data` of an interaction reply)."""
    errors = FormErrors(prefix)
    content = payload.get("content")
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    flags = int(payload.get("flags") or 0)
    if content is not None and not isinstance(content, str):
        errors.add(("content",), "BASE_TYPE_STRING", "Must be a string.")
    errors.too_long(("content",), content, CONTENT)
    errors.too_long(("embeds",), embeds, EMBEDS)
    _check_embeds(errors, embeds)
    if flags & COMPONENTS_V2:
        if content or embeds:
            errors.add(
                ("content",) if content else ("embeds",),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using "
                "MessageFlags.IS_COMPONENTS_V2",
            )
        total = sum(1 for _ in walk_components(components))
        if total > V2_COMPONENTS:
            errors.add(
                ("components",),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {V2_COMPONENTS} or fewer in length.",
            )
    else:
        errors.too_long(("components",), components, ACTION_ROWS)
    _check_components(errors, components)
    _check_allowed_mentions(errors, payload.get("allowed_mentions"))
    errors.raise_if_any()
    has_body = bool(content) or bool(embeds) or bool(components) or files > 0
    has_body = has_body or bool(payload.get("sticker_ids")) or bool(payload.get("poll"))
    if require_body and not has_body:
        raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")


def _check_allowed_mentions(errors: FormErrors, allowed: object) -> None:
    """`parse` is exclusive with the `users` / `roles` lists of the same kind (an empty list
    is accepted, as Discord accepts it)."""
    if not isinstance(allowed, Mapping):
        return
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            errors.add(
                ("allowed_mentions",),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def _check_embeds(errors: FormErrors, embeds: Sequence[Mapping[str, Any]]) -> None:
    total = 0
    for index, embed in enumerate(embeds):
        at: Path = ("embeds", index)
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        errors.too_long((*at, "title"), title, EMBED_TITLE)
        errors.too_long((*at, "description"), description, EMBED_DESCRIPTION)
        errors.too_long((*at, "fields"), fields, EMBED_FIELDS)
        errors.too_long((*at, "footer", "text"), footer, EMBED_FOOTER)
        errors.too_long((*at, "author", "name"), author, EMBED_AUTHOR)
        total += len(title) + len(description) + len(footer) + len(author)
        for f_index, field in enumerate(fields):
            name = field.get("name") or ""
            value = field.get("value") or ""
            errors.too_long((*at, "fields", f_index, "name"), name, EMBED_FIELD_NAME)
            errors.too_long((*at, "fields", f_index, "value"), value, EMBED_FIELD_VALUE)
            if not value:
                errors.add(
                    (*at, "fields", f_index, "value"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                )
            total += len(name) + len(value)
    if total > EMBED_TOTAL:
        errors.add(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL}",
        )


def _check_components(errors: FormErrors, components: Sequence[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for index, row in enumerate(components):
        at: Path = ("components", index)
        children = row.get("components") or []
        if row.get("type") == 1:
            buttons = [c for c in children if c.get("type") == 2]
            errors.too_long((*at, "components"), buttons, ROW_BUTTONS)
            if len(buttons) != len(children) and len(children) > 1:
                errors.add(
                    (*at, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            errors.too_long(("components", "custom_id"), custom_id, CUSTOM_ID)
            if custom_id in seen:
                errors.add(
                    ("components", "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if component.get("type") == 2:
            errors.too_long(("components", "label"), component.get("label") or "", BUTTON_LABEL)
        if component.get("type") in (3, 5, 6, 7, 8):
            errors.too_long(
                ("components", "options"), component.get("options") or [], SELECT_OPTIONS
            )


def check_choices(data: Mapping[str, Any]) -> None:
    errors = FormErrors(("data",))
    choices = data.get("choices") or []
    errors.too_long(("choices",), choices, AUTOCOMPLETE_CHOICES)
    for index, choice in enumerate(choices):
        errors.too_long(("choices", index, "name"), str(choice.get("name", "")), CHOICE_NAME)
    errors.raise_if_any()
