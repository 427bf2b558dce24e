"""What a feature declares about one kind of timed work."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession


class Lateness(enum.Enum):
    """What to do with an item handled after its grace period (e.g. after downtime)."""

    DELIVER = "deliver"  # still useful late: the handler runs with `late=True`
    REWRITE = "rewrite"  # useful with a changed text: the handler words it for `late=True`
    DROP = "drop"  # pointless once stale: recorded as dropped, the handler does not run


@dataclass(frozen=True)
class DueItem:
    id: int
    kind: str
    subject_id: int
    due_at: datetime
    now: datetime
    late: bool


Handler = Callable[[AsyncSession, DueItem], Awaitable[None]]


@dataclass(frozen=True)
class WorkKind:
    name: str
    # Runs in the same transaction that marks the row done, so the outbox rows it writes commit
    # atomically with that. The row is already marked done when it runs, so the handler may
    # schedule the next item of the same (kind, subject).
    handle: Handler
    lateness: Lateness = Lateness.DELIVER
    grace: timedelta = timedelta(minutes=5)  # later than this counts as late
    stale_after: timedelta | None = None  # with DROP: older than this is dropped
    # With DROP: runs (in the same transaction) instead of `handle` when the item is dropped,
    # so a recurring feature can still schedule its next occurrence.
    on_drop: Handler | None = None

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 64:
            raise ValueError("a work kind needs a name of 1 to 64 characters")
        if self.grace < timedelta(0):
            raise ValueError("grace cannot be negative")
        if self.stale_after is not None and self.lateness is not Lateness.DROP:
            raise ValueError("stale_after only means something with Lateness.DROP")


class Verdict(enum.Enum):
    ON_TIME = "on time"
    LATE = "late"
    REWRITTEN = "rewritten"
    STALE = "stale"


def judge(kind: WorkKind, due_at: datetime, now: datetime) -> Verdict:
    """How the kind's lateness policy treats an item due at `due_at` handled at `now`."""
    lateness = now - due_at
    if lateness <= kind.grace:
        return Verdict.ON_TIME
    if kind.lateness is Lateness.DROP:
        if kind.stale_after is None or lateness > kind.stale_after:
            return Verdict.STALE
        return Verdict.LATE
    if kind.lateness is Lateness.REWRITE:
        return Verdict.REWRITTEN
    return Verdict.LATE


class KindRegistry:
    """The kinds one bot process handles; registered before the scheduler starts."""

    def __init__(self, kinds: Iterable[WorkKind] = ()) -> None:
        self._kinds: dict[str, WorkKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: WorkKind) -> None:
        if kind.name in self._kinds and self._kinds[kind.name] is not kind:
            raise ValueError(f"work kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> WorkKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)
