"""An alert's life, as an on-call escalation policy: pure state in, new state and effects out.

```
open ──step 0: mentor/sponsor DM (at once)
     ──step 1: on-call role in the alerts channel (first-step-minutes after opening)
     ──step 2: moderators (second-step-minutes after opening) ──► stays open until a human acts
open ──claim──► claimed ──resolve──► resolved          open | claimed ──I'm OK now──► stood down
```
- Urgent alerts use 5 and 10 minutes (or the server's own, if shorter).
- No mentor, or every step-0 DM failed: step 1 fires at once; step 2 keeps its time.
- Each step fires at most once. A timer that fires for a step that was cancelled, already fired,
  or on an alert no longer open does nothing: handlers call `step_due` under the alert's lock
  and only act on the effects it returns.
- Asking again while an alert is active (open or claimed) joins it: the time is recorded, the
  reasons merge, every copy is edited, and an urgent request makes the alert urgent, pulling
  pending steps forward to the urgent timings counted from that request. Steps that already
  fired do not fire again; on a claimed alert the person who claimed it is told directly.
- A claim, a resolution or a stand-down cancels every pending step in the same transaction.

The service turns effects into work: `FireStep` means "send that step's messages now (outbox)",
`ScheduleStep` "insert or move its due-work row", `CancelStep` "cancel its due-work row",
`EditCopies` "edit every posted copy to the new state", `TellMember`, `TellClaimer` and
`TellAlerted` one message each (outbox). A server without an alerts channel has nowhere to
post steps 1 and 2: the service then tells the member honestly that no supporter is set up
here yet (with the crisis card) and `/setup status` says alerts cannot be delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from bot.domain.checkins.risk import Reason, merge_reasons
from bot.errors import InvalidInput

DEFAULT_FIRST_STEP = timedelta(minutes=15)
DEFAULT_SECOND_STEP = timedelta(minutes=30)
URGENT_FIRST_STEP = timedelta(minutes=5)
URGENT_SECOND_STEP = timedelta(minutes=10)
MAX_STEP_MINUTES = 24 * 60


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    STOOD_DOWN = "stood_down"


ACTIVE = frozenset({Status.OPEN, Status.CLAIMED})


class Step(IntEnum):
    MENTOR = 0  # DM to the member's mentor and sponsor
    ON_CALL = 1  # the on-call role, pinged in the private alerts channel
    MODERATORS = 2  # the moderator role, pinged in the alerts channel


@dataclass(frozen=True, slots=True)
class Timings:
    """When steps 1 and 2 come due, counted from the moment the alert opened."""

    first_step: timedelta = DEFAULT_FIRST_STEP
    second_step: timedelta = DEFAULT_SECOND_STEP

    def __post_init__(self) -> None:
        if not timedelta(0) < self.first_step < self.second_step:
            raise ValueError("escalation needs 0 < first step < second step")

    def for_urgency(self, urgent: bool) -> Timings:
        if not urgent:
            return self
        return Timings(
            min(self.first_step, URGENT_FIRST_STEP), min(self.second_step, URGENT_SECOND_STEP)
        )

    def offset(self, step: Step) -> timedelta:
        if step is Step.MENTOR:
            return timedelta(0)
        return self.first_step if step is Step.ON_CALL else self.second_step


def parse_timings(first_step_minutes: int, second_step_minutes: int) -> Timings:
    """`/setup checkins first-step-minutes second-step-minutes`, or a kind `InvalidInput`."""
    for name, value in (
        ("first-step-minutes", first_step_minutes),
        ("second-step-minutes", second_step_minutes),
    ):
        if not 1 <= value <= MAX_STEP_MINUTES:
            raise InvalidInput(f"`{name}` must be from 1 to {MAX_STEP_MINUTES} minutes.")
    if second_step_minutes <= first_step_minutes:
        raise InvalidInput(
            "`second-step-minutes` must be later than `first-step-minutes`: moderators are "
            "pinged only after the on-call supporters have had their chance."
        )
    return Timings(timedelta(minutes=first_step_minutes), timedelta(minutes=second_step_minutes))


@dataclass(frozen=True, slots=True)
class Alert:
    """Everything the policy needs to decide; the service stores it as columns."""

    status: Status
    urgent: bool
    reasons: tuple[Reason, ...]
    opened_at: datetime
    fired: frozenset[Step] = frozenset()
    pending: tuple[tuple[Step, datetime], ...] = ()  # steps with a due-work row, by step
    asked_again: tuple[datetime, ...] = ()
    claimed_by: int | None = None
    claimed_at: datetime | None = None
    closed_by: int | None = None  # who resolved it (None when the member stood it down)
    closed_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def due(self, step: Step) -> datetime | None:
        return dict(self.pending).get(step)


@dataclass(frozen=True, slots=True)
class FireStep:
    step: Step


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    step: Step
    due: datetime


@dataclass(frozen=True, slots=True)
class CancelStep:
    step: Step


@dataclass(frozen=True, slots=True)
class EditCopies:
    """Re-render every copy of the alert (DMs and channel posts) from the new state."""


@dataclass(frozen=True, slots=True)
class TellMember:
    """DM the member that `Alert.claimed_by` is reaching out to them."""


@dataclass(frozen=True, slots=True)
class TellClaimer:
    """DM whoever claimed the alert that the member asked again (and whether it is urgent)."""


@dataclass(frozen=True, slots=True)
class TellAlerted:
    """Tell everyone the fired steps reached that the member stood the alert down."""


Effect = FireStep | ScheduleStep | CancelStep | EditCopies | TellMember | TellClaimer | TellAlerted


class Refusal(StrEnum):
    ALREADY_CLAIMED = "already_claimed"  # the reply names `Alert.claimed_by`
    ALREADY_CLOSED = "already_closed"  # resolved or stood down: nothing left to do


@dataclass(frozen=True, slots=True)
class Transition:
    alert: Alert
    effects: tuple[Effect, ...] = field(default=())
    refused: Refusal | None = None


def open_alert(
    *, at: datetime, reasons: tuple[Reason, ...], timings: Timings, has_mentor: bool
) -> Transition:
    """A new alert. Step 0 goes out at once; without a mentor, step 1 does instead."""
    if not reasons:
        raise ValueError("an alert needs at least one reason")
    urgent = Reason.URGENT in reasons
    steps = timings.for_urgency(urgent)
    first = Step.MENTOR if has_mentor else Step.ON_CALL
    later = [step for step in (Step.ON_CALL, Step.MODERATORS) if step > first]
    pending = tuple((step, at + steps.offset(step)) for step in later)
    alert = Alert(
        status=Status.OPEN,
        urgent=urgent,
        reasons=merge_reasons(reasons),
        opened_at=at,
        fired=frozenset({first}),
        pending=pending,
    )
    effects: list[Effect] = [FireStep(first)]
    effects += [ScheduleStep(step, due) for step, due in pending]
    return Transition(alert, tuple(effects))


def step_due(alert: Alert, step: Step) -> Transition:
    """A step's timer fired. It acts only if the alert is still open and the step pending."""
    if alert.status is not Status.OPEN or alert.due(step) is None:
        return Transition(alert)
    return _fire(alert, step, cancel=False)


