"""Quiet signals that a mentor (only) may want to say hello: silence and a falling mood.

Neither is an alert: nothing escalates, nobody but the member's mentor is told, and without a
mentor nothing is sent to anyone. Both are rate-limited so a hard week is not a stream of DMs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import fmean

MISSED_PROMPTS_FOR_NUDGE = 3
MOOD_DROP_RECENT = 3
MOOD_DROP_CEILING = 2.0  # the recent average must be at or below this
MOOD_DROP_MARGIN = 1.5  # and at least this far below the earlier average
MOOD_DROP_BASELINE = timedelta(days=14)
MOOD_NUDGE_INTERVAL = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class SilenceState:
    """Stored per schedule: prompts missed in a row, and whether this spell was nudged."""

    missed_in_a_row: int = 0
    nudged: bool = False


def prompt_answered(
    prompt_at: datetime, next_prompt_at: datetime, checkins: Sequence[datetime]
) -> bool:
    """A prompt is answered by any check-in from the moment it was sent until the next prompt."""
    return any(prompt_at <= at < next_prompt_at for at in checkins)


def after_missed_prompt(state: SilenceState) -> tuple[SilenceState, bool]:
    """A prompt's window closed with no check-in. Returns the new state and whether to nudge
    the mentor now: on the third miss in a row, once per spell of silence."""
    missed = state.missed_in_a_row + 1
    nudge = missed >= MISSED_PROMPTS_FOR_NUDGE and not state.nudged
    return replace(state, missed_in_a_row=missed, nudged=state.nudged or nudge), nudge


def after_checkin() -> SilenceState:
    """Any check-in ends a spell of silence (the state starts over); the next spell may be
    nudged again."""
    return SilenceState()


@dataclass(frozen=True, slots=True)
class MoodPoint:
    at: datetime
    mood: int


def mood_has_dropped(points: Sequence[MoodPoint]) -> bool:
    """The last three check-ins average 2 or lower and at least 1.5 below the average of the
    check-ins in the 14 days before them. Without an earlier check-in there is no baseline."""
    ordered = sorted(points, key=lambda point: point.at)
    if len(ordered) < MOOD_DROP_RECENT + 1:
        return False
    recent = ordered[-MOOD_DROP_RECENT:]
    since = recent[0].at - MOOD_DROP_BASELINE
    baseline = [p.mood for p in ordered[:-MOOD_DROP_RECENT] if since <= p.at < recent[0].at]
    if not baseline:
        return False
    recent_average = fmean(p.mood for p in recent)
    return (
        recent_average <= MOOD_DROP_CEILING and fmean(baseline) - recent_average >= MOOD_DROP_MARGIN
    )


def mood_nudge_due(
    points: Sequence[MoodPoint], *, now: datetime, last_nudged: datetime | None
) -> bool:
    """Whether to nudge the mentor about a falling mood now: at most once a week."""
    if last_nudged is not None and now - last_nudged < MOOD_NUDGE_INTERVAL:
        return False
    return mood_has_dropped(points)
