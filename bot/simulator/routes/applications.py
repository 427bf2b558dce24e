"""The application: its info and gateway discovery at login, and its commands (sync)."""

from __future__ import annotations

from collections.abc import Callable

from bot.simulator import errors as err
from bot.simulator.commands import CommandRegistry
from bot.simulator.errors import ApiError
from bot.simulator.intents import application_flags
from bot.simulator.limits import FormErrorsOf
from bot.simulator.routes.base import (
    BOT,
    NO_CONTENT,
    PUBLIC,
    Call,
    Reply,
    Route,
    RouteGroup,
    ok,
)
from bot.simulator.state import World


class ApplicationRoutes(RouteGroup):
    def __init__(
        self, world: World, commands: CommandRegistry, *, gateway_url: Callable[[], str]
    ) -> None:
        super().__init__(world)
        self.commands = commands
        self._gateway_url = gateway_url
        # The application's owner is a person, not the bot: a client caching users by id
        # (discord.js does) would otherwise overwrite its own bot user with the owner.
        self.owner = world.new_user("sim-owner")

    def routes(self) -> list[Route]:
        commands = "/applications/{application_id}/commands"
        guild_commands = "/applications/{application_id}/guilds/{guild_id}/commands"
        routes: list[Route] = [
            # Both return the same application object (docs: "Get Current Application" and
            # "Get Current Bot Application Information"); discord.js asks the first.
            ("GET", "/applications/@me", self.get_application, BOT),
            ("GET", "/oauth2/applications/@me", self.get_application, BOT),
            ("GET", "/applications/@me", self.get_application, BOT),
            ("GET", "/gateway", self.get_gateway, PUBLIC),
            ("GET", "/gateway/bot", self.get_gateway_bot, BOT),
        ]
        for base in (commands, guild_commands):
            routes += [
                ("GET", base, self.list_commands, BOT),
                ("PUT", base, self.put_commands, BOT),
                ("POST", base, self.post_command, BOT),
                ("GET", base + "/{command_id}", self.get_command, BOT),
                ("PATCH", base + "/{command_id}", self.patch_command, BOT),
                ("DELETE", base + "/{command_id}", self.delete_command, BOT),
            ]
        return routes

    # -- the application and its gateway -----------------------------------------------------

    async def get_application(self, call: Call) -> Reply:
        owner = self.owner.payload()
        return ok(
            {
                "id": str(self.world.application_id),
                "name": self.world.bot_user.name,
                "icon": None,
                "description": "Simulated application",
                "rpc_origins": [],
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": owner,
                "summary": "",
                "verify_key": "0" * 64,
                "team": None,
                "flags": application_flags(self.world.privileged_intents),
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.world.guilds),
                # Optional in the docs but always sent for one's own application; hikari
                # reads the install count unconditionally.
                "approximate_user_install_count": 0,
                "approximate_user_authorization_count": 0,
                "redirect_uris": [],
                "role_connections_verification_url": None,
                "event_webhooks_url": None,
                "event_webhooks_status": 1,
                "integration_types_config": {"0": {}},
                "bot": self.world.bot_user.payload(),
            }
        )

    async def get_gateway(self, call: Call) -> Reply:
        return ok({"url": self._gateway_url()})

    async def get_gateway_bot(self, call: Call) -> Reply:
        return ok(
            {
                "url": self._gateway_url(),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # -- application commands ----------------------------------------------------------------

    def _scope(self, call: Call) -> int | None:
        if call.int("application_id") != self.world.application_id:
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        return self._guild(call).id if "guild_id" in call.params else None

    async def list_commands(self, call: Call) -> Reply:
        return ok(self.commands.listing(self._scope(call)))

    async def put_commands(self, call: Call) -> Reply:
        if not isinstance(call.json, list):
            raise FormErrorsOf("", "BASE_TYPE_ARRAY", "Must be an array.")
        return ok(self.commands.overwrite(self._scope(call), call.json))

    async def post_command(self, call: Call) -> Reply:
        return 201, self.commands.upsert(self._scope(call), call.body)

    async def get_command(self, call: Call) -> Reply:
        found = self.commands.get(self._scope(call), call.int("command_id"))
        if found is None:
            raise err.unknown("application command", err.UNKNOWN_COMMAND)
        return ok(found)

    async def patch_command(self, call: Call) -> Reply:
        scope = self._scope(call)
        found = self.commands.get(scope, call.int("command_id"))
        if found is None:
            raise err.unknown("application command", err.UNKNOWN_COMMAND)
        return ok(self.commands.upsert(scope, {**found, **call.body}))

    async def delete_command(self, call: Call) -> Reply:
        if not self.commands.delete(self._scope(call), call.int("command_id")):
            raise err.unknown("application command", err.UNKNOWN_COMMAND)
        return NO_CONTENT
