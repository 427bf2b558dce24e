"""REST routes of API v10, named with discord.py's route templates, one module per area.

`RestApi.routes()` is the whole table the aiohttp app serves (see `server.build_app`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.simulator.commands import CommandRegistry
from bot.simulator.interactions import InteractionHub
from bot.simulator.messages import MessageStore
from bot.simulator.routes.applications import ApplicationRoutes
from bot.simulator.routes.base import Call, Handler, Reply, Route, RouteGroup, Scope
from bot.simulator.routes.channels import ChannelRoutes
from bot.simulator.routes.guilds import GuildRoutes
from bot.simulator.routes.interactions import InteractionRoutes
from bot.simulator.routes.messages import MessageRoutes
from bot.simulator.routes.scheduled_events import ScheduledEventRoutes
from bot.simulator.routes.threads import ThreadRoutes
from bot.simulator.routes.users import UserRoutes
from bot.simulator.routes.voice import VoiceRoutes
from bot.simulator.state import World

__all__ = ["Call", "Handler", "Reply", "RestApi", "Route", "Scope"]


class RestApi:
    def __init__(
        self,
        world: World,
        messages: MessageStore,
        commands: CommandRegistry,
        interactions: InteractionHub,
        *,
        gateway_url: Callable[[], str],
        business_now: Callable[[], datetime | None],
    ) -> None:
        self.groups: list[RouteGroup] = [
            UserRoutes(world),
            ApplicationRoutes(world, commands, gateway_url=gateway_url),
            ChannelRoutes(world),
            MessageRoutes(world, messages),
            ThreadRoutes(world),
            GuildRoutes(world),
            ScheduledEventRoutes(world, business_now=business_now),
            VoiceRoutes(world),
            InteractionRoutes(world, interactions),
        ]

    def routes(self) -> list[Route]:
        return [route for group in self.groups for route in group.routes()]
