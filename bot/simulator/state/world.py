"""`World`: everything the simulated Discord knows, and where its changes are announced."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.simulator.ids import Snowflakes, real_now
from bot.simulator.state.channels import SimChannel
from bot.simulator.state.constants import DM, JSON, Emit
from bot.simulator.state.guilds import SimGuild
from bot.simulator.state.members import SimMember, SimUser
from bot.simulator.state.messages import SimFile, SimMessage


class World:
    """Everything the simulated Discord knows; shared by REST routes, gateway and the test API."""

    def __init__(self, *, bot_name: str, bot_permissions: int) -> None:
        self.ids = Snowflakes()
        self.users: dict[int, SimUser] = {}
        self.guilds: dict[int, SimGuild] = {}
        self.channels: dict[int, SimChannel] = {}
        self.messages: dict[int, SimMessage] = {}
        self.channel_messages: dict[int, list[SimMessage]] = {}
        self.dm_channels: dict[int, SimChannel] = {}
        self.bot_permissions = bot_permissions
        # The privileged intents enabled for the application (bits, see `intents.py`).
        self.privileged_intents = 0
        self.bot_user = self.new_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        self.attachment_base = ""
        # The simulator's clock: the bot's business clock once one runs (see `Simulator.now`).
        # Voice visits, thread activity and scheduled-event automation follow it.
        self.now: Callable[[], datetime] = real_now
        self._emit: Emit | None = None
        self._message_listeners: list[Callable[[SimMessage], None]] = []

    def set_emitter(self, emit: Emit | None) -> None:
        self._emit = emit

    def emit(self, event: str, data: JSON, guild_id: int | None) -> None:
        if self._emit is not None:
            self._emit(event, data, guild_id)

    def on_message(self, listener: Callable[[SimMessage], None]) -> None:
        self._message_listeners.append(listener)

    def message_changed(self, message: SimMessage) -> None:
        for listener in list(self._message_listeners):
            listener(message)

    def new_user(self, name: str, *, bot: bool = False, locale: str = "en-US") -> SimUser:
        user = SimUser(self.ids.next(), name, bot=bot, locale=locale)
        self.users[user.id] = user
        return user

    def user_named(self, name: str) -> SimUser | None:
        return next((u for u in self.users.values() if u.name == name and not u.bot), None)

    def add_guild(self, name: str) -> SimGuild:
        guild = SimGuild(self, name)
        self.guilds[guild.id] = guild
        self.emit("GUILD_CREATE", guild.payload(with_presences=True), guild.id)
        return guild

    def dm_channel(self, user: SimUser) -> SimChannel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = SimChannel(self.ids.next(), DM, "", self, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    def member_of(self, guild: SimGuild | None, user_id: int) -> SimMember | None:
        return guild.members_by_id.get(user_id) if guild is not None else None

    def store(self, message: SimMessage) -> SimMessage:
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel.id, []).append(message)
        self.message_changed(message)
        return message

    def attachment_payload(self, message: SimMessage, file: SimFile) -> JSON:
        url = f"{self.attachment_base}/attachments/{message.channel.id}/{file.id}/{file.filename}"
        data: JSON = {
            "id": str(file.id),
            "filename": file.filename,
            "size": len(file.data),
            "url": url,
            "proxy_url": url,
        }
        if file.description is not None:
            data["description"] = file.description
        if file.media_type:
            data["content_type"] = file.media_type
        if file.dimensions is not None:
            data["width"], data["height"] = file.dimensions
        return data

    def file_by_id(self, file_id: int) -> SimFile | None:
        for message in self.messages.values():
            for file in message.files:
                if file.id == file_id:
                    return file
        return None
