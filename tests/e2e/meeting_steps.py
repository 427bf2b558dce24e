"""Shared steps for the meeting e2e tests: what a moderator or member does, and what they see."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.simulator import SimChannel, SimGuild, SimMember, SimMessage, SimScheduledEvent, Simulator

STAMP = re.compile(r"<t:(\d+):F>")


def stamps(text: str) -> list[datetime]:
    """The instants shown as <t:…:F> in a text, in order."""
    return [datetime.fromtimestamp(int(s), tz=UTC) for s in STAMP.findall(text)]


def live_events(guild: SimGuild) -> list[SimScheduledEvent]:
    return [event for event in guild.scheduled_events if not event.deleted]


def reminder_posts(sim: Simulator, channel: SimChannel, title: str) -> list[SimMessage]:
    return [
        message
        for message in sim.messages(channel)
        if message.embeds and message.embeds[0].get("title") == title and message.components
    ]


def rsvp_line(message: SimMessage) -> str:
    return str(message.embeds[0]["fields"][0]["value"])


def dm_texts(sim: Simulator, member: SimMember) -> list[str]:
    return [message.text() for message in sim.dms(member)]
