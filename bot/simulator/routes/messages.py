"""Channel messages (guild channels, threads and DMs): list, post, edit, delete, react, type."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.messages import MessageStore
from bot.simulator.routes.base import BOT, NO_CONTENT, Call, Reply, Route, RouteGroup, ok
from bot.simulator.state import DM, TEXT, VOICE, SimChannel, World


class MessageRoutes(RouteGroup):
    def __init__(self, world: World, messages: MessageStore) -> None:
        super().__init__(world)
        self.messages = messages

    def routes(self) -> list[Route]:
        messages = "/channels/{channel_id}/messages"
        message = messages + "/{message_id}"
        return [
            ("GET", messages, self.list_messages, BOT),
            ("POST", messages, self.post_message, BOT),
            ("GET", message, self.get_message, BOT),
            ("PATCH", message, self.patch_message, BOT),
            ("DELETE", message, self.delete_message, BOT),
            ("PUT", message + "/reactions/{emoji}/@me", self.add_reaction, BOT),
            ("POST", "/channels/{channel_id}/typing", self.typing, BOT),
        ]

    async def list_messages(self, call: Call) -> Reply:
        channel = self._channel(call)
        visible = [m for m in channel.messages if not m.ephemeral]
        before = call.query.get("before")
        after = call.query.get("after")
        if before:
            visible = [m for m in visible if m.id < int(before)]
        if after:
            visible = [m for m in visible if m.id > int(after)]
        limit = min(int(call.query.get("limit", 50)), 100)
        newest_first = list(reversed(visible))
        if after and not before:
            newest_first = list(reversed(visible[:limit]))
        return ok([m.payload(self.world) for m in newest_first[:limit]])

    async def post_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        self._can_post(channel)
        self._can_attach(channel, call)
        message, _ = self.messages.create(channel, self.world.bot_user, call.body, call.files)
        return ok(message.payload(self.world))

    def _can_post(self, channel: SimChannel) -> None:
        guild = channel.guild
        if channel.type == DM:
            recipient = channel.recipient
            assert recipient is not None
            shares_guild = any(recipient.id in g.members_by_id for g in self.world.guilds.values())
            if not recipient.dms_open or not shares_guild:
                raise ApiError(403, err.CANNOT_DM, "Cannot send messages to this user")
            return
        assert guild is not None
        if channel.is_thread:
            self._require(channel, guild, perms.SEND_IN_THREADS)
            moderator = self._me(guild).permissions_in(channel) & perms.MANAGE_THREADS
            if channel.locked and not channel.archived and not moderator:
                raise ApiError(400, 160005, "Thread is locked")
            if channel.archived:
                if channel.locked:
                    raise ApiError(400, 50083, "Thread is archived")
                channel.unarchive(self.world.now())
        elif channel.type in (TEXT, VOICE):
            self._require(channel, guild, perms.SEND_MESSAGES)
        else:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")

    def _can_attach(self, channel: SimChannel, call: Call) -> None:
        """Uploading into a guild channel needs Attach Files there."""
        if call.files and channel.guild is not None:
            self._require(channel, channel.guild, perms.ATTACH_FILES)

    async def get_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        return ok(self._message(call, channel).payload(self.world))

    async def patch_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        message = self._message(call, channel)
        if message.author is not self.world.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._can_attach(channel, call)
        self.messages.edit(message, call.body, call.files)
        return ok(message.payload(self.world))

    async def delete_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        message = self._message(call, channel)
        if message.author is not self.world.bot_user and channel.guild is not None:
            self._require(channel, channel.guild, perms.MANAGE_MESSAGES)
        self.messages.delete(message)
        return NO_CONTENT

    async def add_reaction(self, call: Call) -> Reply:
        channel = self._channel(call)
        self._message(call, channel)
        return NO_CONTENT

    async def typing(self, call: Call) -> Reply:
        self._channel(call)
        return NO_CONTENT
