"""Who is there: users, guild members and roles (and what a member may see and do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.simulator import permissions as perms
from bot.simulator.ids import iso, real_now
from bot.simulator.state.constants import JSON, PRIVATE_THREAD, checked_locale

if TYPE_CHECKING:
    from bot.simulator.state.channels import SimChannel
    from bot.simulator.state.guilds import SimGuild


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
    def locale(self) -> str:
        """The member's client language (interactions' `locale`); settable."""
        return self.user.locale

    @locale.setter
    def locale(self, value: str) -> None:
        self.user.locale = checked_locale(value)

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


def user_of(who: SimMember | SimUser) -> SimUser:
    """The user behind a member (or the user itself)."""
    return who.user if isinstance(who, SimMember) else who
