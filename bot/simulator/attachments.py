"""Uploaded files: the size limit, `attachments` metadata, image sizes, `attachment://` links.

discord.py uploads `files[N]` form fields and describes them in `payload_json.attachments`
(`{"id": N, "filename": ..., "description": ...}`); on edits, existing attachments are kept by
listing their snowflake ids there. Embeds and Components V2 media point at an upload with
`attachment://<filename>`, which Discord replaces by the attachment's URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bot.simulator.errors import ApiError
from bot.simulator.limits import FormErrors, Path
from bot.simulator.state import JSON, SimFile, walk_components

FILE_SIZE_LIMIT = 10 * 1024 * 1024  # bytes per file, without boosts or Nitro
ENTITY_TOO_LARGE = 40005
SCHEME = "attachment://"

_EMBED_MEDIA = (
    ("image", "url"),
    ("thumbnail", "url"),
    ("author", "icon_url"),
    ("footer", "icon_url"),
)


def check_sizes(files: Iterable[SimFile]) -> None:
    """413 / 40005 for a file over the upload limit (nothing is posted)."""
    if any(len(f.data) > FILE_SIZE_LIMIT for f in files):
        raise ApiError(413, ENTITY_TOO_LARGE, "Request entity too large")


def apply_metadata(payload: Mapping[str, Any], uploads: Sequence[SimFile]) -> None:
    """Filename and description from `payload_json.attachments`, matched by upload index."""
    by_index = {f.index: f for f in uploads if f.index is not None}
    for entry in payload.get("attachments") or []:
        index = _int(entry.get("id"))
        file = by_index.get(index) if index is not None else None
        if file is None:
            continue
        if entry.get("filename"):
            file.filename = str(entry["filename"])
        if entry.get("description") is not None:
            file.description = str(entry["description"])


def check_references(
    payload: Mapping[str, Any], filenames: Iterable[str], *, prefix: Path = ()
) -> None:
    """400 / 50035 where an embed or a media component names an upload that is not there."""
    known = set(filenames)
    errors = FormErrors(prefix)
    for index, embed in enumerate(payload.get("embeds") or []):
        for part, key in _EMBED_MEDIA:
            url = (embed.get(part) or {}).get(key)
            if _missing(url, known):
                errors.add(
                    ("embeds", index, part, key),
                    "ATTACHMENT_NOT_FOUND",
                    f"Unknown attachment {url!r}: no uploaded file has that name.",
                )
    for component in walk_components(payload.get("components") or []):
        for url in _media_urls(component):
            if _missing(url, known):
                errors.add(
                    ("components",),
                    "ATTACHMENT_NOT_FOUND",
                    f"Unknown attachment {url!r}: no uploaded file has that name.",
                )
    errors.raise_if_any()


def resolve_references(
    embeds: list[JSON], files: Sequence[SimFile], describe: Callable[[SimFile], JSON]
) -> None:
    """Embed media naming an upload get its URL (and size), as Discord shows them."""
    by_name = {f.filename: f for f in files}
    for embed in embeds:
        for part, key in _EMBED_MEDIA:
            media = embed.get(part)
            url = media.get(key) if isinstance(media, dict) else None
            if (
                not isinstance(media, dict)
                or not isinstance(url, str)
                or not url.startswith(SCHEME)
            ):
                continue
            file = by_name.get(url.removeprefix(SCHEME))
            if file is None:
                continue
            attachment = describe(file)
            media[key] = attachment["url"]
            if key == "url":
                media["proxy_url"] = attachment["proxy_url"]
                for extra in ("width", "height", "content_type"):
                    if extra in attachment:
                        media[extra] = attachment[extra]


def _media_urls(component: Mapping[str, Any]) -> list[str]:
    kind = component.get("type")
    if kind == 11:
        return [str((component.get("media") or {}).get("url") or "")]
    if kind == 12:
        return [str((i.get("media") or {}).get("url") or "") for i in component.get("items") or []]
    if kind == 13:
        return [str((component.get("file") or {}).get("url") or "")]
    return []


def _missing(url: object, known: set[str]) -> bool:
    return isinstance(url, str) and url.startswith(SCHEME) and url.removeprefix(SCHEME) not in known


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
