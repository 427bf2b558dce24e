"""Reading what members type into /mentor and /setup mentoring: focus areas, availability
windows, capacity and short texts, with kind explanations of what to type instead."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

from bot.domain.matching import MINUTES_PER_DAY, Window
from bot.errors import InvalidInput

DEFAULT_FOCUS_LIST: tuple[str, ...] = (
    "alcohol",
    "opioids",
    "stimulants",
    "cannabis",
    "nicotine",
    "gambling",
    "mental health",
    "family",
    "young adults",
    "LGBTQ+",
    "veterans",
    "faith-based",
    "secular",
)
MAX_FOCUS_AREAS = 40
MAX_FOCUS_NAME = 30
MAX_WINDOWS = 7
MIN_CAPACITY = 1
MAX_CAPACITY = 10
DEFAULT_CAPACITY = 2
MAX_TEXT = 300

_WINDOW = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
# Any text Discord could turn into a ping, or that merely looks like one.
_MENTION = re.compile(r"<[@#][!&]?\d+>|@", re.IGNORECASE)
# Availability is counted in quarter hours, the step every timezone offset in use is made of.
_QUARTER = 15


def focus_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def parse_focus(raw: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    """A comma-separated list of focus areas from the server's list, in the list's spelling.

    An unknown area is refused with the closest one on the list, if any is close.
    """
    if raw is None or not raw.strip():
        return ()
    by_key = {focus_key(name): name for name in allowed}
    chosen: dict[str, None] = {}
    for piece in (p.strip() for p in raw.split(",")):
        if not piece:
            continue
        name = by_key.get(focus_key(piece))
        if name is None:
            raise InvalidInput(_unknown_focus(piece, by_key))
        chosen.setdefault(name, None)
    return tuple(chosen)


def _unknown_focus(piece: str, by_key: dict[str, str]) -> str:
    shown = piece.replace("`", "'")[:MAX_FOCUS_NAME]
    close = difflib.get_close_matches(focus_key(piece), list(by_key), n=1, cutoff=0.75)
    if close:
        return f"`{shown}` isn't on this server's focus list. Did you mean `{by_key[close[0]]}`?"
    return (
        f"`{shown}` isn't on this server's focus list. Pick from the suggestions, for example "
        f"{', '.join(f'`{name}`' for name in list(by_key.values())[:3])}."
    )


def suggest_focus(partial: str, allowed: Sequence[str], limit: int = 25) -> list[str]:
    """Autocomplete for a comma list: completes the last item, keeping those typed before it."""
    head, _, last = partial.rpartition(",")
    done = {focus_key(p) for p in head.split(",") if p.strip()}
    needle = focus_key(last)
    prefix = ", ".join(p.strip() for p in head.split(",") if p.strip())
    options = [n for n in allowed if focus_key(n) not in done and needle in focus_key(n)]
    options.sort(key=lambda n: not focus_key(n).startswith(needle))
    return [f"{prefix}, {n}" if prefix else n for n in options[:limit]]


def parse_focus_list(raw: str) -> tuple[str, ...]:
    """A moderator's focus list for the server: comma-separated names, 1–40 of them."""
    names: dict[str, str] = {}
    for piece in (" ".join(p.split()) for p in raw.split(",")):
        if not piece:
            continue
        if len(piece) > MAX_FOCUS_NAME:
            raise InvalidInput(f"Please keep each focus area to {MAX_FOCUS_NAME} characters.")
        if _MENTION.search(piece) or "`" in piece or not piece.isprintable():
            raise InvalidInput("Focus areas can only contain plain words (no @ or backticks).")
        names.setdefault(focus_key(piece), piece)
    if not names:
        raise InvalidInput("The focus list needs at least one area, for example `alcohol, family`.")
    if len(names) > MAX_FOCUS_AREAS:
        raise InvalidInput(f"A focus list can have at most {MAX_FOCUS_AREAS} areas.")
    return tuple(names.values())


def parse_availability(raw: str | None) -> tuple[Window, ...]:
    """Local time windows like `18:00-22:00, 06:30-08:00`; a window may cross midnight."""
    if raw is None or not raw.strip():
        return ()
    windows: list[Window] = []
    for piece in (p.strip() for p in raw.split(",")):
        if not piece:
            continue
        windows.append(_parse_window(piece))
    if len(windows) > MAX_WINDOWS:
        raise InvalidInput(f"Please give at most {MAX_WINDOWS} time windows.")
    return tuple(windows)


def _parse_window(piece: str) -> Window:
    example = "for example `18:00-22:00` or `22:00-01:00` for late evenings"
    match = _WINDOW.fullmatch(piece)
    if match is None:
        raise InvalidInput(f"Please write times as from-to on a 24-hour clock, {example}.")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise InvalidInput(f"`{piece}` has a time that isn't on the clock; {example}.")
    if m1 % _QUARTER or m2 % _QUARTER:
        raise InvalidInput(
            f"Please use quarter hours (:00, :15, :30 or :45) in `{piece}`; {example}."
        )
    start = (h1 * 60 + m1) % MINUTES_PER_DAY
    end = (h2 * 60 + m2) % MINUTES_PER_DAY
    if start == end:
        raise InvalidInput(f"`{piece}` starts and ends at the same time; {example}.")
    return Window(start, end)


def parse_capacity(value: int | None) -> int:
    if value is None:
        return DEFAULT_CAPACITY
    if not MIN_CAPACITY <= value <= MAX_CAPACITY:
        raise InvalidInput(
            f"Capacity is how many people you can support at once: "
            f"{MIN_CAPACITY} to {MAX_CAPACITY}."
        )
    return value


def parse_text(raw: str | None, *, what: str) -> str | None:
    """An optional short text (a note or an about): up to 300 characters, no mentions."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"Please keep the {what} to {MAX_TEXT} characters (it has {len(text)}).")
    if _MENTION.search(text):
        raise InvalidInput(
            f"The {what} can't contain mentions or @, so that nobody is pinged; "
            "please write names as plain words."
        )
    if any(_is_control(ch) for ch in text if ch not in "\n"):
        raise InvalidInput(f"The {what} can only contain ordinary text.")
    return text


def _is_control(ch: str) -> bool:
    # As for sobriety labels: emoji need the zero-width joiner (Cf), bidi overrides are refused.
    category = unicodedata.category(ch)
    return (
        category in {"Cc", "Cs", "Co", "Cn"}
        or "\u202a" <= ch <= "\u202e"
        or ("\u2066" <= ch <= "\u2069")
    )


def describe_windows(windows: Sequence[Window]) -> str:
    return ", ".join(window.describe() for window in windows)
