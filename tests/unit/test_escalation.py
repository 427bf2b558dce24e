"""The alert's escalation policy: who is reached when, once each, until a human acts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.checkins import escalation as esc
from bot.domain.checkins.escalation import (
    Alert,
    CancelStep,
    EditCopies,
    FireStep,
    Refusal,
    ScheduleStep,
    Status,
    Step,
    TellAlerted,
    TellClaimer,
    TellMember,
    Timings,
)
from bot.domain.checkins.risk import Reason
from bot.errors import InvalidInput

T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SERVER = Timings()  # 15 and 30 minutes
SAM, ALEX = 101, 202


def _open(*reasons: Reason, has_mentor: bool = True) -> Alert:
    return esc.open_alert(
        at=T0, reasons=reasons or (Reason.SUPPORT,), timings=SERVER, has_mentor=has_mentor
    ).alert


def test_opening_messages_the_mentor_now_and_plans_both_later_steps() -> None:
    result = esc.open_alert(at=T0, reasons=(Reason.SUPPORT,), timings=SERVER, has_mentor=True)
    assert result.effects == (
        FireStep(Step.MENTOR),
        ScheduleStep(Step.ON_CALL, T0 + 15 * MIN),
        ScheduleStep(Step.MODERATORS, T0 + 30 * MIN),
    )
    assert result.alert.status is Status.OPEN
    assert result.alert.fired == {Step.MENTOR}


def test_without_a_mentor_the_on_call_step_starts_at_once() -> None:
    result = esc.open_alert(at=T0, reasons=(Reason.LOW_MOOD,), timings=SERVER, has_mentor=False)
    assert result.effects == (FireStep(Step.ON_CALL), ScheduleStep(Step.MODERATORS, T0 + 30 * MIN))


def test_urgent_alerts_use_five_and_ten_minutes() -> None:
    result = esc.open_alert(
        at=T0, reasons=(Reason.URGENT, Reason.SUPPORT), timings=SERVER, has_mentor=True
    )
    assert result.alert.urgent
    assert result.alert.pending == ((Step.ON_CALL, T0 + 5 * MIN), (Step.MODERATORS, T0 + 10 * MIN))


def test_a_server_faster_than_urgent_keeps_its_own_timings() -> None:
    fast = Timings(timedelta(minutes=2), timedelta(minutes=4))
    result = esc.open_alert(at=T0, reasons=(Reason.URGENT,), timings=fast, has_mentor=True)
    assert result.alert.pending == ((Step.ON_CALL, T0 + 2 * MIN), (Step.MODERATORS, T0 + 4 * MIN))


def test_nobody_claims_each_step_fires_once() -> None:
    alert = _open()
    first = esc.step_due(alert, Step.ON_CALL)
    assert first.effects == (FireStep(Step.ON_CALL),)
    again = esc.step_due(first.alert, Step.ON_CALL)
    assert again.effects == (), "a timer that fires twice sends nothing the second time"
    second = esc.step_due(first.alert, Step.MODERATORS)
    assert second.effects == (FireStep(Step.MODERATORS),)
    assert second.alert.fired == set(Step)
    assert second.alert.pending == ()
    assert second.alert.status is Status.OPEN, "stays open until a human acts"


def test_dms_all_failing_moves_step_one_forward_once() -> None:
    alert = _open()
    moved = esc.mentor_unreachable(alert)
    assert moved.effects == (CancelStep(Step.ON_CALL), FireStep(Step.ON_CALL))
    assert moved.alert.due(Step.MODERATORS) == T0 + 30 * MIN
    assert esc.mentor_unreachable(moved.alert).effects == ()
    assert esc.step_due(moved.alert, Step.ON_CALL).effects == ()


def test_a_claim_stops_the_chain_and_tells_the_member() -> None:
    alert = esc.step_due(_open(), Step.ON_CALL).alert
    claimed = esc.claim(alert, by=SAM, at=T0 + 20 * MIN)
    assert claimed.alert.status is Status.CLAIMED
    assert (claimed.alert.claimed_by, claimed.alert.claimed_at) == (SAM, T0 + 20 * MIN)
    assert claimed.effects == (CancelStep(Step.MODERATORS), EditCopies(), TellMember())
    assert esc.step_due(claimed.alert, Step.MODERATORS).effects == (), "claimed: step 2 is dead"


def test_a_second_claim_is_told_who_has_it() -> None:
    claimed = esc.claim(_open(), by=SAM, at=T0).alert
    second = esc.claim(claimed, by=ALEX, at=T0 + MIN)
    assert second.refused is Refusal.ALREADY_CLAIMED
    assert second.alert == claimed
    assert second.alert.claimed_by == SAM
    assert second.effects == ()


def test_resolving_closes_and_edits_every_copy() -> None:
    alert = _open()
    resolved = esc.resolve(alert, by=SAM, at=T0 + 5 * MIN)
    assert resolved.alert.status is Status.RESOLVED
    assert resolved.effects == (CancelStep(Step.ON_CALL), CancelStep(Step.MODERATORS), EditCopies())
    assert esc.resolve(resolved.alert, by=SAM, at=T0).refused is Refusal.ALREADY_CLOSED
    assert esc.claim(resolved.alert, by=ALEX, at=T0).refused is Refusal.ALREADY_CLOSED


def test_im_ok_now_stands_down_and_tells_whoever_was_alerted_once() -> None:
    alert = esc.claim(_open(), by=SAM, at=T0).alert
    stood = esc.stand_down(alert, at=T0 + MIN)
    assert stood.alert.status is Status.STOOD_DOWN
    assert stood.effects == (EditCopies(), TellAlerted())
    twice = esc.stand_down(stood.alert, at=T0 + 2 * MIN)
    assert twice.refused is Refusal.ALREADY_CLOSED
    assert twice.effects == ()


def test_asking_again_joins_the_open_alert() -> None:
    alert = _open(Reason.SUPPORT)
    joined = esc.ask_again(alert, at=T0 + 20 * MIN, reasons=(Reason.HIGH_CRAVING,), timings=SERVER)
    assert joined.alert.asked_again == (T0 + 20 * MIN,)
    assert joined.alert.reasons == (Reason.SUPPORT, Reason.HIGH_CRAVING)
    assert joined.alert.pending == alert.pending, "a normal request does not move the chain"
    assert joined.effects == (EditCopies(),)


def test_an_urgent_request_upgrades_and_pulls_pending_steps_forward() -> None:
    alert = _open(Reason.SUPPORT)  # step 1 at 14:15, step 2 at 14:30
    joined = esc.ask_again(alert, at=T0 + 2 * MIN, reasons=(Reason.URGENT,), timings=SERVER)
    assert joined.alert.urgent
    assert joined.effects == (
        ScheduleStep(Step.ON_CALL, T0 + 7 * MIN),
        ScheduleStep(Step.MODERATORS, T0 + 12 * MIN),
        EditCopies(),
    )
    late = esc.ask_again(alert, at=T0 + 25 * MIN, reasons=(Reason.URGENT,), timings=SERVER)
    # 14:25 + 5 would be later than step 1's 14:15: urgency never delays a step.
    assert late.alert.pending == ((Step.ON_CALL, T0 + 15 * MIN), (Step.MODERATORS, T0 + 30 * MIN))


def test_asking_again_on_a_claimed_alert_tells_the_claimer() -> None:
    claimed = esc.claim(_open(), by=SAM, at=T0).alert
    joined = esc.ask_again(claimed, at=T0 + MIN, reasons=(Reason.URGENT,), timings=SERVER)
    assert joined.alert.status is Status.CLAIMED
    assert joined.alert.urgent
    assert joined.effects == (EditCopies(), TellClaimer())


def test_asking_again_after_it_closed_means_a_new_alert() -> None:
    closed = esc.resolve(_open(), by=SAM, at=T0).alert
    result = esc.ask_again(closed, at=T0 + MIN, reasons=(Reason.SUPPORT,), timings=SERVER)
    assert result.refused is Refusal.ALREADY_CLOSED
    assert result.alert == closed


def test_an_alert_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        esc.open_alert(at=T0, reasons=(), timings=SERVER, has_mentor=True)


def test_setup_timings_are_checked_kindly() -> None:
    assert esc.parse_timings(15, 30) == Timings()
    with pytest.raises(InvalidInput, match="later than `first-step-minutes`"):
        esc.parse_timings(30, 30)
    with pytest.raises(InvalidInput, match="from 1 to 1440"):
        esc.parse_timings(0, 30)


def test_who_may_press_the_buttons() -> None:
    assert esc.may_answer(Step.MENTOR, is_mentor=True, is_on_call=False, is_moderator=False)
    assert not esc.may_answer(Step.ON_CALL, is_mentor=False, is_on_call=False, is_moderator=False)
    assert esc.may_answer(Step.ON_CALL, is_mentor=False, is_on_call=True, is_moderator=False)
    assert esc.may_answer(Step.MODERATORS, is_mentor=False, is_on_call=False, is_moderator=True)


def _apply(alert: Alert, name: str, at: datetime) -> esc.Transition:
    match name:
        case "due1":
            return esc.step_due(alert, Step.ON_CALL)
        case "due2":
            return esc.step_due(alert, Step.MODERATORS)
        case "unreachable":
            return esc.mentor_unreachable(alert)
        case "claim":
            return esc.claim(alert, by=SAM, at=at)
        case "resolve":
            return esc.resolve(alert, by=SAM, at=at)
        case "stand_down":
            return esc.stand_down(alert, at=at)
        case "ask":
            return esc.ask_again(alert, at=at, reasons=(Reason.SUPPORT,), timings=SERVER)
        case _:
            return esc.ask_again(alert, at=at, reasons=(Reason.URGENT,), timings=SERVER)


EVENTS = st.lists(
    st.sampled_from(
        ["due1", "due2", "unreachable", "claim", "resolve", "stand_down", "ask", "ask_urgent"]
    ),
    max_size=12,
)


@given(events=EVENTS, has_mentor=st.booleans(), urgent=st.booleans())
def test_any_sequence_of_events_fires_each_step_at_most_once_and_never_after_closing(
    events: list[str], has_mentor: bool, urgent: bool
) -> None:
    reasons = (Reason.URGENT,) if urgent else (Reason.SUPPORT,)
    result = esc.open_alert(at=T0, reasons=reasons, timings=SERVER, has_mentor=has_mentor)
    alert = result.alert
    fired = [e.step for e in result.effects if isinstance(e, FireStep)]
    for minute, name in enumerate(events, start=1):
        at = T0 + minute * MIN
        was_active = alert.active
        step = _apply(alert, name, at)
        now_fired = [e.step for e in step.effects if isinstance(e, FireStep)]
        if now_fired:
            assert alert.status is Status.OPEN, "only an open (unclaimed) alert escalates"
        if not was_active:
            assert step.effects == ()
            assert step.alert == alert, "a closed alert never changes"
        fired += now_fired
        alert = step.alert
        assert set(alert.fired) == set(fired)
        assert not ({s for s, _ in alert.pending} & alert.fired)
        if not alert.active or alert.status is Status.CLAIMED:
            assert alert.pending == ()
    assert len(fired) == len(set(fired)), "each step fires at most once"
