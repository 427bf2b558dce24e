"""What mentoring says to members, mentors and moderators (no discord import).

Members are shown by mention (`<@id>`), which Discord renders as their name; the outbox sends
with no mentions allowed beyond `mention_users`, so nobody is pinged by a name in a text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.languages import describe_languages, language_name

CRISIS_POINTER = (
    "If things feel heavy while you wait, `/crisis` lists free lines you can reach right now, "
    "and the community channels are there for you too."
)


def who(user_id: int) -> str:
    return f"<@{user_id}>"


def timestamp(instant: datetime, style: str = "R") -> str:
    return f"<t:{int(instant.timestamp())}:{style}>"


def kind_word(kind: str) -> str:
    return "sponsor" if kind == "sponsor" else "mentor"


def application_notice(user_id: int, kind: str, updated: bool) -> str:
    verb = "updated their application" if updated else "applied"
    return (
        f"{who(user_id)} {verb} to be a {kind_word(kind)}. "
        "Review it with `/mentors pending`, then `/mentors approve` or `/mentors reject`."
    )


def approved(kind: str) -> str:
    return (
        f"Your application to be a {kind_word(kind)} was approved. Thank you for offering your "
        "time. When someone who fits asks for support, I'll send you an offer here to accept "
        "or decline. `/mentor pause` stops new offers whenever you need a break."
    )


def rejected(kind: str, reason: str | None) -> str:
    text = (
        f"Thank you for offering to be a {kind_word(kind)}. The moderators haven't approved the "
        "application this time."
    )
    if reason:
        text += f" They said: {reason}"
    return text + " You're welcome to talk with them about it, and to apply again later."


def removed_mentor(reason: str | None) -> str:
    text = (
        "The moderators have ended your role as a mentor here, and your current pairings have "
        "ended. Thank you for the support you gave."
    )
    return text + (f" They said: {reason}" if reason else "")


def mentee_back_on_waitlist(kind: str) -> str:
    return (
        f"Your {kind_word(kind)} is no longer available, so your pairing has ended. This isn't "
        f"about anything you did. You're at the front of the list for a new {kind_word(kind)}, "
        f"and I'll let you know as soon as someone accepts. {CRISIS_POINTER}"
    )


def offer(
    *,
    requester_id: int,
    kind: str,
    focus: Sequence[str],
    language: str | None,
    note: str | None,
    reasons: str,
    expires_at: datetime,
    outcome: str | None = None,
) -> str:
    """The offer DM; with `outcome`, as it is edited once the offer closed (the outcome in
    place of the expiry)."""
    lines = [f"**Would you be {who(requester_id)}'s {kind_word(kind)}?**"]
    if focus:
        lines.append(f"Focus: {', '.join(focus)}")
    if language:
        lines.append(f"Language: {language_name(language)}")
    if note:
        lines.append(f"Their note: {note}")
    lines.append(f"Why you fit: {reasons}.")
    if outcome is not None:
        lines.append(outcome)
        return "\n".join(lines)
    lines.append(
        f"This offer expires {timestamp(expires_at)}. If you decline, or it expires, I'll ask "
        "someone else, and they won't be told it was you."
    )
    return "\n".join(lines)


OFFER_OUTCOMES = {
    "accepted": "**You accepted this offer.** Thank you: you're paired, and `/mentor status` "
    "shows it.",
    "declined": "**You declined this offer**, so it went to someone else. Thank you for answering.",
    "expired": "**This offer expired** before it was answered, so it went to someone else. No "
    "problem; `/mentor pause` is there if you need a break from offers.",
}
OFFER_CLOSED = "**This offer is no longer open**, so there's nothing to answer. Thank you."


def offer_outcome(state: str) -> str:
    return OFFER_OUTCOMES.get(state, OFFER_CLOSED)


def request_waiting(kind: str) -> str:
    return (
        f"Your request is in. No {kind_word(kind)} is free who fits right now, so it's waiting "
        "on the list, and I'll try again whenever one becomes available. "
        f"{CRISIS_POINTER}"
    )


def request_offered(kind: str) -> str:
    return (
        f"Your request is in, and I've asked a {kind_word(kind)} who fits well. I'll message "
        "you as soon as someone accepts."
    )


def still_looking(kind: str) -> str:
    return (
        f"Still looking: no {kind_word(kind)} has said yes yet, so your request is waiting on "
        f"the list and I'll keep trying. {CRISIS_POINTER}"
    )


def matched_mentee(mentor_id: int, kind: str, reasons: str) -> str:
    return (
        f"Good news: {who(mentor_id)} accepted and will be your {kind_word(kind)}. "
        f"Why you fit: {reasons}. Say hello whenever you're ready; `/mentor status` shows your "
        "pairings and `/mentor end` ends one at any time."
    )


def matched_mentor(mentee_id: int, kind: str, reasons: str, about_them: Sequence[str]) -> str:
    text = (
        f"You're now {who(mentee_id)}'s {kind_word(kind)}. Why you fit: {reasons}. "
        "A first hello from you can mean a lot."
    )
    if about_them:
        text += " " + " ".join(about_them)
    return text


def thread_introduction(
    mentee_id: int, mentor_id: int, kind: str, reasons: str | None, about: str | None
) -> str:
    lines = [
        f"Welcome, {who(mentee_id)} and {who(mentor_id)}. {who(mentor_id)} is now "
        f"{who(mentee_id)}'s {kind_word(kind)}."
    ]
    if reasons:
        lines.append(f"Why you fit: {reasons}.")
    if about:
        lines.append(f"About {who(mentor_id)}: {about}")
    lines.append(
        "This thread is private: only the two of you (and the server's moderators) can see it. "
        "Say hello whenever you're ready. `/mentor end` ends the pairing at any time; the "
        "thread is then archived and locked, never deleted."
    )
    return "\n".join(lines)


def paused_after_expiries() -> str:
    return (
        "Your last three offers expired unanswered, so I've paused new offers to you. Your "
        "current pairings continue as before. When you're ready for offers again, use "
        "`/mentor resume`."
    )


def resumed_by_date() -> str:
    return "Your pause has ended, so you may get new mentoring offers again."


def pairing_ended_for_other(kind: str, by_mentee: bool) -> str:
    if by_mentee:
        return (
            f"A mentee of yours has ended your {kind_word(kind)} pairing. Thank you for the "
            "support you gave them."
        )
    return (
        f"Your {kind_word(kind)} has ended your pairing. This isn't about anything you did. "
        f"If you'd like a new {kind_word(kind)}, the button below asks for one. {CRISIS_POINTER}"
    )


def assigned_mentee(mentor_id: int, kind: str) -> str:
    return (
        f"The moderators have paired you with {who(mentor_id)} as your {kind_word(kind)}. Say "
        "hello whenever you're ready; `/mentor end` ends the pairing at any time."
    )


def assigned_mentor(mentee_id: int, kind: str) -> str:
    return f"The moderators have paired you with {who(mentee_id)} as their {kind_word(kind)}."


def languages_line(codes: Sequence[str]) -> str:
    return describe_languages(list(codes))
