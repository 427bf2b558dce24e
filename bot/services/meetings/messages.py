"""What Steady sends about meetings, in Discord's JSON shapes (no discord import)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db.models.meetings import Meeting
from bot.delivery.buttons import PRIMARY, SECONDARY, action_row
from bot.delivery.outbox import OutgoingMessage

RSVP_PREFIX = "steady:meeting:rsvp:"
SELF_REPORT_PREFIX = "steady:meeting:self:"
GOING, NOT_GOING = "going", "not_going"
COLOUR = 0x4F8A8B


def stamp(at: datetime) -> int:
    return int(at.timestamp())


def where(meeting: Meeting) -> str:
    if meeting.voice_channel_id is not None:
        return f"<#{meeting.voice_channel_id}>"
    if meeting.location:
        return meeting.location
    return "to be announced"


def rsvp_id(meeting_id: int, occurrence: datetime, answer: str) -> str:
    return f"{RSVP_PREFIX}{meeting_id}:{stamp(occurrence)}:{'g' if answer == GOING else 'n'}"


def self_report_id(meeting_id: int, occurrence: datetime, attended: bool) -> str:
    return f"{SELF_REPORT_PREFIX}{meeting_id}:{stamp(occurrence)}:{'y' if attended else 'n'}"


def _button(label: str, custom_id: str, style: int) -> dict[str, Any]:
    return {"type": 2, "style": style, "label": label, "custom_id": custom_id}


def rsvp_buttons(meeting_id: int, occurrence: datetime) -> dict[str, Any]:
    return action_row(
        _button("Going", rsvp_id(meeting_id, occurrence, GOING), PRIMARY),
        _button("Can't make it", rsvp_id(meeting_id, occurrence, NOT_GOING), SECONDARY),
    )


def counts_line(going: int, not_going: int) -> str:
    return f"Going: {going} · Can't make it: {not_going}"


def _embed(meeting: Meeting, occurrence: datetime) -> dict[str, Any]:
    at = stamp(occurrence)
    lines = [f"Starts <t:{at}:R> (<t:{at}:F>)", f"**Where:** {where(meeting)}"]
    if meeting.description:
        lines += ["", meeting.description]
    return {"title": meeting.title, "description": "\n".join(lines), "color": COLOUR}


def reminder_post(
    meeting: Meeting, occurrence: datetime, going: int, not_going: int
) -> OutgoingMessage:
    """The channel reminder: the embed, the counts and the two buttons; the meeting's role
    (and only it) pinged."""
    embed = _embed(meeting, occurrence)
    embed["fields"] = [{"name": "RSVPs", "value": counts_line(going, not_going)}]
    role = meeting.role_id
    return OutgoingMessage(
        content=f"<@&{role}>" if role is not None else None,
        embeds=(embed,),
        components=(rsvp_buttons(meeting.id, occurrence),),
        mention_roles=(role,) if role is not None else (),
    )


def subscriber_reminder(meeting: Meeting, occurrence: datetime) -> OutgoingMessage:
    return OutgoingMessage(
        content="A reminder for a group you subscribed to:",
        embeds=(_embed(meeting, occurrence),),
        components=(rsvp_buttons(meeting.id, occurrence),),
    )


def moved_notice(meeting: Meeting, old: datetime, new: datetime | None) -> OutgoingMessage:
    if new is None:
        text = f"**{meeting.title}** has no more upcoming sessions (it was on <t:{stamp(old)}:F>)."
    else:
        text = (
            f"**{meeting.title}** has moved: the next session is now <t:{stamp(new)}:F> "
            f"(<t:{stamp(new)}:R>), not <t:{stamp(old)}:F>. Your reminders follow it."
        )
    return OutgoingMessage(content=text)


def cancelled_notice(meeting: Meeting, occurrence: datetime, reason: str | None) -> OutgoingMessage:
    text = f"**{meeting.title}** on <t:{stamp(occurrence)}:F> is cancelled."
    if reason:
        text += f"\nReason: {reason}"
    text += "\nThe other sessions go ahead as usual."
    return OutgoingMessage(content=text)


def self_report(meeting: Meeting, occurrence: datetime) -> OutgoingMessage:
    return OutgoingMessage(
        content=(
            f"You said you were going to **{meeting.title}** (<t:{stamp(occurrence)}:F>). "
            "Were you able to make it? Only you and the moderators see your attendance."
        ),
        components=(
            action_row(
                _button("I was there", self_report_id(meeting.id, occurrence, True), PRIMARY),
                _button(
                    "I couldn't make it", self_report_id(meeting.id, occurrence, False), SECONDARY
                ),
            ),
        ),
    )


def missing_event_permission(meeting: Meeting) -> OutgoingMessage:
    channel = (
        "**Manage Channels**, **Mute Members** and **Move Members** on the stage channel"
        if meeting.voice_is_stage
        else "**View Channel** and **Connect** on a voice channel"
    )
    return OutgoingMessage(
        content=(
            f"**{meeting.title}** works as usual (reminders, RSVPs, attendance), but I couldn't "
            "add it to the server's Events: I need the **Create Events** permission (and "
            f"{channel}). Grant it to Steady's role and the next session will appear in "
            "Events. I'll only mention this once."
        )
    )
