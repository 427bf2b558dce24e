"""Users: the bot's own user, other users, and opening a DM channel with one."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator.routes.base import BOT, Call, Reply, Route, RouteGroup, ok


class UserRoutes(RouteGroup):
    def routes(self) -> list[Route]:
        return [
            ("GET", "/users/@me", self.get_me, BOT),
            ("POST", "/users/@me/channels", self.open_dm, BOT),
            ("GET", "/users/{user_id}", self.get_user, BOT),
        ]

    async def get_me(self, call: Call) -> Reply:
        me = self.world.bot_user.payload()
        return ok(me | {"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"})

    async def get_user(self, call: Call) -> Reply:
        user = self.world.users.get(call.int("user_id"))
        if user is None:
            raise err.unknown("User", err.UNKNOWN_USER)
        return ok(user.payload())

    async def open_dm(self, call: Call) -> Reply:
        user = self.world.users.get(int(call.body.get("recipient_id", 0)))
        if user is None:
            raise err.unknown("User", err.UNKNOWN_USER)
        return ok(self.world.dm_channel(user).payload())
