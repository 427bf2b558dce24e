"""A guild: its roles, members, channels, scheduled events and voice states."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.simulator import permissions as perms
from bot.simulator.errors import SimulatorError
from bot.simulator.ids import iso
from bot.simulator.state.channels import SimChannel
from bot.simulator.state.constants import CATEGORY, JSON, TEXT, VOICE
from bot.simulator.state.members import SimMember, SimRole

if TYPE_CHECKING:
    from bot.simulator.state.scheduled_events import SimScheduledEvent
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
            # Required (nullable) in the Guild structure; hikari reads them unconditionally.
            "application_id": None,
            "safety_alerts_channel_id": None,
            "incidents_data": None,
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
