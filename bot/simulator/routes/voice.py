"""Voice states over REST: the bot's own and a member's, in one guild."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.routes.base import BOT, Call, Reply, Route, RouteGroup, ok

UNKNOWN_VOICE_STATE = 10065


class VoiceRoutes(RouteGroup):
    def routes(self) -> list[Route]:
        states = "/guilds/{guild_id}/voice-states"
        return [
            ("GET", states + "/@me", self.my_voice_state, BOT),
            ("GET", states + "/{user_id}", self.voice_state, BOT),
        ]

    async def my_voice_state(self, call: Call) -> Reply:
        return self._state(call, self.world.bot_user.id)

    async def voice_state(self, call: Call) -> Reply:
        return self._state(call, call.int("user_id"))

    def _state(self, call: Call, user_id: int) -> Reply:
        """10065 when the user is not connected; Discord also asks that the bot may connect
        to the channel the user is in."""
        guild = self._guild(call)
        state = guild.voice_states.get(user_id)
        if state is None:
            raise err.unknown("Voice State", UNKNOWN_VOICE_STATE)
        channel = self.world.channels.get(state.channel_id)
        needed = perms.VIEW_CHANNEL | perms.CONNECT
        if channel is None or self._me(guild).permissions_in(channel) & needed != needed:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        data = guild.voice_state(user_id)
        return ok(data)
