"""A member's export as JSON files, each under the attachment size limit Discord gives the
interaction: one file when it fits, else several, each a complete JSON document saying which
part it is. Nothing is dropped: a single item too large for any file is an error, never cut.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

FILENAME = "steady-export.json"
# Keys ending so hold a member id; `with_names` adds the member's name beside them.
MEMBER_ID_SUFFIX = "_member_id"


class ExportTooLarge(Exception):
    """One item of the export does not fit in a file of the allowed size."""


def member_ids(document: Any) -> set[int]:
    """Every member id the document names (other people: mentors, viewers, moderators)."""
    found: set[int] = set()
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key.endswith(MEMBER_ID_SUFFIX) and isinstance(value, int):
                found.add(value)
            else:
                found |= member_ids(value)
    elif isinstance(document, list):
        for value in document:
            found |= member_ids(value)
    return found


def with_names(document: Any, names: Mapping[int, str], unknown: str) -> Any:
    """A copy with `X_member: name` beside every `X_member_id` (`unknown` when not known)."""
    if isinstance(document, Mapping):
        copy: dict[str, Any] = {}
        for key, value in document.items():
            if key.endswith(MEMBER_ID_SUFFIX) and isinstance(value, int):
                copy[key[: -len("_id")]] = names.get(value, unknown)
                copy[key] = value
            else:
                copy[key] = with_names(value, names, unknown)
        return copy
    if isinstance(document, list):
        return [with_names(value, names, unknown) for value in document]
    return document


def _pretty(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _compact(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# Bytes a piece may add beyond its own JSON when packed (quotes, colons, braces, commas): an
# over-estimate, so a packed part never exceeds the limit.
_PIECE_OVERHEAD = 16


def export_files(document: Mapping[str, Any], limit: int) -> list[tuple[str, bytes]]:
    """(filename, content) pairs, each at most `limit` bytes, together holding everything."""
    for encode in (_pretty, _compact):
        whole = encode(document)
        if len(whole) <= limit:
            return [(FILENAME, whole)]
    header = {key: value for key, value in document.items() if key != "features"}
    budget = limit - len(_compact(_framed(header, {}, 10**6, 10**6)))
    features: Mapping[str, Any] = document.get("features", {})
    # The pieces to pack: a feature whole, or, when it is too big, its entries, with lists
    # cut into their items. Sizes are counted once, so packing is linear in the export.
    pieces: list[tuple[str, str | None, Any, int]] = []
    for feature, data in features.items():
        size = len(_compact(feature)) + len(_compact(data)) + _PIECE_OVERHEAD
        if size <= budget or not isinstance(data, Mapping):
            pieces.append((feature, None, data, size))
            continue
        for key, value in data.items():
            items = value if isinstance(value, list) and value else [None]
            for item in items:
                piece = [item] if isinstance(value, list) and value else value
                size = (
                    len(_compact(feature))
                    + len(_compact(key))
                    + len(_compact(piece))
                    + 2 * _PIECE_OVERHEAD
                )
                pieces.append((feature, key, piece, size))
    parts: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    used = 0
    for feature, key, value, size in pieces:
        if size > budget:
            raise ExportTooLarge(f"an item of {feature!r} is larger than {limit} bytes")
        if current and used + size > budget:
            parts.append(current)
            current, used = {}, 0
        _add(current, feature, key, value)
        used += size
    if current:
        parts.append(current)
    count = len(parts)
    return [
        (f"steady-export-{number}-of-{count}.json", _compact(_framed(header, part, number, count)))
        for number, part in enumerate(parts, start=1)
    ]


def _framed(header: Mapping[str, Any], features: Mapping[str, Any], part: int, parts: int) -> Any:
    return {**header, "part": part, "parts": parts, "features": features}


def _add(part: dict[str, Any], feature: str, key: str | None, value: Any) -> None:
    if key is None:
        part[feature] = value
        return
    section = part.setdefault(feature, {})
    if isinstance(value, list) and isinstance(section.get(key), list):
        section[key].extend(value)
    else:
        section[key] = list(value) if isinstance(value, list) else value
