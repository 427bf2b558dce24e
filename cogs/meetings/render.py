"""How meeting replies look (discord.Embed and text; no service calls)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.services.meetings import AttendanceView, MeetingCard, Subscribed, Upcoming

COLOUR = discord.Colour(0x4F8A8B)


def ts(at: datetime, style: str = "F") -> str:
    return f"<t:{int(at.timestamp())}:{style}>"


def card_embed(card: MeetingCard) -> discord.Embed:
    embed = discord.Embed(title=card.title, colour=COLOUR, description=card.description)
    embed.add_field(
        name="When",
        value=(
            f"{card.weekdays} at {card.at:%H:%M} ({card.zone}), {card.duration_minutes} minutes"
            + (f"\nuntil {card.ends}" if card.ends else "")
        ),
        inline=False,
    )
    embed.add_field(name="Where", value=card.where, inline=False)
    embed.add_field(name="Reminders", value=card.reminders, inline=True)
    if card.channel_id is not None:
        embed.add_field(name="Posted in", value=f"<#{card.channel_id}>", inline=True)
    if card.role_id is not None:
        embed.add_field(name="Pings", value=f"<@&{card.role_id}>", inline=True)
    sessions = "\n".join(ts(at) for at in card.next_five) or "No upcoming sessions."
    embed.add_field(name="Next sessions", value=sessions, inline=False)
    return embed


def upcoming_text(found: Sequence[Upcoming]) -> str:
    if not found:
        return "No meetings in the next 7 days."
    lines = ["**Meetings in the next 7 days** (in your own time):"]
    lines += [f"{ts(up.start)} ({ts(up.start, 'R')}): **{up.title}**, {up.where}" for up in found]
    text = "\n".join(lines)
    return text if len(text) <= 2000 else text[:1990].rsplit("\n", 1)[0] + "\n…"


def mine_text(found: Sequence[Subscribed]) -> str:
    if not found:
        return (
            "You haven't subscribed to any meetings. `/meeting subscribe` sends you your own "
            "reminders by DM."
        )
    lines = ["**Your meeting reminders:**"]
    for sub in found:
        upcoming = f", next {ts(sub.next_start)}" if sub.next_start else ""
        lines.append(f"**{sub.title}**: {sub.reminders} before{upcoming}")
    return "\n".join(lines)


def attendance_text(view: AttendanceView, *, own: bool) -> str:
    if view.member_id is None:
        if not view.per_session:
            return f"No attendance recorded for this meeting in the last {view.days} days."
        lines = [f"**Attendance, last {view.days} days** (members per session):"]
        lines += [f"{ts(at)}: {count}" for at, count in view.per_session[:20]]
        return "\n".join(lines)
    who = "You" if own else f"<@{view.member_id}>"
    groups = f"{view.groups} group{'' if view.groups == 1 else 's'}"
    weeks = f"{view.weeks_in_a_row} week{'' if view.weeks_in_a_row == 1 else 's'}"
    lines = [
        f"{who} attended {groups} in the last {view.days} days.",
        f"Weeks in a row with at least one group: {weeks}.",
    ]
    if view.recent:
        lines.append("")
        lines += [f"{ts(at)}: {title}" for title, at in view.recent]
    if own:
        lines.append("\nOnly you and the moderators can see this.")
    return "\n".join(lines)
