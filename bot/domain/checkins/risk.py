"""Which check-ins reach a human, how urgently, and the reason given to whoever is told."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.crisis import mentions_crisis
from bot.errors import InvalidInput

DEFAULT_CRAVING_ALERT = 8
DEFAULT_MOOD_ALERT = 1


class Reason(StrEnum):
    """Why an alert was raised, in the words a mentor or moderator reads."""

    URGENT = "urgent"
    SUPPORT = "asked for support"
    HIGH_CRAVING = "high craving"
    LOW_MOOD = "low mood"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A server's alert thresholds (`/setup checkins craving-alert mood-alert`)."""

    craving_alert: int = DEFAULT_CRAVING_ALERT  # craving at or above this alerts
    mood_alert: int = DEFAULT_MOOD_ALERT  # mood at or below this alerts


def parse_thresholds(craving_alert: int | None, mood_alert: int | None) -> Thresholds:
    """`/setup checkins craving-alert:<0-10> mood-alert:<1-5>`, defaults 8 and 1."""
    craving = DEFAULT_CRAVING_ALERT if craving_alert is None else craving_alert
    mood = DEFAULT_MOOD_ALERT if mood_alert is None else mood_alert
    if not 0 <= craving <= 10:
        raise InvalidInput("`craving-alert` is a craving score from 0 to 10 (default 8).")
    if not 1 <= mood <= 5:
        raise InvalidInput("`mood-alert` is a mood score from 1 to 5 (default 1).")
    return Thresholds(craving_alert=craving, mood_alert=mood)


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a check-in or /sos calls for. `reasons` is empty when no alert is raised."""

    reasons: tuple[Reason, ...]

    @property
    def alert(self) -> bool:
        return bool(self.reasons)

    @property
    def urgent(self) -> bool:
        return Reason.URGENT in self.reasons

    def describe(self) -> str:
        return describe_reasons(self.reasons)


def assess_checkin(
    *, mood: int, craving: int, support: bool, note: str | None, thresholds: Thresholds
) -> Assessment:
    """The reasons a check-in raises an alert, most pressing first."""
    found: list[Reason] = []
    if mentions_crisis(note):
        found.append(Reason.URGENT)
    if support:
        found.append(Reason.SUPPORT)
    if craving >= thresholds.craving_alert:
        found.append(Reason.HIGH_CRAVING)
    if mood <= thresholds.mood_alert:
        found.append(Reason.LOW_MOOD)
    return Assessment(tuple(found))


def assess_sos() -> Assessment:
    """An /sos is urgent whatever its note says: the member asked for help now."""
    return Assessment((Reason.URGENT, Reason.SUPPORT))


def merge_reasons(*groups: Iterable[Reason]) -> tuple[Reason, ...]:
    """The reasons of an alert that was asked again, each once, most pressing first."""
    seen = {reason for group in groups for reason in group}
    return tuple(reason for reason in Reason if reason in seen)


def describe_reasons(reasons: Iterable[Reason]) -> str:
    """The reason line of an alert, e.g. "urgent, asked for support"."""
    ordered = merge_reasons(reasons)
    return ", ".join(reason.value for reason in ordered)
