"""Reading what members type into /sobriety: dates, times and labels, with kind explanations."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time

from bot.errors import InvalidInput

MAX_LABEL = 40
DEFAULT_LABEL = "sobriety"
EARLIEST = date(1900, 1, 1)

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2})")
_MENTION = re.compile(r"<[@#][!&]?\d+>|@(everyone|here)|<@|@", re.IGNORECASE)


def parse_date(raw: str, *, today: date, what: str = "date") -> date:
    """A YYYY-MM-DD date no later than the member's today and not before 1900."""
    text = raw.strip()
    match = _DATE.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"Please give the {what} as YYYY-MM-DD, for example `{today:%Y-%m-%d}` for today. "
            'Words like "yesterday" or other formats like 03/04/2025 can be read more than one way.'
        )
    year, month, day = (int(part) for part in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"`{text}` isn't a date on the calendar (check the month and day). "
            f"Please use YYYY-MM-DD, for example `{today:%Y-%m-%d}`."
        ) from None
    if parsed < EARLIEST:
        raise InvalidInput("Please choose a date from 1900 onwards.")
    if parsed > today:
        raise InvalidInput(
            f"{parsed:%Y-%m-%d} is in the future where you are (today is {today:%Y-%m-%d}). "
            "A counter can start today or earlier."
        )
    return parsed


def parse_time(raw: str) -> time:
    text = raw.strip()
    match = _TIME.fullmatch(text)
    if match is not None:
        hour, minute = (int(part) for part in match.groups())
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput("Please give the time as HH:MM on a 24-hour clock, for example `21:30`.")


def parse_label(raw: str | None) -> str:
    """A short name for a counter: 1–40 characters, no mentions, no invisible or control
    characters."""
    if raw is None:
        return DEFAULT_LABEL
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput("A counter's label can't be empty; try something like `alcohol`.")
    if len(text) > MAX_LABEL:
        raise InvalidInput(f"Please keep the label to {MAX_LABEL} characters or fewer.")
    if any(_is_control(ch) for ch in raw if ch != " "):
        raise InvalidInput("The label can only contain ordinary text (no control characters).")
    hidden = invisible_characters(text)
    if hidden:
        raise InvalidInput(
            f"The label contains an invisible character ({', '.join(hidden)}), which could make "
            "two labels look the same. Please type it again in plain words or emoji."
        )
    if _MENTION.search(text) or "`" in text:
        raise InvalidInput("The label can't contain mentions, @ or backticks; try plain words.")
    if len(label_key(text)) > MAX_KEY:
        raise InvalidInput(f"Please keep the label to {MAX_LABEL} plain characters or fewer.")
    return text


def _is_control(ch: str) -> bool:
    # Format characters (Cf) are judged by `invisible_characters`, which keeps the zero-width
    # joiner that emoji sequences need; bidirectional overrides are refused here, since they
    # make a label read differently than it is.
    category = unicodedata.category(ch)
    return (
        category in {"Cc", "Cs", "Co", "Cn"}
        or "\u202a" <= ch <= "\u202e"
        or ("\u2066" <= ch <= "\u2069")
    )


ZWJ = "\u200d"
_BLACK_FLAG = "\U0001f3f4"
# Letters and symbols that render as blank space although Unicode does not call them format
# characters (Hangul fillers, the braille blank, the combining grapheme joiner).
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


def _is_emoji_part(ch: str) -> bool:
    """A character an emoji ZWJ sequence is built from: a pictograph, a skin tone, VS-16."""
    return unicodedata.category(ch) == "So" or ch == "\ufe0f" or "\U0001f3fb" <= ch <= "\U0001f3ff"


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def invisible_characters(text: str) -> list[str]:
    """The invisible characters in `text` as U+XXXX codes, sparing the zero-width joiner inside
    an emoji sequence (👩‍💻) and the tag characters of a subdivision flag (🏴 + tags)."""
    found: list[str] = []
    for index, ch in enumerate(text):
        if ch == ZWJ:
            before = text[index - 1] if index > 0 else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if before and after and _is_emoji_part(before) and _is_emoji_part(after):
                continue
        elif _is_tag(ch):
            flag = text.rfind(_BLACK_FLAG, 0, index)
            if flag >= 0 and all(_is_tag(c) for c in text[flag + 1 : index]):
                continue
        elif unicodedata.category(ch) != "Cf" and ch not in _BLANK_LOOKING:
            continue
        code = f"U+{ord(ch):04X}"
        if code not in found:
            found.append(code)
    return found


MAX_KEY = 160  # the label_key column's width


def label_key(label: str) -> str:
    """Labels are matched as people read them: after compatibility normalisation and ignoring
    case, so "Alcohol", "ALCOHOL" and "Ａｌｃｏｈｏｌ" are one counter."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).casefold())
