"""What /privacy, /audit and /stats say: plain words, ids shown as mentions (which never ping:
replies allow no mentions), never any content."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.checkins.inputs import KEEP_NOTES_DEFAULT_DAYS
from bot.scheduling.maintenance import KEEP_FAILURES, KEEP_FINISHED_WORK, KEEP_SENT
from bot.services.privacy.log_data import FORMER_MEMBER
from bot.services.privacy.service import (
    DEPARTURE_GRACE,
    ERASURE_ACTION,
    Access,
    AuditEntry,
    Erasure,
)
from bot.services.privacy.stats import Figure, shown

IN_A_SERVER = (
    "Steady keeps what it holds about you separately for each server, so this works inside "
    "the server whose data you mean: run it there (only you will see the reply)."
)

DELETE_QUESTION = (
    "This erases **everything Steady holds about you in this server**: your settings, "
    "counters and their history, mentoring (any pairs end, and the other person is told "
    "kindly, without a reason), who saw your data, and messages waiting for you. It can't be "
    "undone. You may want `/privacy export` first."
)

FEATURE_NAMES = {
    "settings": "settings",
    "sobriety": "counters, streaks and milestones",
    "checkins": "check-ins, their schedule and support alerts",
    "meetings": "meeting subscriptions, RSVPs and attendance",
    "mentoring": "mentoring profile, requests, offers and pairs",
    "access_log": "access-log entries",
    "audit": "moderator-log mentions (kept without your name)",
    "delivery": "messages to you and button presses",
}

WHAT_NAMES = {
    "checkins.shared": "your shared check-ins",
    "sobriety.shared": "your shared counter",
    "meetings.attendance": "your meeting attendance",
    "mentoring.application": "your mentor application",
    "alerts.view": "a support alert about you",
}


def _who(member_id: int | None) -> str:
    if member_id is None:
        return "someone"
    if member_id == FORMER_MEMBER:
        return "a former member"
    return f"<@{member_id}>"


def erased(erasure: Erasure) -> str:
    if erasure.total == 0:
        return "There was nothing of yours left to delete in this server. Nothing changed."
    lines = [
        f"• {FEATURE_NAMES.get(feature, feature)}: {count}"
        for feature, count in erasure.by_feature.items()
        if count
    ]
    return (
        f"Done. Steady removed {erasure.total} item{'s' if erasure.total != 1 else ''} "
        "about you in this server:\n" + "\n".join(lines) + "\nThe moderators' log keeps only "
        "that an erasure happened and how many items went, never who."
    )


def erased_for_moderator(erasure: Erasure) -> str:
    if erasure.total == 0:
        return "Steady held nothing about that member in this server. Nothing changed."
    return (
        f"Erased: {erasure.total} item{'s' if erasure.total != 1 else ''} about that member in "
        "this server. The audit log records only that an erasure happened and the count."
    )


def access_log(rows: Sequence[Access]) -> str:
    if not rows:
        return "Nobody else has looked at your data in this server."
    lines = [
        f"• {discord.utils.format_dt(row.at, 'f')}: {_who(row.viewer_id)} saw "
        f"{WHAT_NAMES.get(row.what, row.what)}"
        for row in rows
    ]
    return listing("Who saw your data, newest first:", lines, "`/privacy export` has them all.")


MAX_CONTENT = 2000


def listing(header: str, lines: Sequence[str], more: str) -> str:
    """`header` and as many whole lines as fit in one message; `more` says where the rest is."""
    text = header
    for shown_lines, line in enumerate(lines):
        if len(text) + len(line) + len(more) + 40 > MAX_CONTENT:
            return text + f"\n…and {len(lines) - shown_lines} more: {more}"
        text += "\n" + line
    return text


def _days(delta_days: int) -> str:
    return f"{delta_days} day{'s' if delta_days != 1 else ''}"


def policy(*, members_intent: bool, keep_notes_days: int | None) -> str:
    """`keep_notes_days`: this server's check-in setting (None outside a server)."""
    leaving = (
        f"When you leave this server, what Steady holds about you here is erased "
        f"{_days(DEPARTURE_GRACE.days)} later, unless you come back before then."
        if members_intent
        else "Steady is not told when members leave this server; if you leave and want your "
        "data gone, run `/privacy delete` first, or ask a moderator to erase it for you."
    )
    notes_kept = (
        f"their notes are kept {_days(keep_notes_days)} in this server (an alert's from when "
        "it is closed)"
        if keep_notes_days is not None
        else "their notes are kept for the time each server chose "
        f"({_days(KEEP_NOTES_DEFAULT_DAYS)} unless its moderators changed it)"
    )
    return (
        "**What Steady stores about you**, for this server only: your timezone, your counters "
        "(start dates, earlier streaks, milestones celebrated), mentoring (your application, "
        "requests, offers and pairs), check-ins and alerts, meetings (your reminders, RSVPs and "
        "attendance), who looked at your data, and "
        "messages it is sending you. Notes are stored encrypted. Steady never reads your "
        "messages.\n\n"
        "**Who can see what**: your data is private unless you share it (a counter shared with "
        "members, check-ins shared with your mentor); your meeting attendance is seen only by "
        "you and moderators. Every time someone else sees your data, "
        "it is written down and `/privacy access-log` shows you. Moderators see a log of their "
        "own actions, never your content, and `/stats` shows them totals only, with anything "
        'under 5 shown as "fewer than 5".\n\n'
        "**How long**: your data stays until you remove it, except check-ins: "
        f"{notes_kept} and their scores a year. Messages Steady sent you are kept "
        f"{_days(KEEP_SENT.days)}, ones it could not deliver {_days(KEEP_FAILURES.days)}, and "
        f"its record of finished timed work {_days(KEEP_FINISHED_WORK.days)}. {leaving}\n\n"
        "**Your choices**: `/privacy export` gives you a copy of everything (a JSON file); "
        "`/privacy delete` erases everything here, after you confirm. Steady is a peer-support "
        "tool, not a medical service."
    )


