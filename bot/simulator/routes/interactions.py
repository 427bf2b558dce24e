"""The bot's answers to interactions: the callback, follow-ups and the webhook's messages.

The rules (ack window, token lifetime, one acknowledgement) live in `InteractionHub`.
"""

from __future__ import annotations

from bot.simulator.interactions import InteractionHub
from bot.simulator.routes.base import NO_CONTENT, WEBHOOK, Call, Reply, Route, RouteGroup, ok
from bot.simulator.state import World


class InteractionRoutes(RouteGroup):
    def __init__(self, world: World, interactions: InteractionHub) -> None:
        super().__init__(world)
        self.interactions = interactions

    def routes(self) -> list[Route]:
        webhook = "/webhooks/{webhook_id}/{webhook_token}"
        routes: list[Route] = [
            ("POST", "/interactions/{webhook_id}/{webhook_token}/callback", self.callback, WEBHOOK),
            ("POST", webhook, self.followup, WEBHOOK),
        ]
        for message in ("/messages/@original", "/messages/{message_id}"):
            routes += [
                ("GET", webhook + message, self.get_hook_message, WEBHOOK),
                ("PATCH", webhook + message, self.edit_hook_message, WEBHOOK),
                ("DELETE", webhook + message, self.delete_hook_message, WEBHOOK),
            ]
        return routes

    async def callback(self, call: Call) -> Reply:
        response = self.interactions.callback(
            call.int("webhook_id"), call.params["webhook_token"], call.body, call.files
        )
        if call.flag("with_response"):
            return ok(response)
        return NO_CONTENT

    async def followup(self, call: Call) -> Reply:
        message = self.interactions.followup(
            call.int("webhook_id"), call.params["webhook_token"], call.body, call.files
        )
        if call.flag("wait"):
            return ok(message.payload(self.world))
        return NO_CONTENT

    async def get_hook_message(self, call: Call) -> Reply:
        message = self.interactions.get_message(
            call.int("webhook_id"), call.params["webhook_token"], _message_ref(call)
        )
        return ok(message.payload(self.world))

    async def edit_hook_message(self, call: Call) -> Reply:
        message = self.interactions.edit_message(
            call.int("webhook_id"),
            call.params["webhook_token"],
            _message_ref(call),
            call.body,
            call.files,
        )
        return ok(message.payload(self.world))

    async def delete_hook_message(self, call: Call) -> Reply:
        self.interactions.delete_message(
            call.int("webhook_id"), call.params["webhook_token"], _message_ref(call)
        )
        return NO_CONTENT


def _message_ref(call: Call) -> str:
    return call.params.get("message_id", "@original")
