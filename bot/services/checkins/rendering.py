"""The words and buttons of everything the check-in feature sends on its own (no discord import).

Members are named as `<@id>` (Discord shows their name; allowed mentions stop any ping) and
times as `<t:…:t>`, shown in each reader's own timezone. Alerts-channel posts never carry a note
or scores; a mentor's DM carries them only as far as the member's sharing allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.db.models.checkins import SHARE_NONE, SHARE_NOTES
from bot.delivery.buttons import PRIMARY, SECONDARY, action_row
from bot.delivery.outbox import OutgoingMessage
from bot.domain.checkins.escalation import Alert, Status, Step
from bot.domain.checkins.risk import describe_reasons

CLAIM_ID = "steady:checkins:claim:{alert}:{step}"
RESOLVE_ID = "steady:checkins:resolve:{alert}:{step}"
OK_NOW_ID = "steady:checkins:ok:{alert}"
PROMPT_ID = "steady:checkins:prompt:{guild}"
SUCCESS = 3


def when(instant: datetime) -> str:
    return f"<t:{int(instant.timestamp())}:t>"


def _button(label: str, custom_id: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": custom_id}


@dataclass(frozen=True, slots=True)
class AlertView:
    """What a copy of an alert shows, besides the escalation state."""

    alert_id: int
    member_id: int
    zone: ZoneInfo
    sharing: str
    mood: int | None
    craving: int | None
    note: str | None


def status_line(alert: Alert) -> str:
    if alert.status is Status.CLAIMED and alert.claimed_by and alert.claimed_at:
        return f"**<@{alert.claimed_by}> is reaching out** ({when(alert.claimed_at)})"
    if alert.status is Status.RESOLVED and alert.closed_at:
        return f"**Resolved** by <@{alert.closed_by}> ({when(alert.closed_at)})"
    if alert.status is Status.STOOD_DOWN and alert.closed_at:
        return f"**Stood down**: they said they're OK now ({when(alert.closed_at)})"
    return "Nobody has said they're reaching out yet."


def alert_copy(alert: Alert, view: AlertView, step: Step) -> OutgoingMessage:
    """One copy of the alert as it stands: a mentor's DM (step 0) or an alerts-channel post."""
    urgent = "🚨 **Urgent** — " if alert.urgent else ""
    lines = [f"{urgent}<@{view.member_id}> would like someone to reach out."]
    lines.append(f"Why: {describe_reasons(alert.reasons)}.")
    if step is Step.MENTOR:
        local = alert.opened_at.astimezone(view.zone)
        lines.append(f"Their local time when they asked: {local:%H:%M} ({view.zone.key}).")
        if view.sharing != SHARE_NONE and view.mood is not None:
            lines.append(f"Latest check-in: mood {view.mood}/5, craving {view.craving}/10.")
        if view.sharing == SHARE_NOTES and view.note:
            lines.append(f"Their note: {view.note}")
    else:
        lines.append("Open a DM with them if you can reach out now.")
    lines += [f"They asked again at {when(at)}." for at in alert.asked_again]
    lines.append(status_line(alert))
    return OutgoingMessage(
        content="\n".join(lines),
        components=_alert_buttons(alert, view, step),
        # The note is stored only encrypted, in the outbox as well.
        private=any(line.startswith("Their note: ") for line in lines),
    )


def _alert_buttons(alert: Alert, view: AlertView, step: Step) -> tuple[dict[str, Any], ...]:
    ids = {"alert": view.alert_id, "step": int(step)}
    resolve = _button("Resolved", RESOLVE_ID.format(**ids), SECONDARY)
    if alert.status is Status.OPEN:
        return (action_row(_button("I'm reaching out", CLAIM_ID.format(**ids), PRIMARY), resolve),)
    if alert.status is Status.CLAIMED:
        return (action_row(resolve),)
    return ()


def escalation_post(
    alert: Alert,
    view: AlertView,
    step: Step,
    *,
    role_id: int | None,
    minutes: int,
    ping: bool = True,
) -> OutgoingMessage:
    """Step 1 or 2 in the alerts channel: pings exactly one role, never a note or scores."""
    copy = alert_copy(alert, view, step)
    if step is Step.ON_CALL:
        lead = "On-call supporters" if role_id is None else f"<@&{role_id}>"
    else:
        lead = "Moderators" if role_id is None else f"<@&{role_id}>"
        lead += f": nobody has reached out after {minutes} minutes."
    return OutgoingMessage(
        content=f"{lead}\n{copy.content}",
        components=copy.components,
        mention_roles=(role_id,) if role_id is not None and ping else (),
    )


def claimed_for_member(claimer_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        content=(
            f"<@{claimer_id}> is reaching out to you. You asked, and someone is on their way. "
            "If you are in danger right now, call your local emergency number or use `/crisis`."
        )
    )


def asked_again_for_claimer(member_id: int, at: datetime, urgent: bool) -> OutgoingMessage:
    tone = " It is now **urgent**." if urgent else ""
    return OutgoingMessage(
        content=f"<@{member_id}>, whom you are reaching out to, asked again at {when(at)}.{tone}"
    )


def stood_down_for_alerted(member_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        content=(
            f"<@{member_id}> says they're OK now, so the alert is closed. "
            "Thank you for being there; a friendly hello later is always welcome."
        )
    )


def prompt_message(guild_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        content="Time for your daily check-in. How are you doing today?",
        components=(action_row(_button("Check in", PROMPT_ID.format(guild=guild_id), PRIMARY)),),
    )


def silence_nudge(member_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        content=(
            f"<@{member_id}> hasn't checked in for three prompts in a row; "
            "a friendly hello might help."
        )
    )


def mood_nudge(member_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        content=(
            f"<@{member_id}>'s last few check-ins have been harder than usual; "
            "a friendly hello might help."
        )
    )
