"""The simulated Discord world: users, guilds, roles, members, channels, threads, messages, events.

Objects here are what tests hold (`guild.add_member("alice")` returns a `SimMember`). They know
how to render themselves as Discord payloads and announce their changes through `World.emit`,
which the gateway turns into dispatch events for connected bots.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.simulator import permissions as perms
from bot.simulator.errors import SimulatorError
from bot.simulator.ids import Snowflakes, iso, real_now, snowflake_time

JSON = dict[str, Any]
Emit = Callable[[str, JSON, "int | None"], None]

TEXT, DM, VOICE, CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 2, 4, 11, 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15


@dataclass(eq=False)
class SimUser:
    id: int
    name: str
    bot: bool = False
    dms_open: bool = True
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": None if self.bot else self.name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class SimRole:
    id: int
    guild: SimGuild
    name: str
    permissions: int
    position: int
    mentionable: bool = False
    color: int = 0
    hoist: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild.id

    @property
    def members(self) -> list[SimMember]:
        return [m for m in self.guild.members if self.is_everyone or self.id in m.role_ids]

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.bot_id is not None,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(eq=False)
class SimMember:
    guild: SimGuild
    user: SimUser
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=real_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def dms_open(self) -> bool:
        return self.user.dms_open

    @dms_open.setter
    def dms_open(self, value: bool) -> None:
        self.user.dms_open = value

    @property
    def roles(self) -> list[SimRole]:
        return [self.guild.roles[r] for r in self.role_ids if r in self.guild.roles]

    @property
    def permissions(self) -> int:
        """Guild-level permissions (before channel overwrites)."""
        return perms.guild_permissions(
            everyone=self.guild.everyone.permissions,
            role_permissions=(r.permissions for r in self.roles),
            is_owner=self.id == self.guild.owner_id,
        )

    def permissions_in(self, channel: SimChannel) -> int:
        target = channel.parent if channel.is_thread and channel.parent else channel
        value = perms.apply_overwrites(
            self.permissions,
            guild_id=self.guild.id,
            member_id=self.id,
            role_ids=self.role_ids,
            overwrites=target.overwrites,
        )
        if not value & perms.VIEW_CHANNEL:
            return 0
        return value

    def can_see(self, channel: SimChannel) -> bool:
        if channel.guild is not self.guild:
            return False
        value = self.permissions_in(channel)
        if not value & perms.VIEW_CHANNEL:
            return False
        if channel.type == PRIVATE_THREAD:
            return self.id in channel.thread_members or bool(value & perms.MANAGE_THREADS)
        return True

    def add_role(self, *roles: SimRole) -> None:
        for role in roles:
            if role.id not in self.role_ids and not role.is_everyone:
                self.role_ids.append(role.id)
        self.guild.world.emit("GUILD_MEMBER_UPDATE", self._update_payload(), self.guild.id)

    def remove_role(self, *roles: SimRole) -> None:
        self.role_ids = [r for r in self.role_ids if r not in {role.id for role in roles}]
        self.guild.world.emit("GUILD_MEMBER_UPDATE", self._update_payload(), self.guild.id)

    def _update_payload(self) -> JSON:
        data = self.payload()
        data["guild_id"] = str(self.guild.id)
        return data

    def payload(self, *, with_user: bool = True) -> JSON:
        data: JSON = {
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass(eq=False)
class SimChannel:
    id: int
    type: int
    name: str
    world: World = field(repr=False)
    guild: SimGuild | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    overwrites: list[perms.Overwrite] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    thread_members: dict[int, datetime] = field(default_factory=dict)
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    # direct messages
    recipient: SimUser | None = None
    deleted: bool = False

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def parent(self) -> SimChannel | None:
        if self.guild is None or self.parent_id is None:
            return None
        return self.world.channels.get(self.parent_id)

    @property
    def messages(self) -> list[SimMessage]:
        return [m for m in self.world.channel_messages.get(self.id, []) if not m.deleted]

    def set_permissions(self, target: SimRole | SimMember, **flags: bool | None) -> None:
        """Channel overwrite: True allows, False denies, None leaves the flag to the role."""
        if self.guild is None:
            raise SimulatorError("only guild channels have permission overwrites")
        kind = 1 if isinstance(target, SimMember) else 0
        found = next(
            (o for o in self.overwrites if o.target_id == target.id and o.kind == kind), None
        )
        if found is None:
            found = perms.Overwrite(target.id, kind)
            self.overwrites.append(found)
        for name, value in flags.items():
            bit = perms.from_flags({name: True})
            found.allow &= ~bit
            found.deny &= ~bit
            if value is True:
                found.allow |= bit
            elif value is False:
                found.deny |= bit
        self.guild.world.emit("CHANNEL_UPDATE", self.payload(), self.guild.id)

    def payload(self) -> JSON:
        if self.type == DM:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM,
                "recipients": [self.recipient.payload()],
                "last_message_id": None,
                "flags": 0,
            }
        assert self.guild is not None
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id),
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "nsfw": False,
            "flags": 0,
            "rate_limit_per_user": 0,
            "last_message_id": self.last_message_id(),
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id),
                message_count=len(self.messages),
                total_message_sent=len(self.messages),
                member_count=min(len(self.thread_members), 50),
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso(snowflake_time(self.id)),
                    "locked": self.locked,
                    "invitable": self.invitable,
                    "create_timestamp": iso(snowflake_time(self.id)),
                },
            )
            return data
        data.update(
            position=self.position,
            permission_overwrites=[o.payload() for o in self.overwrites],
        )
        if self.type == TEXT:
            data["topic"] = self.topic
            data["default_auto_archive_duration"] = 1440
        elif self.type == VOICE:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, video_quality_mode=1)
        return data

    def last_message_id(self) -> str | None:
        messages = self.messages
        return str(messages[-1].id) if messages else None

    def thread_member_payload(self, user_id: int) -> JSON:
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": iso(self.thread_members.get(user_id, real_now())),
            "flags": 0,
        }


@dataclass(eq=False)
class SimFile:
    filename: str
    data: bytes
    content_type: str | None = None
    id: int = 0

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(eq=False)
class SimMessage:
    """A message as members see it. `mentions` are the ids of those really pinged."""

    id: int
    channel: SimChannel
    author: SimUser
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    files: list[SimFile] = field(default_factory=list)
    flags: int = 0
    mentions: list[int] = field(default_factory=list)
    user_mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    nonce: str | None = None
    ephemeral_for: int | None = None
    interaction: JSON | None = None
    message_type: int = 0
    edited_at: datetime | None = None
    deleted: bool = False
    thread_id: int | None = None
    reference_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def created_at(self) -> datetime:
        return snowflake_time(self.id)

    @property
    def guild(self) -> SimGuild | None:
        return self.channel.guild

    def visible_to(self, user: SimUser | SimMember) -> bool:
        if self.deleted:
            return False
        if self.ephemeral:
            return self.ephemeral_for == user.id
        if isinstance(user, SimMember) and self.channel.guild is not None:
            return user.can_see(self.channel)
        return True

    def text(self) -> str:
        """Content plus embed text, as one readable block (for transcripts and assertions)."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for f in embed.get("fields", []):
                parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
            footer = embed.get("footer") or {}
            if footer.get("text"):
                parts.append(str(footer["text"]))
        parts.extend(_component_texts(self.components))
        return "\n".join(parts)

    def buttons(self) -> list[JSON]:
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    def payload(self, world: World) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [world.users[u].payload() for u in self.user_mentions if u in world.users],
            "mention_roles": [str(r) for r in self.mention_roles],
            "attachments": [world.attachment_payload(self, f) for f in self.files],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.message_type,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        guild = self.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
            member = guild.members_by_id.get(self.author.id)
            if member is not None:
                data["member"] = member.payload(with_user=False)
        if self.interaction is not None:
            data["interaction_metadata"] = self.interaction
            data["webhook_id"] = str(world.application_id)
            data["application_id"] = str(world.application_id)
        if self.reference_id is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(self.reference_id),
                "channel_id": str(self.channel.id),
            }
        if self.thread_id is not None and self.thread_id in world.channels:
            data["thread"] = world.channels[self.thread_id].payload()
        return data


