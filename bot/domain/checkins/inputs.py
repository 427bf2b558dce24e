"""Reading what members type into /checkin, with explanations written for them.

Every function either returns a usable value or raises `InvalidInput` whose message says what
to type; nothing is changed when one is raised.
"""

from __future__ import annotations

import re
from datetime import date, time

from dateutil.relativedelta import relativedelta

from bot.domain.local_time import parse_clock_time
from bot.domain.weekdays import parse_weekdays
from bot.errors import InvalidInput

MOOD_MIN, MOOD_MAX = 1, 5
CRAVING_MIN, CRAVING_MAX = 0, 10
MAX_NOTE = 1000
HISTORY_MIN_DAYS, HISTORY_MAX_DAYS, HISTORY_DEFAULT_DAYS = 7, 90, 30
KEEP_NOTES_MIN_DAYS, KEEP_NOTES_MAX_DAYS, KEEP_NOTES_DEFAULT_DAYS = 1, 365, 90

MOOD_WORDS: dict[int, str] = {
    1: "very low",
    2: "low",
    3: "okay",
    4: "good",
    5: "very good",
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YES = {"yes", "y", "true", "1", "on", "si", "sí"}
_NO = {"no", "n", "false", "0", "off", ""}


def parse_mood(raw: str | int) -> int:
    """Mood from 1 (very low) to 5 (very good)."""
    return _score(
        raw,
        MOOD_MIN,
        MOOD_MAX,
        "Mood is a whole number from 1 (very low) to 5 (very good), for example `3`.",
    )


def parse_craving(raw: str | int) -> int:
    """Craving from 0 (none) to 10 (the strongest)."""
    return _score(
        raw,
        CRAVING_MIN,
        CRAVING_MAX,
        "Craving is a whole number from 0 (none at all) to 10 (the strongest), for example `4`.",
    )


def _score(raw: str | int, low: int, high: int, explanation: str) -> int:
    if isinstance(raw, int):
        value = raw
    else:
        text = raw.strip()
        if not text.lstrip("-").isdigit() or len(text) > 4:
            raise InvalidInput(explanation)
        value = int(text)
    if not low <= value <= high:
        raise InvalidInput(explanation)
    return value


def parse_note(raw: str | None) -> str | None:
    """An optional note up to 1,000 characters. Mentions are kept as typed: replies and alerts
    render notes with no allowed mentions, so a note can never ping anyone."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_NOTE:
        raise InvalidInput(
            f"Your note is {len(text):,} characters; please keep it to {MAX_NOTE:,} or fewer. "
            "Nothing was saved, so you can shorten it and try again."
        )
    return text


def parse_support(raw: str | bool | None) -> bool:
    """The answer to "I'd like someone to reach out": yes or no (unset means no)."""
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    text = raw.strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidInput('Please answer "I\'d like someone to reach out" with yes or no.')


def parse_schedule_time(raw: str) -> time:
    """The local time of the daily prompt, HH:MM."""
    return parse_clock_time(raw)


def parse_schedule_days(raw: str | None) -> frozenset[int]:
    """`daily` (the default), `weekdays`, or days like `mon,wed,fri`."""
    return parse_weekdays("daily" if raw is None else raw)


def parse_pause_until(raw: str, *, today: date) -> date:
    """The last day without prompts (inclusive): today at the earliest, a year ahead at most.

    Prompts resume the day after; pausing "until today" skips just today's prompt.
    """
    text = raw.strip()
    parsed = None
    if _DATE.fullmatch(text):
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(
            f"Please give the date as YYYY-MM-DD, for example `{today + relativedelta(weeks=1)}` "
            "for a week from today."
        )
    if parsed < today:
        raise InvalidInput(
            f"{parsed} has already passed where you are (today is {today}). "
            "Please choose today or a later date."
        )
    latest = today + relativedelta(years=1)
    if parsed > latest:
        raise InvalidInput(
            f"A pause can last up to a year (until {latest}). You can always pause again later, "
            "or use `/checkin off` to stop the prompts."
        )
    return parsed


def parse_history_days(raw: int | None) -> int:
    """How many days `/checkin history` covers: 7–90, default 30."""
    if raw is None:
        return HISTORY_DEFAULT_DAYS
    if not HISTORY_MIN_DAYS <= raw <= HISTORY_MAX_DAYS:
        raise InvalidInput(
            f"History covers {HISTORY_MIN_DAYS} to {HISTORY_MAX_DAYS} days; "
            f"for example `days:{HISTORY_DEFAULT_DAYS}`."
        )
    return raw


def parse_keep_notes_days(raw: int | None) -> int:
    """`/setup checkins keep-notes-days`: 1–365, default 90. Scores are kept a year for the
    chart whatever this says; only the notes go sooner."""
    if raw is None:
        return KEEP_NOTES_DEFAULT_DAYS
    if not KEEP_NOTES_MIN_DAYS <= raw <= KEEP_NOTES_MAX_DAYS:
        raise InvalidInput(
            f"`keep-notes-days` is from {KEEP_NOTES_MIN_DAYS} to {KEEP_NOTES_MAX_DAYS} days "
            f"(default {KEEP_NOTES_DEFAULT_DAYS})."
        )
    return raw
