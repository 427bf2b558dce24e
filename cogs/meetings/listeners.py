"""Gateway events meetings listen to: voice presence and interest in Discord's events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import SteadyBot

_INTEREST = {"GUILD_SCHEDULED_EVENT_USER_ADD": True, "GUILD_SCHEDULED_EVENT_USER_REMOVE": False}
_HOOKED = "_steady_meeting_interest"


def hook_interest(bot: SteadyBot) -> None:
    """Record every change of interest in an event as an RSVP.

    discord.py only dispatches its own scheduled_event_user_add when the user is in its cache,
    and Steady caches no members, so it would drop nearly all of them; the gateway payload has
    every id needed, so it is read here, after discord.py's own parser has run. The work is
    tracked, so a shutdown waits for an RSVP being written.
    """
    parsers: dict[str, Any] = bot._connection.parsers
    for event, added in _INTEREST.items():
        original = parsers[event]
        if getattr(original, _HOOKED, False):
            continue

        def parse(data: Any, original: Any = original, added: bool = added) -> None:
            original(data)
            bot.track(
                bot.services.meetings.event_interest(
                    int(data["guild_id"]),
                    int(data["guild_scheduled_event_id"]),
                    int(data["user_id"]),
                    added,
                )
            )

        setattr(parse, _HOOKED, True)
        parsers[event] = parse


class MeetingListeners(commands.Cog):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        left = before.channel.id if before.channel is not None else None
        joined = after.channel.id if after.channel is not None else None
        # Tracked, so a shutdown waits for a stay being written.
        await self.bot.track(
            self.bot.services.meetings.voice_changed(member.guild.id, member.id, left, joined)
        )