def mentor_unreachable(alert: Alert) -> Transition:
    """Every step-0 DM failed (DMs closed, no mentor reachable): step 1 now, not later."""
    if alert.status is not Status.OPEN or Step.ON_CALL in alert.fired:
        return Transition(alert)
    return _fire(alert, Step.ON_CALL, cancel=alert.due(Step.ON_CALL) is not None)


def _fire(alert: Alert, step: Step, *, cancel: bool) -> Transition:
    fired = replace(
        alert,
        fired=alert.fired | {step},
        pending=tuple((s, due) for s, due in alert.pending if s is not step),
    )
    effects: tuple[Effect, ...] = (
        (CancelStep(step), FireStep(step)) if cancel else (FireStep(step),)
    )
    return Transition(fired, effects)


def claim(alert: Alert, *, by: int, at: datetime) -> Transition:
    """The "I'm reaching out" button: records who and when, stops the chain, tells the member."""
    if alert.status is Status.CLAIMED:
        return Transition(alert, refused=Refusal.ALREADY_CLAIMED)
    if not alert.active:
        return Transition(alert, refused=Refusal.ALREADY_CLOSED)
    claimed = replace(alert, status=Status.CLAIMED, claimed_by=by, claimed_at=at, pending=())
    return Transition(claimed, (*_cancel_pending(alert), EditCopies(), TellMember()))


def resolve(alert: Alert, *, by: int, at: datetime) -> Transition:
    """The "Resolved" button: closes the alert, open or claimed, and edits every copy."""
    if not alert.active:
        return Transition(alert, refused=Refusal.ALREADY_CLOSED)
    resolved = replace(alert, status=Status.RESOLVED, closed_by=by, closed_at=at, pending=())
    return Transition(resolved, (*_cancel_pending(alert), EditCopies()))


def stand_down(alert: Alert, *, at: datetime) -> Transition:
    """The member's "I'm OK now": closes the alert and tells whoever was alerted."""
    if not alert.active:
        return Transition(alert, refused=Refusal.ALREADY_CLOSED)
    stood = replace(alert, status=Status.STOOD_DOWN, closed_by=None, closed_at=at, pending=())
    return Transition(stood, (*_cancel_pending(alert), EditCopies(), TellAlerted()))


def ask_again(
    alert: Alert, *, at: datetime, reasons: tuple[Reason, ...], timings: Timings
) -> Transition:
    """The member asked again while the alert is active: join it instead of opening another.

    On a closed alert this is refused with `ALREADY_CLOSED`: the service opens a new alert.
    """
    if not alert.active:
        return Transition(alert, refused=Refusal.ALREADY_CLOSED)
    upgrade = Reason.URGENT in reasons and not alert.urgent
    pending = alert.pending
    moved: list[Effect] = []
    if upgrade:
        urgent = timings.for_urgency(True)
        pending = tuple((step, min(due, at + urgent.offset(step))) for step, due in alert.pending)
        moved = [
            ScheduleStep(step, due)
            for (step, due), (_, before) in zip(pending, alert.pending, strict=True)
            if due != before
        ]
    joined = replace(
        alert,
        urgent=alert.urgent or upgrade,
        reasons=merge_reasons(alert.reasons, reasons),
        asked_again=(*alert.asked_again, at),
        pending=pending,
    )
    effects: list[Effect] = [*moved, EditCopies()]
    if alert.status is Status.CLAIMED:
        effects.append(TellClaimer())
    return Transition(joined, tuple(effects))


def _cancel_pending(alert: Alert) -> tuple[Effect, ...]:
    return tuple(CancelStep(step) for step, _ in alert.pending)


def may_answer(copy: Step, *, is_mentor: bool, is_on_call: bool, is_moderator: bool) -> bool:
    """Who may press the buttons on a copy of an alert: on a step-0 DM the member's mentor or
    sponsor; on an alerts-channel post (steps 1 and 2) on-call supporters and moderators.
    Everyone else is refused kindly."""
    if copy is Step.MENTOR:
        return is_mentor
    return is_on_call or is_moderator
