"""Which timezone names Steady accepts, and how to explain a rejected one."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import InvalidInput

_EXAMPLE = "for example `America/New_York`, `Europe/London` or `Asia/Kolkata`"

# Every IANA name is accepted (GMT, Etc/UTC, US/Eastern, Japan …) except those that would give a
# member reminders an hour off for half the year: abbreviations such as EST, which never follow
# daylight saving time (or follow only the US rules), and the Etc/GMT±N fixed offsets, whose
# signs are inverted from what people expect.
_EXCLUDED_PREFIXES = ("SystemV/", "posix/", "right/")
_ABBREVIATIONS = frozenset(
    {"EST", "MST", "HST", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT", "WET", "CET", "MET", "EET"}
)
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})
_FIXED_OFFSET = re.compile(r"Etc/GMT[+-]\d+")
_ZERO_OFFSET = re.compile(r"(Etc/)?GMT[+-]?0")

# What people type when they think of their zone by its abbreviation or name: suggested first.
_HINTS: dict[str, tuple[str, ...]] = {
    "eastern": ("America/New_York", "America/Toronto", "America/Detroit"),
    "central": ("America/Chicago", "America/Winnipeg", "America/Mexico_City"),
    "mountain": ("America/Denver", "America/Edmonton", "America/Phoenix"),
    "pacific": ("America/Los_Angeles", "America/Vancouver", "America/Tijuana"),
    "alaska": ("America/Anchorage",),
    "hawaii": ("Pacific/Honolulu",),
    "gmt": ("Europe/London", "GMT", "Etc/UTC"),
    "utc": ("UTC", "Etc/UTC"),
    "bst": ("Europe/London",),
    "cet": ("Europe/Paris", "Europe/Berlin", "Europe/Madrid"),
    "eet": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv"),
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "jst": ("Asia/Tokyo",),
    "aest": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "nzst": ("Pacific/Auckland",),
}
for _abbreviation, _region in (
    ("est", "eastern"),
    ("edt", "eastern"),
    ("cst", "central"),
    ("cdt", "central"),
    ("mst", "mountain"),
    ("mdt", "mountain"),
    ("pst", "pacific"),
    ("pdt", "pacific"),
    ("akst", "alaska"),
    ("akdt", "alaska"),
    ("hst", "hawaii"),
    ("cest", "cet"),
    ("eest", "eet"),
    ("aedt", "aest"),
    ("nzdt", "nzst"),
):
    _HINTS[_abbreviation] = _HINTS[_region]


def _accepted(name: str) -> bool:
    if name.startswith(_EXCLUDED_PREFIXES) or name in _ABBREVIATIONS or name in _NOT_ZONES:
        return False
    return not (_FIXED_OFFSET.fullmatch(name) and not _ZERO_OFFSET.fullmatch(name))


@cache
def accepted_timezones() -> tuple[str, ...]:
    """Every name `parse_timezone` accepts."""
    return tuple(sorted(name for name in {*available_timezones(), "UTC"} if _accepted(name)))


@cache
def supported_timezones() -> tuple[str, ...]:
    """The names offered while typing: places (Area/City) and UTC, without legacy aliases."""
    return tuple(
        name
        for name in accepted_timezones()
        if ("/" in name and "GMT" not in name) or name == "UTC"
    )


@cache
def _lookup() -> dict[str, str]:
    return {name.casefold(): name for name in accepted_timezones()}


def shown_safely(text: str, limit: int = 40) -> str:
    """User input as it can be echoed: invisible and control characters spelled as U+XXXX,
    backticks (which would end the code span) replaced, and long input cut short."""
    shown = "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else f"U+{ord(ch):04X}"
        for ch in text
    ).replace("`", "'")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def parse_timezone(raw: str) -> ZoneInfo:
    """The zone named by `raw` (case-insensitive), or an `InvalidInput` that says what to type."""
    text = unicodedata.normalize("NFKC", raw).strip()
    canonical = _lookup().get(text.casefold())
    if canonical is None:
        raise InvalidInput(_why_not(text))
    try:
        return ZoneInfo(canonical)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - tzdata lists only loadable zones
        raise InvalidInput(f"The timezone `{canonical}` is not available here.") from exc


def _why_not(text: str) -> str:
    shown = shown_safely(text)
    if any(not ch.isprintable() or unicodedata.category(ch) == "Cf" for ch in text):
        return (
            f"`{shown}` contains invisible characters, so I can't read it as a timezone. "
            f"Please type the name again, {_EXAMPLE}."
        )
    upper = text.upper()
    if upper in _ABBREVIATIONS or upper.casefold() in _HINTS:
        places = _HINTS.get(upper.casefold(), ())
        example = f"such as `{places[0]}`" if places else _EXAMPLE
        return (
            f"`{shown}` is an abbreviation, and abbreviations don't follow daylight saving "
            f"time the way your clock does. Please pick a city that shares your time, "
            f"{example} — start typing a city and pick from the suggestions."
        )
    if _FIXED_OFFSET.fullmatch(text.title().replace("Etc/Gmt", "Etc/GMT")):
        return (
            f"`{shown}` is a fixed offset with an inverted sign (Etc/GMT+3 means UTC−3) that "
            f"never follows daylight saving time. Please use a place name, {_EXAMPLE}."
        )
    return (
        f"I don't recognise `{shown}` as a timezone. Please use an IANA name, "
        f"{_EXAMPLE} — start typing a city and pick from the suggestions."
    )


def _city_words(name: str) -> list[str]:
    city = name.casefold().rsplit("/", 1)[-1]
    return [city, *city.split("_")[1:]]


def suggest_timezones(partial: str, limit: int = 25) -> list[str]:
    """Names for autocomplete, best first: the cities people mean by an abbreviation (EST),
    then cities starting with what was typed, then names starting with it, then the rest
    containing it."""
    needle = unicodedata.normalize("NFKC", partial).strip().casefold().replace(" ", "_")
    names = supported_timezones()
    if not needle:
        return list(names[:limit])
    hinted = [name for name in _HINTS.get(needle, ()) if name in _lookup().values()]
    exact = [n for n in names if n.casefold() == needle]
    city = [n for n in names if any(word.startswith(needle) for word in _city_words(n))]
    starts = [n for n in names if n.casefold().startswith(needle)]
    contains = [n for n in names if needle in n.casefold()]
    seen: dict[str, None] = {}
    for name in (*hinted, *exact, *city, *starts, *contains):
        seen.setdefault(name, None)
        if len(seen) >= limit:
            break
    return list(seen)
