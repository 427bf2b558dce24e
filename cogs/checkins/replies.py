"""What members see in replies to check-ins and /sos, and the crisis card."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.checkins.inputs import MOOD_WORDS
from bot.services.checkins.alerts import Raised, Told
from bot.services.checkins.config import CrisisLineView
from bot.services.checkins.insights import History
from bot.services.checkins.submissions import Submitted
from cogs.crisis import CRISIS_TEXT


def crisis_card(lines: Sequence[CrisisLineView]) -> discord.Embed:
    """The /crisis resources, plus the lines this server added."""
    text = CRISIS_TEXT
    if lines:
        extra = "\n".join(
            f"• **{line.name}**: {line.contact}" + (f" — {line.note}" if line.note else "")
            for line in lines
        )
        text += f"\n\n**Lines this server added:**\n{extra}"
    return discord.Embed(
        title="You can reach someone right now", description=text, colour=discord.Colour.teal()
    )


def told_line(raised: Raised) -> str:
    if raised.joined:
        return (
            "You already had a request open, so I've added this to it: everyone who was told "
            "can see you asked again."
        )
    if raised.told is Told.MENTOR:
        return "I've let your mentor know, and they can reach out to you."
    if raised.told is Told.ON_CALL:
        return "I've let the on-call supporters know, and someone can reach out to you."
    return (
        "No supporter is set up on this server yet, so I couldn't tell anyone here. "
        "The lines above are there for you any time, and so are the moderators."
    )


def checkin_reply(result: Submitted) -> tuple[str, list[discord.Embed]]:
    assert result.mood is not None
    lines = [
        f"Thank you for checking in. I've recorded mood **{result.mood}** "
        f"({MOOD_WORDS[result.mood]}) and craving **{result.craving}**."
    ]
    if result.trend:
        lines.append(f"Your trend: {result.trend}.")
    if result.raised is not None:
        lines.append(told_line(result.raised))
    embeds = []
    if result.crisis or (result.raised is not None and result.raised.told is Told.NOBODY):
        embeds.append(crisis_card(result.crisis_lines))
    return "\n".join(lines), embeds


def sos_reply(result: Submitted) -> str:
    assert result.raised is not None
    return (
        "You asked for help, and that matters. "
        + told_line(result.raised)
        + "\nIf things settle, press **I'm OK now** and I'll let them know."
    )


def history_text(history: History) -> str:
    if not history.points:
        return f"You have no check-ins in the last {history.days} days yet."
    mood = f"{history.mood_average:.1f}" if history.mood_average is not None else "–"
    craving = f"{history.craving_average:.1f}" if history.craving_average is not None else "–"
    return (
        f"Your last {history.days} days: {len(history.points)} check-ins, "
        f"average mood **{mood}**, average craving **{craving}**."
    )


def mentee_text(member: discord.abc.User, history: History) -> str:
    if not history.points:
        return f"{member.mention} hasn't checked in during the last {history.days} days."
    rows = [
        f"• {p.at:%a %d %b %H:%M}: mood {p.mood}, craving {p.craving}"
        + (f" — {p.note}" if p.note else "")
        for p in history.points
    ]
    head = f"{member.mention}'s check-ins, last {history.days} days:\n"
    body = "\n".join(rows)
    return (head + body)[:1990]
