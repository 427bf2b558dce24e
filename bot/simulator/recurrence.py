"""A scheduled event's `recurrence_rule`, checked against Discord's "System limitations".

Discord documents a subset of RFC 5545 and then restricts it further; the simulator refuses
what Discord refuses, with 400 / 50035 and the field's path (`recurrence_rule.by_weekday`):

* `count`, `end` and `by_year_day` cannot be set by an application;
* `by_weekday`, `by_n_weekday` and `by_month` + `by_month_day` are mutually exclusive;
* `by_weekday` only with DAILY (then one of the known day sets) or WEEKLY (then one day);
* `by_n_weekday` only with MONTHLY, one entry, `n` 1-5;
* `by_month` and `by_month_day` only with YEARLY, both given, one entry each;
* `interval` is 1, except 2 with WEEKLY ("every other week").

The docs' prose gives DAILY and WEEKLY as 0 and 1, but their frequency table (and their
examples) number them YEARLY 0, MONTHLY 1, WEEKLY 2, DAILY 3; the table is what is used here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.simulator.limits import FormErrors, Path

YEARLY, MONTHLY, WEEKLY, DAILY = 0, 1, 2, 3
DAILY_WEEKDAY_SETS = (
    frozenset({0, 1, 2, 3, 4}),  # Monday - Friday
    frozenset({1, 2, 3, 4, 5}),  # Tuesday - Saturday
    frozenset({6, 0, 1, 2, 3}),  # Sunday - Thursday
    frozenset({4, 5}),  # Friday & Saturday
    frozenset({5, 6}),  # Saturday & Sunday
    frozenset({6, 0}),  # Sunday & Monday
)
_INVALID = "GUILD_SCHEDULED_EVENT_RECURRENCE_RULE_INVALID"
# Reports one field's error: (key, message[, code]).
_Bad = Callable[..., None]


def check_recurrence_rule(errors: FormErrors, rule: Any, path: Path = ("recurrence_rule",)) -> None:
    """Add an error for each way `rule` breaks Discord's limits (None: no recurrence)."""
    if rule is None:
        return
    if not isinstance(rule, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return

    def bad(key: str, message: str, code: str = _INVALID) -> None:
        errors.add((*path, key), code, message)

    for key in ("count", "end", "by_year_day"):
        if rule.get(key) is not None:
            bad(key, f"{key} cannot be set by an application.")
    if not _is_time(rule.get("start")):
        bad("start", "Could not parse the date. Should be ISO8601.", "DATE_TIME_TYPE_PARSE")
    frequency = rule.get("frequency")
    if frequency not in (YEARLY, MONTHLY, WEEKLY, DAILY):
        bad("frequency", "Value must be one of {0, 1, 2, 3}.", "BASE_TYPE_CHOICES")
        return
    interval = rule.get("interval", 1)
    if not isinstance(interval, int) or isinstance(interval, bool):
        bad("interval", "Value is not int.", "NUMBER_TYPE_COERCE")
    elif interval != 1 and not (frequency == WEEKLY and interval == 2):
        bad("interval", "interval can only be 2 for weekly events, otherwise 1.")

    weekday = rule.get("by_weekday")
    n_weekday = rule.get("by_n_weekday")
    month = rule.get("by_month")
    month_day = rule.get("by_month_day")
    groups = [
        weekday is not None,
        n_weekday is not None,
        month is not None or month_day is not None,
    ]
    if sum(groups) > 1:
        errors.add(
            path,
            _INVALID,
            "by_weekday, by_n_weekday and by_month + by_month_day are mutually exclusive.",
        )
        return
    if weekday is not None:
        _check_weekday(bad, frequency, weekday)
    if n_weekday is not None:
        _check_n_weekday(bad, frequency, n_weekday)
    if month is not None or month_day is not None:
        _check_month(bad, frequency, month, month_day)


def _check_weekday(bad: _Bad, frequency: int, days: Any) -> None:
    if frequency not in (DAILY, WEEKLY):
        bad("by_weekday", "by_weekday is only valid for daily and weekly events.")
        return
    if not _int_list(days, 0, 6):
        bad("by_weekday", "by_weekday must be a list of weekdays (0-6).")
    elif frequency == DAILY and frozenset(days) not in DAILY_WEEKDAY_SETS:
        bad("by_weekday", "by_weekday for a daily event must be one of the known sets of days.")
    elif frequency == WEEKLY and len(days) != 1:
        bad("by_weekday", "by_weekday for a weekly event must hold exactly one day.")


def _check_n_weekday(bad: _Bad, frequency: int, entries: Any) -> None:
    if frequency != MONTHLY:
        bad("by_n_weekday", "by_n_weekday is only valid for monthly events.")
        return
    if not isinstance(entries, list) or len(entries) != 1:
        bad("by_n_weekday", "by_n_weekday must hold exactly one entry.")
        return
    entry = entries[0]
    if not isinstance(entry, dict):
        bad("by_n_weekday", "by_n_weekday entries are objects with n and day.")
        return
    if not _int_list([entry.get("n")], 1, 5):
        bad("by_n_weekday", "n must be a week of the month, 1-5.")
    if not _int_list([entry.get("day")], 0, 6):
        bad("by_n_weekday", "day must be a weekday, 0-6.")


def _check_month(bad: _Bad, frequency: int, month: Any, month_day: Any) -> None:
    if frequency != YEARLY:
        bad("by_month", "by_month and by_month_day are only valid for yearly events.")
        return
    if month is None or month_day is None:
        missing = "by_month" if month is None else "by_month_day"
        bad(missing, "by_month and by_month_day must be given together.", "BASE_TYPE_REQUIRED")
        return
    if not _int_list(month, 1, 12) or len(month) != 1:
        bad("by_month", "by_month must hold exactly one month (1-12).")
    if not _int_list(month_day, 1, 31) or len(month_day) != 1:
        bad("by_month_day", "by_month_day must hold exactly one day of the month (1-31).")


def _int_list(values: Any, low: int, high: int) -> bool:
    return (
        isinstance(values, list)
        and bool(values)
        and all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in values)
    )


def _is_time(raw: Any) -> bool:
    if not isinstance(raw, str):
        return False
    try:
        return datetime.fromisoformat(raw).tzinfo is not None
    except ValueError:
        return False
