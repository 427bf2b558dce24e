"""Which check-ins reach a human, how urgently, and the reason given to whoever is told."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.crisis import mentions_crisis

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
    """ "urgent, asked for support" — the reason line of an alert."""
    ordered = merge_reasons(reasons)
    return ", ".join(reason.value for reason in ordered)
