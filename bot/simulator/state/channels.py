"""Channels: guild text, voice and category channels, threads, and DM channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.simulator import permissions as perms
from bot.simulator.errors import SimulatorError
from bot.simulator.ids import iso, real_now, snowflake_time
from bot.simulator.state.constants import DM, JSON, TEXT, THREAD_TYPES, VOICE_TYPES
from bot.simulator.state.members import SimMember, SimRole, SimUser

if TYPE_CHECKING:
    from bot.simulator.state.guilds import SimGuild
    from bot.simulator.state.messages import SimMessage
    from bot.simulator.state.world import World


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
    # Last activity (start, a new message, unarchiving, a new auto-archive duration) and
    # the last archive change, in the simulator's clock; `advance` archives idle threads.
    last_activity: datetime | None = None
    last_activity_message_id: int = 0
    archive_changed_at: datetime | None = None
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

    def archive(self, now: datetime) -> None:
        """Archived, as Discord does after inactivity (THREAD_UPDATE)."""
        self.archived = True
        self.archive_changed_at = now
        self._thread_updated()

    def unarchive(self, now: datetime) -> None:
        """Active again; unarchiving counts as activity, so the idle timer restarts."""
        self.archived = False
        self.archive_changed_at = now
        self.last_activity = now
        self._thread_updated()

    def _thread_updated(self) -> None:
        assert self.guild is not None
        self.world.emit("THREAD_UPDATE", self.payload(), self.guild.id)

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
                    "archive_timestamp": iso(self.archive_changed_at or snowflake_time(self.id)),
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
        elif self.type in VOICE_TYPES:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, video_quality_mode=1)
        return data

    def last_message_id(self) -> str | None:
        messages = self.messages
        return str(messages[-1].id) if messages else None

    def add_member(self, user_id: int) -> None:
        """Someone joins or is added to the thread (THREAD_MEMBERS_UPDATE)."""
        assert self.guild is not None
        if user_id in self.thread_members:
            return
        self.thread_members[user_id] = real_now()
        added = self.thread_member_payload(user_id)
        member = self.guild.members_by_id.get(user_id)
        if member is not None:
            added["member"] = member.payload()
        self._members_update({"added_members": [added]})

    def remove_member(self, user_id: int) -> None:
        """Someone leaves or is removed from the thread (THREAD_MEMBERS_UPDATE)."""
        if self.thread_members.pop(user_id, None) is not None:
            self._members_update({"removed_member_ids": [str(user_id)]})

    def _members_update(self, change: JSON) -> None:
        assert self.guild is not None
        data: JSON = {
            "id": str(self.id),
            "guild_id": str(self.guild.id),
            "member_count": min(len(self.thread_members), 50),
            **change,
        }
        self.world.emit("THREAD_MEMBERS_UPDATE", data, self.guild.id)

    def thread_member_payload(self, user_id: int) -> JSON:
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": iso(self.thread_members.get(user_id, real_now())),
            "flags": 0,
        }
