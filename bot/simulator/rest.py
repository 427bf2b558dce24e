"""REST routes of API v10, named with discord.py's route templates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.commands import CommandRegistry
from bot.simulator.errors import ApiError
from bot.simulator.ids import real_now
from bot.simulator.interactions import InteractionHub
from bot.simulator.limits import FormErrors
from bot.simulator.messages import MessageStore
from bot.simulator.state import (
    DM,
    JSON,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    VOICE,
    SimChannel,
    SimFile,
    SimGuild,
    SimMember,
    SimMessage,
    SimScheduledEvent,
    World,
)


@dataclass
class Call:
    params: Mapping[str, str]
    json: Any = None
    files: list[SimFile] = field(default_factory=list)
    query: Mapping[str, str] = field(default_factory=dict)

    def int(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise ApiError(404, 0, "404: Not Found") from None

    @property
    def body(self) -> JSON:
        return self.json if isinstance(self.json, dict) else {}


Reply = tuple[int, Any]
Handler = Callable[[Call], Awaitable[Reply]]
# Who may call: "bot" needs the bot token and counts against the global limit.
Scope = str


def ok(body: Any) -> Reply:
    return 200, body


NO_CONTENT: Reply = (204, None)


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
        self.world = world
        self.messages = messages
        self.commands = commands
        self.interactions = interactions
        self._gateway_url = gateway_url
        self._business_now = business_now

    def routes(self) -> list[tuple[str, str, Handler, Scope]]:
        bot, hook = "bot", "webhook"
        commands = "/applications/{application_id}/commands"
        guild_commands = "/applications/{application_id}/guilds/{guild_id}/commands"
        message = "/channels/{channel_id}/messages/{message_id}"
        events = "/guilds/{guild_id}/scheduled-events"
        event = events + "/{guild_scheduled_event_id}"
        webhook = "/webhooks/{webhook_id}/{webhook_token}"
        return [
            ("GET", "/users/@me", self.get_me, bot),
            ("POST", "/users/@me/channels", self.open_dm, bot),
            ("GET", "/users/{user_id}", self.get_user, bot),
            ("GET", "/oauth2/applications/@me", self.get_application, bot),
            ("GET", "/gateway", self.get_gateway, "public"),
            ("GET", "/gateway/bot", self.get_gateway_bot, bot),
            ("GET", commands, self.list_commands, bot),
            ("PUT", commands, self.put_commands, bot),
            ("POST", commands, self.post_command, bot),
            ("GET", commands + "/{command_id}", self.get_command, bot),
            ("PATCH", commands + "/{command_id}", self.patch_command, bot),
            ("DELETE", commands + "/{command_id}", self.delete_command, bot),
            ("GET", guild_commands, self.list_commands, bot),
            ("PUT", guild_commands, self.put_commands, bot),
            ("POST", guild_commands, self.post_command, bot),
            ("GET", guild_commands + "/{command_id}", self.get_command, bot),
            ("PATCH", guild_commands + "/{command_id}", self.patch_command, bot),
            ("DELETE", guild_commands + "/{command_id}", self.delete_command, bot),
            ("GET", "/channels/{channel_id}", self.get_channel, bot),
            ("PATCH", "/channels/{channel_id}", self.patch_channel, bot),
            ("DELETE", "/channels/{channel_id}", self.delete_channel, bot),
            ("PUT", "/channels/{channel_id}/permissions/{target}", self.put_overwrite, bot),
            ("DELETE", "/channels/{channel_id}/permissions/{target}", self.delete_overwrite, bot),
            ("GET", "/channels/{channel_id}/messages", self.list_messages, bot),
            ("POST", "/channels/{channel_id}/messages", self.post_message, bot),
            ("GET", message, self.get_message, bot),
            ("PATCH", message, self.patch_message, bot),
            ("DELETE", message, self.delete_message, bot),
            ("PUT", message + "/reactions/{emoji}/@me", self.add_reaction, bot),
            ("POST", "/channels/{channel_id}/typing", self.typing, bot),
            ("POST", "/channels/{channel_id}/threads", self.start_thread, bot),
            ("POST", message + "/threads", self.start_thread_from_message, bot),
            ("GET", "/channels/{channel_id}/thread-members", self.list_thread_members, bot),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread, bot),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread, bot),
            ("GET", "/channels/{channel_id}/thread-members/{user_id}", self.get_thread_member, bot),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member, bot),
            (
                "DELETE",
                "/channels/{channel_id}/thread-members/{user_id}",
                self.remove_thread_member,
                bot,
            ),
            ("GET", "/guilds/{guild_id}", self.get_guild, bot),
            ("GET", "/guilds/{guild_id}/channels", self.list_channels, bot),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel, bot),
            ("GET", "/guilds/{guild_id}/roles", self.list_roles, bot),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads, bot),
            ("GET", "/guilds/{guild_id}/members", self.list_members, bot),
            ("GET", "/guilds/{guild_id}/members/{member_id}", self.get_member, bot),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_role, bot),
            (
                "DELETE",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                self.remove_role,
                bot,
            ),
            ("GET", events, self.list_events, bot),
            ("POST", events, self.create_event, bot),
            ("GET", event, self.get_event, bot),
            ("PATCH", event, self.patch_event, bot),
            ("DELETE", event, self.delete_event, bot),
            ("GET", event + "/users", self.event_users, bot),
            ("POST", "/interactions/{webhook_id}/{webhook_token}/callback", self.callback, hook),
            ("POST", webhook, self.followup, hook),
            ("GET", webhook + "/messages/@original", self.get_hook_message, hook),
            ("PATCH", webhook + "/messages/@original", self.edit_hook_message, hook),
            ("DELETE", webhook + "/messages/@original", self.delete_hook_message, hook),
            ("GET", webhook + "/messages/{message_id}", self.get_hook_message, hook),
            ("PATCH", webhook + "/messages/{message_id}", self.edit_hook_message, hook),
            ("DELETE", webhook + "/messages/{message_id}", self.delete_hook_message, hook),
        ]

    # -- lookups and permission checks ---------------------------------------------------------

    def _channel(self, call: Call) -> SimChannel:
        channel = self.world.channels.get(call.int("channel_id"))
        if channel is None or channel.deleted:
            raise err.unknown("Channel", err.UNKNOWN_CHANNEL)
        if channel.guild is not None and not self._me(channel.guild).can_see(channel):
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        return channel

    def _guild(self, call: Call) -> SimGuild:
        guild = self.world.guilds.get(call.int("guild_id"))
        if guild is None:
            raise err.unknown("Guild", err.UNKNOWN_GUILD)
        return guild

    def _message(self, call: Call, channel: SimChannel) -> SimMessage:
        message = self.world.messages.get(call.int("message_id"))
        if (
            message is None
            or message.channel is not channel
            or message.deleted
            or message.ephemeral
        ):
            raise err.unknown("Message", err.UNKNOWN_MESSAGE)
        return message

    def _me(self, guild: SimGuild) -> SimMember:
        return guild.me

    def _require(self, channel: SimChannel | None, guild: SimGuild, bit: int) -> None:
        me = self._me(guild)
        have = me.permissions_in(channel) if channel is not None else me.permissions
        if not have & bit:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")

    def _member(self, guild: SimGuild, user_id: int) -> SimMember:
        member = guild.members_by_id.get(user_id)
        if member is None:
            raise err.unknown("Member", err.UNKNOWN_MEMBER)
        return member

    # -- users and application ------------------------------------------------------------------

    async def get_me(self, call: Call) -> Reply:
        me = self.world.bot_user.payload()
        return ok(me | {"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"})

    async def get_user(self, call: Call) -> Reply:
        user = self.world.users.get(call.int("user_id"))
        if user is None:
            raise err.unknown("User", err.UNKNOWN_USER)
        return ok(user.payload())

    async def get_application(self, call: Call) -> Reply:
        owner = self.world.bot_user.payload() | {"bot": False, "username": "sim-owner"}
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
                "flags": 0,
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.world.guilds),
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

    async def open_dm(self, call: Call) -> Reply:
        user = self.world.users.get(int(call.body.get("recipient_id", 0)))
        if user is None:
            raise err.unknown("User", err.UNKNOWN_USER)
        return ok(self.world.dm_channel(user).payload())

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
            raise err.unknown("application command", 10063)
        return ok(found)

    async def patch_command(self, call: Call) -> Reply:
        scope = self._scope(call)
        found = self.commands.get(scope, call.int("command_id"))
        if found is None:
            raise err.unknown("application command", 10063)
        return ok(self.commands.upsert(scope, {**found, **call.body}))

    async def delete_command(self, call: Call) -> Reply:
        if not self.commands.delete(self._scope(call), call.int("command_id")):
            raise err.unknown("application command", 10063)
        return NO_CONTENT

    # -- channels ------------------------------------------------------------------------------

    async def get_channel(self, call: Call) -> Reply:
        return ok(self._channel(call).payload())

    async def patch_channel(self, call: Call) -> Reply:
        channel = self._channel(call)
        body = call.body
        guild = channel.guild
        if guild is None:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        is_own_thread = channel.is_thread and channel.owner_id == self.world.bot_user.id
        if not is_own_thread:
            bit = perms.MANAGE_THREADS if channel.is_thread else perms.MANAGE_CHANNELS
            self._require(channel, guild, bit)
        errors = FormErrors()
        if "name" in body:
            errors.too_long(("name",), str(body["name"]), 100)
            if not body["name"]:
                errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_if_any()
        for key in ("name", "topic"):
            if key in body:
                setattr(channel, key, body[key])
        for key in ("archived", "locked", "invitable"):
            if key in body and channel.is_thread:
                setattr(channel, key, bool(body[key]))
        if "auto_archive_duration" in body:
            channel.auto_archive_duration = int(body["auto_archive_duration"])
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        self.world.emit(event, channel.payload(), guild.id)
        return ok(channel.payload())

    async def delete_channel(self, call: Call) -> Reply:
        channel = self._channel(call)
        guild = channel.guild
        if guild is None:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(
            channel, guild, perms.MANAGE_THREADS if channel.is_thread else perms.MANAGE_CHANNELS
        )
        channel.deleted = True
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(guild.id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            self.world.emit("THREAD_DELETE", data, guild.id)
        else:
            self.world.emit("CHANNEL_DELETE", channel.payload(), guild.id)
        return ok(channel.payload())

    async def put_overwrite(self, call: Call) -> Reply:
        channel = self._channel(call)
        guild = channel.guild
        if guild is None or channel.is_thread:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(channel, guild, perms.MANAGE_ROLES)
        target = call.int("target")
        kind = int(call.body.get("type", 0))
        channel.overwrites = [o for o in channel.overwrites if o.target_id != target]
        channel.overwrites.append(
            perms.Overwrite(
                target, kind, int(call.body.get("allow") or 0), int(call.body.get("deny") or 0)
            )
        )
        self.world.emit("CHANNEL_UPDATE", channel.payload(), guild.id)
        return NO_CONTENT

    async def delete_overwrite(self, call: Call) -> Reply:
        channel = self._channel(call)
        guild = channel.guild
        if guild is None:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(channel, guild, perms.MANAGE_ROLES)
        target = call.int("target")
        channel.overwrites = [o for o in channel.overwrites if o.target_id != target]
        self.world.emit("CHANNEL_UPDATE", channel.payload(), guild.id)
        return NO_CONTENT

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
            if channel.archived:
                if channel.locked:
                    raise ApiError(400, 50083, "Thread is archived")
                channel.archived = False
                self.world.emit("THREAD_UPDATE", channel.payload(), guild.id)
        elif channel.type in (TEXT, VOICE):
            self._require(channel, guild, perms.SEND_MESSAGES)
        else:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")

    async def get_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        return ok(self._message(call, channel).payload(self.world))

    async def patch_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        message = self._message(call, channel)
        if message.author is not self.world.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.messages.edit(message, call.body, call.files)
        return ok(message.payload(self.world))

    async def delete_message(self, call: Call) -> Reply:
        channel = self._channel(call)
        message = self._message(call, channel)
        if message.author is not self.world.bot_user and channel.guild is not None:
            self._require(channel, channel.guild, discord_manage_messages())
        self.messages.delete(message)
        return NO_CONTENT

    async def add_reaction(self, call: Call) -> Reply:
        channel = self._channel(call)
        self._message(call, channel)
        return NO_CONTENT

    async def typing(self, call: Call) -> Reply:
        self._channel(call)
        return NO_CONTENT

    # -- threads ----------------------------------------------------------------------------

    def _new_thread(self, parent: SimChannel, body: JSON, kind: int) -> SimChannel:
        guild = parent.guild
        if guild is None or parent.type != TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        errors = FormErrors()
        name = str(body.get("name") or "")
        if not name:
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long(("name",), name, 100)
        errors.raise_if_any()
        bit = (
            perms.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else perms.CREATE_PUBLIC_THREADS
        )
        self._require(parent, guild, bit)
        thread = SimChannel(
            self.world.ids.next(),
            kind,
            name,
            self.world,
            guild=guild,
            parent_id=parent.id,
            owner_id=self.world.bot_user.id,
            invitable=bool(body.get("invitable", True)),
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        thread.thread_members[self.world.bot_user.id] = real_now()
        guild._add_channel(thread)
        data = thread.payload() | {
            "newly_created": True,
            "member": thread.thread_member_payload(self.world.bot_user.id),
        }
        self.world.emit("THREAD_CREATE", data, guild.id)
        return thread

    async def start_thread(self, call: Call) -> Reply:
        parent = self._channel(call)
        kind = int(call.body.get("type") or PRIVATE_THREAD)
        if kind not in (PUBLIC_THREAD, PRIVATE_THREAD):
            raise FormErrorsOf("type", "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
        return 201, self._new_thread(parent, call.body, kind).payload()

    async def start_thread_from_message(self, call: Call) -> Reply:
        parent = self._channel(call)
        message = self._message(call, parent)
        if message.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(parent, call.body, PUBLIC_THREAD)
        message.thread_id = thread.id
        return 201, thread.payload()

    def _thread(self, call: Call) -> SimChannel:
        thread = self._channel(call)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return thread

    async def list_thread_members(self, call: Call) -> Reply:
        thread = self._thread(call)
        return ok([thread.thread_member_payload(u) for u in thread.thread_members])

    async def get_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        user_id = call.int("user_id")
        if user_id not in thread.thread_members:
            raise err.unknown("Member", err.UNKNOWN_MEMBER)
        return ok(thread.thread_member_payload(user_id))

    async def join_thread(self, call: Call) -> Reply:
        thread = self._thread(call)
        self._thread_add(thread, self.world.bot_user.id)
        return NO_CONTENT

    async def leave_thread(self, call: Call) -> Reply:
        thread = self._thread(call)
        self._thread_remove(thread, self.world.bot_user.id)
        return NO_CONTENT

    async def add_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        guild = thread.guild
        assert guild is not None
        member = self._member(guild, call.int("user_id"))
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        is_member = self.world.bot_user.id in thread.thread_members
        if thread.type == PRIVATE_THREAD and not is_member:
            self._require(thread, guild, perms.MANAGE_THREADS)
        parent = thread.parent
        if parent is not None and not member.permissions_in(parent) & perms.VIEW_CHANNEL:
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        self._thread_add(thread, member.id)
        return NO_CONTENT

    async def remove_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        guild = thread.guild
        assert guild is not None
        user_id = call.int("user_id")
        if thread.owner_id != self.world.bot_user.id:
            self._require(thread, guild, perms.MANAGE_THREADS)
        self._thread_remove(thread, user_id)
        return NO_CONTENT

    def _thread_add(self, thread: SimChannel, user_id: int) -> None:
        guild = thread.guild
        assert guild is not None
        if user_id in thread.thread_members:
            return
        thread.thread_members[user_id] = real_now()
        added = thread.thread_member_payload(user_id)
        member = guild.members_by_id.get(user_id)
        if member is not None:
            added["member"] = member.payload()
        self.world.emit(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread.id),
                "guild_id": str(guild.id),
                "member_count": min(len(thread.thread_members), 50),
                "added_members": [added],
            },
            guild.id,
        )

    def _thread_remove(self, thread: SimChannel, user_id: int) -> None:
        guild = thread.guild
        assert guild is not None
        if thread.thread_members.pop(user_id, None) is None:
            return
        self.world.emit(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread.id),
                "guild_id": str(guild.id),
                "member_count": min(len(thread.thread_members), 50),
                "removed_member_ids": [str(user_id)],
            },
            guild.id,
        )

    # -- guilds --------------------------------------------------------------------------------

    async def get_guild(self, call: Call) -> Reply:
        data = self._guild(call).payload(with_members=False)
        for key in ("members", "channels", "threads", "voice_states", "presences"):
            data.pop(key, None)
        return ok(data)

    async def list_channels(self, call: Call) -> Reply:
        guild = self._guild(call)
        return ok([c.payload() for c in guild.channels if not c.is_thread])

    async def create_channel(self, call: Call) -> Reply:
        guild = self._guild(call)
        self._require(None, guild, perms.MANAGE_CHANNELS)
        body = call.body
        kind = int(body.get("type") or TEXT)
        name = str(body.get("name") or "")
        errors = FormErrors()
        if not name:
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long(("name",), name, 100)
        if kind not in (TEXT, VOICE, 4):
            errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4}.")
        errors.raise_if_any()
        parent = body.get("parent_id")
        channel = SimChannel(
            self.world.ids.next(),
            kind,
            name,
            self.world,
            guild=guild,
            parent_id=int(parent) if parent else None,
            topic=body.get("topic"),
            overwrites=[
                perms.Overwrite(
                    int(o["id"]),
                    int(o.get("type", 0)),
                    int(o.get("allow") or 0),
                    int(o.get("deny") or 0),
                )
                for o in body.get("permission_overwrites") or []
            ],
        )
        guild._add_channel(channel)
        return 201, channel.payload()

    async def list_roles(self, call: Call) -> Reply:
        return ok([r.payload() for r in self._guild(call).roles.values()])

    async def active_threads(self, call: Call) -> Reply:
        guild = self._guild(call)
        threads = [t for t in guild.threads if not t.archived]
        members = [
            t.thread_member_payload(self.world.bot_user.id)
            for t in threads
            if self.world.bot_user.id in t.thread_members
        ]
        return ok({"threads": [t.payload() for t in threads], "members": members})

    async def list_members(self, call: Call) -> Reply:
        guild = self._guild(call)
        after = int(call.query.get("after", 0))
        limit = min(int(call.query.get("limit", 1)), 1000)
        members = sorted((m for m in guild.members if m.id > after), key=lambda m: m.id)
        return ok([m.payload() for m in members[:limit]])

    async def get_member(self, call: Call) -> Reply:
        guild = self._guild(call)
        return ok(self._member(guild, call.int("member_id")).payload())

    async def add_role(self, call: Call) -> Reply:
        guild = self._guild(call)
        member = self._member(guild, call.int("user_id"))
        role = guild.roles.get(call.int("role_id"))
        if role is None:
            raise err.unknown("Role", err.UNKNOWN_ROLE)
        self._require(None, guild, perms.MANAGE_ROLES)
        if role.position >= max(r.position for r in guild.me.roles):
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        member.add_role(role)
        return NO_CONTENT

    async def remove_role(self, call: Call) -> Reply:
        guild = self._guild(call)
        member = self._member(guild, call.int("user_id"))
        role = guild.roles.get(call.int("role_id"))
        if role is None:
            raise err.unknown("Role", err.UNKNOWN_ROLE)
        self._require(None, guild, perms.MANAGE_ROLES)
        member.remove_role(role)
        return NO_CONTENT

    # -- scheduled events --------------------------------------------------------------------

    def _event(self, call: Call, guild: SimGuild) -> SimScheduledEvent:
        event = guild.events.get(call.int("guild_scheduled_event_id"))
        if event is None or event.deleted:
            raise err.unknown("Guild Scheduled Event", err.UNKNOWN_EVENT)
        return event

    async def list_events(self, call: Call) -> Reply:
        return ok([e.payload() for e in self._guild(call).scheduled_events])

    async def get_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        return ok(self._event(call, guild).payload())

    async def create_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        self._require(None, guild, perms.MANAGE_EVENTS)
        body = call.body
        fields = self._event_fields(guild, body, None)
        event = SimScheduledEvent(
            id=self.world.ids.next(), guild=guild, creator_id=self.world.bot_user.id, **fields
        )
        guild.events[event.id] = event
        self.world.emit("GUILD_SCHEDULED_EVENT_CREATE", event.payload(), guild.id)
        return ok(event.payload())

    async def patch_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        self._require(None, guild, perms.MANAGE_EVENTS)
        event = self._event(call, guild)
        fields = self._event_fields(guild, call.body, event)
        status = call.body.get("status")
        if status is not None:
            allowed = {1: {2, 4}, 2: {3}}.get(event.status, set())
            if int(status) != event.status and int(status) not in allowed:
                raise FormErrorsOf(
                    "status",
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Cannot change status from {event.status} to {status}",
                )
            fields["status"] = int(status)
        for key, value in fields.items():
            setattr(event, key, value)
        self.world.emit("GUILD_SCHEDULED_EVENT_UPDATE", event.payload(), guild.id)
        return ok(event.payload())

    async def delete_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        self._require(None, guild, perms.MANAGE_EVENTS)
        event = self._event(call, guild)
        event.deleted = True
        self.world.emit("GUILD_SCHEDULED_EVENT_DELETE", event.payload(), guild.id)
        return NO_CONTENT

    async def event_users(self, call: Call) -> Reply:
        guild = self._guild(call)
        event = self._event(call, guild)
        users = []
        for user_id in event.subscribers:
            entry: JSON = {
                "guild_scheduled_event_id": str(event.id),
                "user": self.world.users[user_id].payload(),
            }
            member = guild.members_by_id.get(user_id)
            if member is not None and call.query.get("with_member") in ("true", "1", "True"):
                entry["member"] = member.payload(with_user=False)
            users.append(entry)
        return ok(users)

    def _event_fields(
        self, guild: SimGuild, body: JSON, current: SimScheduledEvent | None
    ) -> dict[str, Any]:
        """Validate a create (current None) or edit body; returns the fields to set."""
        errors = FormErrors()
        fields: dict[str, Any] = {}

        def pick(key: str, default: Any) -> Any:
            return body.get(key, default)

        name = pick("name", current.name if current else None)
        if not name:
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long(("name",), name or "", 100)
        description = pick("description", current.description if current else None)
        errors.too_long(("description",), description or "", 1000)
        entity_type = int(pick("entity_type", current.entity_type if current else 0) or 0)
        metadata = pick("entity_metadata", {"location": current.location} if current else None)
        location = (metadata or {}).get("location")
        channel_id = pick("channel_id", current.channel_id if current else None)
        start_raw = pick("scheduled_start_time", current.start if current else None)
        end_raw = pick("scheduled_end_time", current.end if current else None)
        if entity_type not in (1, 2, 3):
            errors.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if int(pick("privacy_level", 2) or 2) != 2:
            errors.add(("privacy_level",), "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        if entity_type == 3:
            if not location:
                errors.add(
                    ("entity_metadata", "location"), "BASE_TYPE_REQUIRED", "This field is required"
                )
            errors.too_long(("entity_metadata", "location"), location or "", 100)
            if not end_raw:
                errors.add(("scheduled_end_time",), "BASE_TYPE_REQUIRED", "This field is required")
            channel_id = None
        elif entity_type in (1, 2):
            channel = self.world.channels.get(int(channel_id)) if channel_id else None
            wanted = 13 if entity_type == 1 else VOICE
            if channel is None or channel.guild is not guild or channel.type != wanted:
                errors.add(("channel_id",), "CHANNEL_TYPE_INVALID", "Invalid channel type")
            location = None
        start = _parse_time(start_raw)
        end = _parse_time(end_raw) if end_raw else None
        if start is None:
            errors.add(
                ("scheduled_start_time",),
                "DATE_TIME_TYPE_PARSE",
                "Could not parse the date. Should be ISO8601.",
            )
        else:
            now = self._business_now()
            start_changed = current is None or "scheduled_start_time" in body
            if now is not None and start_changed and start <= now:
                errors.add(
                    ("scheduled_start_time",),
                    "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                    "Cannot schedule event in the past.",
                )
            if end is not None and end <= start:
                errors.add(
                    ("scheduled_end_time",),
                    "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                    "Cannot schedule event to end before starting.",
                )
        errors.raise_if_any()
        fields.update(
            name=name,
            description=description,
            entity_type=entity_type,
            location=location,
            channel_id=int(channel_id) if channel_id else None,
            start=start_raw,
            end=end_raw,
        )
        if "recurrence_rule" in body:
            fields["recurrence_rule"] = body["recurrence_rule"]
        return fields

    # -- interactions and their webhooks --------------------------------------------------------

    async def callback(self, call: Call) -> Reply:
        response = self.interactions.callback(
            call.int("webhook_id"), call.params["webhook_token"], call.body, call.files
        )
        if call.query.get("with_response") in ("1", "true", "True"):
            return ok(response)
        return NO_CONTENT

    async def followup(self, call: Call) -> Reply:
        message = self.interactions.followup(
            call.int("webhook_id"), call.params["webhook_token"], call.body, call.files
        )
        if call.query.get("wait") in ("1", "true", "True"):
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


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def discord_manage_messages() -> int:
    return perms.from_flags({"manage_messages": True})


class FormErrorsOf(ApiError):
    def __init__(self, key: str, code: str, message: str) -> None:
        tree: JSON = {"_errors": [{"code": code, "message": message}]}
        super().__init__(
            400, err.INVALID_FORM_BODY, "Invalid Form Body", {key: tree} if key else tree
        )
