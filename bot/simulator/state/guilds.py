"""A guild: its roles, members, channels, scheduled events and voice states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.simulator import permissions as perms
from bot.simulator.errors import SimulatorError
from bot.simulator.ids import iso
from bot.simulator.state.channels import SimChannel
from bot.simulator.state.constants import (
    CATEGORY,
    JSON,
    STAGE,
    TEXT,
    VOICE,
    VOICE_TYPES,
    checked_locale,
)
from bot.simulator.state.members import SimMember, SimRole
from bot.simulator.state.scheduled_events import (
    SimScheduledEvent,
    add_by_member,
    track_empty_channels,
)
from bot.simulator.state.voice import SimVoiceState, VoiceVisit

if TYPE_CHECKING:
    from bot.simulator.state.world import World


class SimGuild:
    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.id = world.ids.next()
        self.name = name
        self.roles: dict[int, SimRole] = {}
        self.channel_ids: list[int] = []
        self.members_by_id: dict[int, SimMember] = {}
        self.events: dict[int, SimScheduledEvent] = {}
        self.voice_states: dict[int, SimVoiceState] = {}
        # Every stay in a voice channel, oldest first, in the simulator's clock.
        self.voice_visits: list[VoiceVisit] = []
        self._locale = "en-US"
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
    def locale(self) -> str:
        """The guild's preferred locale (interactions' `guild_locale`); settable."""
        return self._locale

    @locale.setter
    def locale(self, value: str) -> None:
        self._locale = checked_locale(value)
        self.world.emit("GUILD_UPDATE", self.rest_payload(), self.id)

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
        position: int | None = None,
        **flags: bool,
    ) -> SimRole:
        """A role; permission flags use discord.py's names (`manage_guild=True`).

        By default the new role goes on top (above the bot's own role, so the bot cannot
        assign it); `position=1` puts it just above @everyone, below the bot's role, as a
        role the bot may manage. Roles at or above `position` move up one.
        """
        value = permissions if permissions is not None else perms.from_flags(flags)
        top = len(self.roles)
        if position is not None and not 1 <= position <= top:
            raise SimulatorError(f"position must be between 1 and {top}")
        role = SimRole(
            self.world.ids.next(),
            self,
            name,
            value,
            position=top if position is None else position,
            mentionable=mentionable,
            color=color,
            hoist=hoist,
        )
        for other in self.roles.values():
            if not other.is_everyone and other.position >= role.position:
                other.position += 1
                self.world.emit(
                    "GUILD_ROLE_UPDATE",
                    {"guild_id": str(self.id), "role": other.payload()},
                    self.id,
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

    def add_voice_channel(
        self, name: str, *, category: SimChannel | None = None, stage: bool = False
    ) -> SimChannel:
        """A voice channel (`stage=True`: a stage channel)."""
        return self._add_channel(
            SimChannel(
                self.world.ids.next(),
                STAGE if stage else VOICE,
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
        user = self.world.user_named(name) or self.world.new_user(
            name, locale=checked_locale(locale)
        )
        user.dms_open = dms_open
        if user.id in self.members_by_id:
            raise SimulatorError(f"{name} is already a member of {self.name}")
        member = SimMember(self, user, role_ids=[r.id for r in roles], nick=nick)
        self.members_by_id[user.id] = member
        data = member.payload()
        data["guild_id"] = str(self.id)
        self.world.emit("GUILD_MEMBER_ADD", data, self.id)
        return member

    def add_scheduled_event(
        self,
        name: str,
        *,
        start: datetime,
        end: datetime | None = None,
        channel: SimChannel | None = None,
        location: str | None = None,
        creator: SimMember | None = None,
        description: str | None = None,
    ) -> SimScheduledEvent:
        """A moderator (`creator`, default the owner) creates an event in the client: in a
        voice or stage `channel`, or somewhere else (`location`, needs `end`)."""
        return add_by_member(
            self,
            name,
            start=start,
            end=end,
            channel=channel,
            location=location,
            creator=creator or self.owner,
            description=description,
        )

    def remove_member(self, member: SimMember) -> None:
        """The member leaves the server (GUILD_MEMBER_REMOVE); out of voice first, if there."""
        if member.id in self.voice_states:
            self.disconnect_voice(member)
        self.members_by_id.pop(member.id, None)
        self.world.emit(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(self.id), "user": member.user.payload()},
            self.id,
        )

    def _add_channel(self, channel: SimChannel) -> SimChannel:
        channel.position = len(self.channel_ids)
        self.world.channels[channel.id] = channel
        self.channel_ids.append(channel.id)
        # A guild's first channels arrive inside its GUILD_CREATE, not before it.
        if not channel.is_thread and self.id in self.world.guilds:
            self.world.emit("CHANNEL_CREATE", channel.payload(), self.id)
        return channel

    # -- payloads ----------------------------------------------------------------------------

    def payload(self, *, with_presences: bool) -> JSON:
        """GUILD_CREATE's guild. Without the presences intent Discord lists only the bot and
        the members in voice; with it, everyone (the simulator's guilds are never large)."""
        if with_presences:
            members = self.members
        else:
            members = [m for m in self.members if m is self.me or m.id in self.voice_states]
        return self.rest_payload() | {
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

    def rest_payload(self, *, with_counts: bool = False) -> JSON:
        """The Guild object as `GET /guilds/{id}` returns it (no GUILD_CREATE-only fields)."""
        data: JSON = {
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
            "application_id": None,
            "system_channel_id": str(self.channel_ids[0]),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": self.locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
        }
        if with_counts:
            data["approximate_member_count"] = len(self.members_by_id)
            # Presences are not simulated: nobody counts as online.
            data["approximate_presence_count"] = 0
        return data

    # -- voice -------------------------------------------------------------------------------

    def members_in(self, channel: SimChannel) -> list[SimMember]:
        """Who is connected to the voice or stage channel."""
        return [
            self.members_by_id[uid]
            for uid, state in self.voice_states.items()
            if state.channel_id == channel.id and uid in self.members_by_id
        ]

    def connect_voice(self, member: SimMember, channel: SimChannel) -> None:
        """The member joins (or moves to) a voice/stage channel they may connect to."""
        if member.guild is not self or self.members_by_id.get(member.id) is not member:
            raise SimulatorError(f"{member.name} is not a member of {self.name}")
        if channel.guild is not self or channel.deleted or channel.type not in VOICE_TYPES:
            raise SimulatorError(f"#{channel.name} is not a voice or stage channel of {self.name}")
        needed = perms.VIEW_CHANNEL | perms.CONNECT
        if member.permissions_in(channel) & needed != needed:
            raise SimulatorError(f"{member.name} may not connect to {channel.name}")
        current = self.voice_states.get(member.id)
        if current is not None and current.channel_id == channel.id:
            return
        if current is not None:
            self._end_visit(member.id)
        now = self.world.now()
        self.voice_states[member.id] = SimVoiceState(channel.id, joined_at=now)
        self.voice_visits.append(VoiceVisit(member.id, channel.id, now))
        self.world.emit("VOICE_STATE_UPDATE", self.voice_state(member.id), self.id)
        track_empty_channels(self)

    def disconnect_voice(self, member: SimMember) -> None:
        """The member leaves voice (VOICE_STATE_UPDATE with `channel_id` null)."""
        state = self.voice_states.get(member.id)
        if state is None:
            raise SimulatorError(f"{member.name} is not in a voice channel")
        data = self.voice_state(member.id)
        data["channel_id"] = None
        del self.voice_states[member.id]
        self._end_visit(member.id)
        self.world.emit("VOICE_STATE_UPDATE", data, self.id)
        track_empty_channels(self)

    def update_voice(self, member: SimMember, **flags: bool) -> None:
        """Mute, deafen, camera, stream (`self_mute=True`, `mute=True` for a server mute...)."""
        state = self.voice_states.get(member.id)
        if state is None:
            raise SimulatorError(f"{member.name} is not in a voice channel")
        for name, value in flags.items():
            if name not in _VOICE_FLAGS:
                raise SimulatorError(f"no voice flag {name!r} (one of {sorted(_VOICE_FLAGS)})")
            setattr(state, name, bool(value))
        self.world.emit("VOICE_STATE_UPDATE", self.voice_state(member.id), self.id)

    def _end_visit(self, user_id: int) -> None:
        for index in range(len(self.voice_visits) - 1, -1, -1):
            visit = self.voice_visits[index]
            if visit.user_id == user_id and visit.left_at is None:
                self.voice_visits[index] = VoiceVisit(
                    visit.user_id, visit.channel_id, visit.joined_at, self.world.now()
                )
                return

    def voice_state(self, user_id: int) -> JSON:
        state = self.voice_states.get(user_id)
        data: JSON = {
            "guild_id": str(self.id),
            "channel_id": str(state.channel_id) if state else None,
            "user_id": str(user_id),
            "session_id": f"voice-{user_id}",
            "deaf": bool(state and state.deaf),
            "mute": bool(state and state.mute),
            "self_deaf": bool(state and state.self_deaf),
            "self_mute": bool(state and state.self_mute),
            "self_video": bool(state and state.self_video),
            "self_stream": bool(state and state.self_stream),
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        member = self.members_by_id.get(user_id)
        if member is not None:
            data["member"] = member.payload()
        return data


_VOICE_FLAGS = frozenset({"self_mute", "self_deaf", "self_video", "self_stream", "mute", "deaf"})
