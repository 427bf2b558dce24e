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
    """A short name for a counter: 1–40 characters, no mentions, no control characters."""
    if raw is None:
        return DEFAULT_LABEL
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput("A counter's label can't be empty; try something like `alcohol`.")
    if len(text) > MAX_LABEL:
        raise InvalidInput(f"Please keep the label to {MAX_LABEL} characters or fewer.")
    if any(_is_control(ch) for ch in raw if ch != " "):
        raise InvalidInput("The label can only contain ordinary text (no control characters).")
    if _MENTION.search(text) or "`" in text:
        raise InvalidInput("The label can't contain mentions, @ or backticks; try plain words.")
    return text


def _is_control(ch: str) -> bool:
    # Format characters (Cf) stay allowed because emoji sequences need the zero-width joiner;
    # bidirectional overrides do not, since they can make a label read differently than it is.
    category = unicodedata.category(ch)
    return (
        category in {"Cc", "Cs", "Co", "Cn"}
        or "\u202a" <= ch <= "\u202e"
        or ("\u2066" <= ch <= "\u2069")
    )


def label_key(label: str) -> str:
    """Labels are matched ignoring case, so "Alcohol" and "alcohol" are one counter."""
    return label.casefold()
