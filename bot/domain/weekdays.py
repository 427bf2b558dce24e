"""Reading and showing sets of weekdays: `daily`, `weekdays`, or a list like `mon,wed,fri`.

Check-in schedules and meetings both take this option, so they share one reading of it.
Days are numbered as `date.weekday()` does: Monday is 0, Sunday is 6.
"""

from __future__ import annotations

from bot.errors import InvalidInput

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY: frozenset[int] = frozenset(range(7))
WORKING_DAYS: frozenset[int] = frozenset(range(5))

# Full names and common abbreviations, so "Monday" or "tues" is read the way it was meant.
_ALIASES: dict[str, int] = {
    **{name: index for index, name in enumerate(DAY_NAMES)},
    **{
        name: index
        for index, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_EXAMPLE = "`daily`, `weekdays` or days like `mon,wed,fri`"


def parse_weekdays(raw: str) -> frozenset[int]:
    """The days named by `raw`, or an `InvalidInput` naming the word that is not a day."""
    text = raw.strip().casefold()
    if text in {"daily", "every day", "everyday"}:
        return EVERY_DAY
    if text in {"weekdays", "weekday"}:
        return WORKING_DAYS
    pieces = [piece for piece in text.replace(",", " ").split() if piece]
    if not pieces:
        raise InvalidInput(f"Please say which days: {_EXAMPLE}.")
    days: set[int] = set()
    for piece in pieces:
        day = _ALIASES.get(piece)
        if day is None:
            shown = piece[:12].replace("`", "'")
            raise InvalidInput(
                f"`{shown}` isn't a day I know. Please use {_EXAMPLE} "
                "(mon, tue, wed, thu, fri, sat, sun)."
            )
        days.add(day)
    return frozenset(days)


def format_weekdays(days: frozenset[int]) -> str:
    """The canonical spelling of a set of days, which `parse_weekdays` reads back to it."""
    if days == EVERY_DAY:
        return "daily"
    if days == WORKING_DAYS:
        return "weekdays"
    return ",".join(DAY_NAMES[day] for day in sorted(days))
