"""Shared steps for the meeting e2e tests: what a moderator or member does, and what they see."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from bot.app import SteadyBot
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


async def settle(sim: Simulator, bot: SteadyBot, member: SimMember) -> None:
    """Wait until the bot has handled the gateway events sent so far (interest, voice).

    A command sent after them arrives on the same socket, so once it is answered the bot has
    read them and started its background work for them; that work is then awaited.
    """
    await sim.slash(member, "meeting mine")
    pending = list(bot._in_flight)  # the bot's tracked background work
    if pending:
        await asyncio.wait(pending)