# Moderator actions in words; a feature's own actions show as their machine name until added.
ACTION_NAMES = {
    "settings.timezone": "changed the server's timezone",
    "settings.moderator_role": "chose the moderator role",
    "settings.milestones": "changed the milestone settings",
    "meetings.presence_minutes": "changed the voice minutes that count as attending a meeting",
}


def _action(entry: AuditEntry) -> str:
    if entry.action == ERASURE_ACTION:
        rows = entry.count or 0
        return f"ran an erasure ({rows} row{'s' if rows != 1 else ''})"
    target = f" about {_who(entry.target_id)}" if entry.target_id is not None else ""
    return ACTION_NAMES.get(entry.action, f"`{entry.action}`") + target


def audit(entries: Sequence[AuditEntry], days: int) -> str:
    if not entries:
        return f"No moderator actions in the last {_days(days)}."
    lines = [
        f"• {discord.utils.format_dt(entry.at, 'f')}: {_who(entry.actor_id)} {_action(entry)}"
        for entry in entries
    ]
    return listing(
        f"Moderator actions in the last {_days(days)}, newest first:",
        lines,
        "choose fewer `days` or a `member`.",
    )


def stats(figures: Sequence[Figure], days: int) -> discord.Embed:
    embed = discord.Embed(
        title=f"This server, last {_days(days)}",
        description='Totals only; anything under 5 is shown as "fewer than 5".',
        colour=discord.Colour.teal(),
    )
    sections: dict[str, list[str]] = {}
    for figure in figures:
        sections.setdefault(figure.section, []).append(f"{figure.label}: **{shown(figure)}**")
    for section, lines in sections.items():
        embed.add_field(name=section, value="\n".join(lines)[:1024], inline=False)
    return embed
