"""What a feature declares about one kind of timed work.

The lock order (see `bot.scheduling.locks`) is built into the shape of a kind: the runner calls
`lock_subject` first, which locks the feature's domain row and returns it, and only then locks
the due_work row and calls `handle` with the subject it already holds. A handler therefore never
has to lock its own domain row, and must not lock any other existing domain row (it may read
them, insert new rows and schedule or cancel due work).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

S = TypeVar("S")


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
    key: str  # which of the subject's items of this kind ('' when it has only one)
    guild_id: int | None
    payload: Mapping[str, Any] | None
    due_at: datetime
    now: datetime
    late: bool
    attempts: int  # claims so far, this one included


# Locks the subject's domain row(s) FOR UPDATE and returns them; None when the subject no longer
# exists (the item is then finished as "subject gone" and no handler runs).
LockSubject = Callable[[AsyncSession, DueItem], Awaitable[S | None]]
# Runs with the subject locked, in the transaction that marks the item finished.
Handler = Callable[[AsyncSession, DueItem, S], Awaitable[None]]
# Re-derives a kind's pending work from domain state and re-creates what is missing; owns its
# transactions (a service use case). Returns how many items it re-created, per server.
Rebuild = Callable[[datetime], Awaitable[Mapping[int | None, int]]]


@dataclass(frozen=True)
class WorkKind(Generic[S]):
    name: str
    lock_subject: LockSubject[S]
    # Runs in the same transaction that marks the row done, after `lock_subject`, so the outbox
    # rows it writes commit atomically with that. It must re-check its domain state (the subject
    # is locked and current): a command may have changed it between the claim and now. The row
    # is already marked done, so the handler may schedule the next item of the same subject.
    handle: Handler[S]
    lateness: Lateness = Lateness.DELIVER
    grace: timedelta = timedelta(minutes=5)  # later than this counts as late
    stale_after: timedelta | None = None  # with DROP: older than this is dropped
    # With DROP: runs (in the same transaction) instead of `handle` when the item is dropped,
    # so a recurring feature can still schedule its next occurrence.
    on_drop: Handler[S] | None = None
    # After the last failed attempt (the row is FAILED), with the subject locked: plan the next
    # occurrence anyway, so one broken item does not end a recurring series.
    on_failure: Handler[S] | None = None
    # The daily (and start-up) repair pass: see `Rebuild`.
    rebuild: Rebuild | None = None
    # Claimed before any other kind's due rows (a support alert's escalation steps), so it is
    # never queued behind a bulk wave (a server's check-in prompts): at most the batch in hand.
    urgent: bool = False

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


def judge(kind: WorkKind[Any], due_at: datetime, now: datetime) -> Verdict:
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

    def __init__(self, kinds: Iterable[WorkKind[Any]] = ()) -> None:
        self._kinds: dict[str, WorkKind[Any]] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: WorkKind[Any]) -> None:
        if kind.name in self._kinds and self._kinds[kind.name] is not kind:
            raise ValueError(f"work kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> WorkKind[Any] | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def urgent_names(self) -> list[str]:
        return [name for name in self.names() if self._kinds[name].urgent]

    def all(self) -> list[WorkKind[Any]]:
        return [self._kinds[name] for name in self.names()]

    def __len__(self) -> int:
        return len(self._kinds)
