"""Which timezone names Steady accepts, and how to explain a rejected one."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import InvalidInput

_EXAMPLE = "for example `America/New_York`, `Europe/London` or `Asia/Kolkata`"

# Abbreviations like EST and fixed offsets like Etc/GMT+3 never follow daylight saving time, and
# the Etc/ signs are inverted from what people expect; a member picking one would get reminders
# an hour off for half the year. Only real places (and plain UTC) are offered.
_EXCLUDED_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/")


@cache
def supported_timezones() -> tuple[str, ...]:
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(_EXCLUDED_PREFIXES)
    }
    names.add("UTC")
    return tuple(sorted(names))


@cache
def _lookup() -> dict[str, str]:
    return {name.casefold(): name for name in supported_timezones()}


def parse_timezone(raw: str) -> ZoneInfo:
    """The zone named by `raw` (case-insensitive), or an `InvalidInput` that says what to type."""
    text = raw.strip()
    canonical = _lookup().get(text.casefold())
    if canonical is None:
        shown = text.replace("`", "'") if len(text) <= 40 and text.isprintable() else "that"
        raise InvalidInput(
            f"I don't recognise `{shown}` as a timezone. Please use a place-based IANA name, "
            f"{_EXAMPLE} — start typing a city and pick from the suggestions."
        )
    try:
        return ZoneInfo(canonical)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - tzdata lists only loadable zones
        raise InvalidInput(f"The timezone `{canonical}` is not available here.") from exc


def suggest_timezones(partial: str, limit: int = 25) -> list[str]:
    """Names for autocomplete: those containing what was typed, best matches first."""
    needle = partial.strip().casefold().replace(" ", "_")
    names = supported_timezones()
    if not needle:
        return list(names[:limit])
    starts = [n for n in names if n.casefold().startswith(needle)]
    city = [n for n in names if n.casefold().rsplit("/", 1)[-1].startswith(needle)]
    contains = [n for n in names if needle in n.casefold()]
    seen: dict[str, None] = {}
    for name in (*starts, *city, *contains):
        seen.setdefault(name, None)
        if len(seen) >= limit:
            break
    return list(seen)