@dataclass(eq=False)
class SimScheduledEvent:
    id: int
    guild: SimGuild
    name: str
    start: str
    end: str | None
    entity_type: int
    channel_id: int | None = None
    location: str | None = None
    description: str | None = None
    status: int = 1
    privacy_level: int = 2
    creator_id: int | None = None
    recurrence_rule: JSON | None = None
    subscribers: list[int] = field(default_factory=list)
    deleted: bool = False

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild.id),
            "channel_id": str(self.channel_id) if self.channel_id else None,
            "creator_id": str(self.creator_id) if self.creator_id else None,
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.start,
            "scheduled_end_time": self.end,
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": self.location} if self.location else None,
            "user_count": len(self.subscribers),
            "image": None,
            "recurrence_rule": self.recurrence_rule,
        }


class SimGuild:
    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.id = world.ids.next()
        self.name = name
        self.roles: dict[int, SimRole] = {}
        self.channel_ids: list[int] = []
        self.members_by_id: dict[int, SimMember] = {}
        self.events: dict[int, SimScheduledEvent] = {}
        self.voice_states: dict[int, int] = {}
        self.roles[self.id] = SimRole(
            self.id, self, "@everyone", perms.EVERYONE_DEFAULT, position=0
        )
        owner = world.new_user(f"{name} owner".replace(" ", "-").lower())
        self.owner_id = owner.id
        self.members_by_id[owner.id] = SimMember(self, owner)
        self.bot_role = SimRole(
            world.ids.next(),
            self,
            world.bot_user.name,
            world.bot_permissions,
            position=1,
            bot_id=world.bot_user.id,
        )
        self.roles[self.bot_role.id] = self.bot_role
        self.members_by_id[world.bot_user.id] = SimMember(
            self, world.bot_user, role_ids=[self.bot_role.id]
        )
        self._add_channel(SimChannel(world.ids.next(), TEXT, "general", world, guild=self))

    def __repr__(self) -> str:
        return f"<SimGuild {self.name!r} id={self.id}>"

    # -- lookups ---------------------------------------------------------------------------

    @property
    def everyone(self) -> SimRole:
        return self.roles[self.id]

    @property
    def members(self) -> list[SimMember]:
        return list(self.members_by_id.values())

    @property
    def owner(self) -> SimMember:
        return self.members_by_id[self.owner_id]

    @property
    def me(self) -> SimMember:
        return self.members_by_id[self.world.bot_user.id]

    @property
    def channels(self) -> list[SimChannel]:
        return [c for cid in self.channel_ids if not (c := self.world.channels[cid]).deleted]

    def channel(self, name: str) -> SimChannel:
        for channel in self.channels:
            if channel.name == name.lstrip("#"):
                return channel
        raise SimulatorError(f"{self.name} has no channel named {name!r}")

    def role(self, name: str) -> SimRole:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise SimulatorError(f"{self.name} has no role named {name!r}")

    def member(self, name: str) -> SimMember:
        for member in self.members_by_id.values():
            if member.name == name:
                return member
        raise SimulatorError(f"{self.name} has no member named {name!r}")

    @property
    def threads(self) -> list[SimChannel]:
        return [c for c in self.channels if c.is_thread]

    @property
    def scheduled_events(self) -> list[SimScheduledEvent]:
        return [e for e in self.events.values() if not e.deleted]

    # -- changes a test makes ----------------------------------------------------------------

    def add_role(
        self,
        name: str,
        *,
        mentionable: bool = False,
        color: int = 0,
        hoist: bool = False,
        permissions: int | None = None,
        **flags: bool,
    ) -> SimRole:
        """A role; permission flags use discord.py's names (`manage_guild=True`)."""
        value = permissions if permissions is not None else perms.from_flags(flags)
        role = SimRole(
            self.world.ids.next(),
            self,
            name,
            value,
            position=len(self.roles),
            mentionable=mentionable,
            color=color,
            hoist=hoist,
        )
        self.roles[role.id] = role
        self.world.emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.payload()}, self.id
        )
        return role

    def add_text_channel(
        self, name: str, *, topic: str | None = None, category: SimChannel | None = None
    ) -> SimChannel:
        return self._add_channel(
            SimChannel(
                self.world.ids.next(),
                TEXT,
                name,
                self.world,
                guild=self,
                topic=topic,
                parent_id=category.id if category else None,
            )
        )

    def add_voice_channel(self, name: str, *, category: SimChannel | None = None) -> SimChannel:
        return self._add_channel(
            SimChannel(
                self.world.ids.next(),
                VOICE,
                name,
                self.world,
                guild=self,
                parent_id=category.id if category else None,
            )
        )

    def add_category(self, name: str) -> SimChannel:
        return self._add_channel(
            SimChannel(self.world.ids.next(), CATEGORY, name, self.world, guild=self)
        )

    def add_member(
        self,
        name: str,
        *,
        roles: Iterable[SimRole] = (),
        dms_open: bool = True,
        nick: str | None = None,
        locale: str = "en-US",
    ) -> SimMember:
        """A member joins (GUILD_MEMBER_ADD reaches a connected bot with the members intent)."""
        user = self.world.user_named(name) or self.world.new_user(name, locale=locale)
        user.dms_open = dms_open
        if user.id in self.members_by_id:
            raise SimulatorError(f"{name} is already a member of {self.name}")
        member = SimMember(self, user, role_ids=[r.id for r in roles], nick=nick)
        self.members_by_id[user.id] = member
        data = member.payload()
        data["guild_id"] = str(self.id)
        self.world.emit("GUILD_MEMBER_ADD", data, self.id)
        return member

    def remove_member(self, member: SimMember) -> None:
        """The member leaves the server (GUILD_MEMBER_REMOVE)."""
        self.members_by_id.pop(member.id, None)
        self.voice_states.pop(member.id, None)
        self.world.emit(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(self.id), "user": member.user.payload()},
            self.id,
        )

    def _add_channel(self, channel: SimChannel) -> SimChannel:
        channel.position = len(self.channel_ids)
        self.world.channels[channel.id] = channel
        self.channel_ids.append(channel.id)
        if not channel.is_thread:
            self.world.emit("CHANNEL_CREATE", channel.payload(), self.id)
        return channel

    # -- payloads ----------------------------------------------------------------------------

    def payload(self, *, with_members: bool) -> JSON:
        members = self.members if with_members else [self.me]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": str(self.channel_ids[0]),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "large": False,
            "unavailable": False,
            "member_count": len(self.members_by_id),
            "joined_at": iso(self.me.joined_at),
            "members": [m.payload() for m in members],
            "channels": [c.payload() for c in self.channels if not c.is_thread],
            "threads": [c.payload() for c in self.threads if not c.archived],
            "voice_states": [self.voice_state(uid) for uid in self.voice_states],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [e.payload() for e in self.scheduled_events],
            "soundboard_sounds": [],
        }

    def voice_state(self, user_id: int, channel_id: int | None = None) -> JSON:
        if channel_id is None:
            channel_id = self.voice_states.get(user_id)
        data: JSON = {
            "guild_id": str(self.id),
            "channel_id": str(channel_id) if channel_id else None,
            "user_id": str(user_id),
            "session_id": f"voice-{user_id}",
            "deaf": False,
            "mute": False,
            "self_deaf": False,
            "self_mute": False,
            "self_video": False,
            "self_stream": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        member = self.members_by_id.get(user_id)
        if member is not None:
            data["member"] = member.payload()
        return data


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
        self.bot_user = self.new_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        self.attachment_base = ""
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
        self.emit("GUILD_CREATE", guild.payload(with_members=True), guild.id)
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
        if file.content_type:
            data["content_type"] = file.content_type
        return data

    def file_by_id(self, file_id: int) -> SimFile | None:
        for message in self.messages.values():
            for file in message.files:
                if file.id == file_id:
                    return file
        return None


def walk_components(components: Iterable[Mapping[str, Any]]) -> Iterable[JSON]:
    """Every component, depth first, through rows, containers, sections and labels."""
    for component in components:
        yield dict(component)
        children = component.get("components")
        if isinstance(children, list):
            yield from walk_components(children)
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def _component_texts(components: list[JSON]) -> list[str]:
    texts = []
    for component in walk_components(components):
        if component.get("type") == 10 and component.get("content"):
            texts.append(str(component["content"]))
    return texts
