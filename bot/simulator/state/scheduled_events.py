"""Guild scheduled events, who is interested in them, and their status over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.simulator import permissions as perms
from bot.simulator.errors import SimulatorError
from bot.simulator.ids import iso
from bot.simulator.state.constants import JSON, STAGE, VOICE

if TYPE_CHECKING:
    from bot.simulator.state.channels import SimChannel
    from bot.simulator.state.guilds import SimGuild
    from bot.simulator.state.members import SimMember

# Entity types and statuses as Discord numbers them.
STAGE_INSTANCE, VOICE_EVENT, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
FINISHED = (COMPLETED, CANCELED)
# SCHEDULED -> ACTIVE or CANCELED, ACTIVE -> COMPLETED; finished events never change again.
TRANSITIONS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}}


@dataclass(eq=False)
class SimScheduledEvent:
    id: int
    guild: SimGuild
    name: str
    start_time: str  # scheduled_start_time / scheduled_end_time, as sent (ISO 8601)
    end_time: str | None
    entity_type: int
    channel_id: int | None = None
    location: str | None = None
    description: str | None = None
    status: int = SCHEDULED
    privacy_level: int = 2
    creator_id: int | None = None
    recurrence_rule: JSON | None = None
    subscribers: list[int] = field(default_factory=list)
    deleted: bool = False
    # Since when the event's voice or stage channel has had nobody in it while ACTIVE (in the
    # simulator's clock); Discord completes such an event a few minutes later.
    empty_since: datetime | None = None

    @property
    def starts_at(self) -> datetime:
        return datetime.fromisoformat(self.start_time)

    @property
    def ends_at(self) -> datetime | None:
        return datetime.fromisoformat(self.end_time) if self.end_time else None

    @property
    def in_channel(self) -> bool:
        return self.entity_type in (STAGE_INSTANCE, VOICE_EVENT)

    def payload(self, *, with_user_count: bool = False) -> JSON:
        """The event object; `user_count` only where Discord sends it (`with_user_count`)."""
        data: JSON = {
            "id": str(self.id),
            "guild_id": str(self.guild.id),
            "channel_id": str(self.channel_id) if self.channel_id else None,
            "creator_id": str(self.creator_id) if self.creator_id else None,
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.start_time,
            "scheduled_end_time": self.end_time,
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": self.location} if self.location else None,
            "image": None,
            "recurrence_rule": self.recurrence_rule,
        }
        creator = self.guild.world.users.get(self.creator_id) if self.creator_id else None
        if creator is not None:
            data["creator"] = creator.payload()
        if with_user_count:
            data["user_count"] = len(self.subscribers)
        return data

    # -- what a moderator does by hand in the client -------------------------------------------

    def start(self) -> None:
        """A moderator's "Start event": SCHEDULED -> ACTIVE (GUILD_SCHEDULED_EVENT_UPDATE)."""
        self.set_status(ACTIVE)

    def end(self) -> None:
        """A moderator's "End event" (ACTIVE -> COMPLETED); "Cancel event" if never started."""
        self.set_status(COMPLETED if self.status == ACTIVE else CANCELED)

    def cancel(self) -> None:
        self.set_status(CANCELED)

    def set_status(self, status: int) -> None:
        """Apply one of Discord's status transitions and announce it."""
        if self.deleted:
            raise SimulatorError(f"the event {self.name!r} was deleted")
        if status not in TRANSITIONS.get(self.status, set()):
            raise SimulatorError(
                f"the event {self.name!r} cannot go from status {self.status} to {status}"
            )
        self.status = status
        self.empty_since = None
        track_empty_channels(self.guild)
        self.guild.world.emit("GUILD_SCHEDULED_EVENT_UPDATE", self.payload(), self.guild.id)


def track_empty_channels(guild: SimGuild) -> None:
    """Note when an ACTIVE voice/stage event's channel became empty (or stopped being), in
    the simulator's clock; called on every voice change and before automation runs."""
    now = guild.world.now()
    for event in guild.scheduled_events:
        if event.status != ACTIVE or not event.in_channel or event.channel_id is None:
            continue
        channel = guild.world.channels.get(event.channel_id)
        if channel is not None and guild.members_in(channel):
            event.empty_since = None
        elif event.empty_since is None:
            event.empty_since = now


def add_by_member(
    guild: SimGuild,
    name: str,
    *,
    start: datetime,
    end: datetime | None,
    channel: SimChannel | None,
    location: str | None,
    creator: SimMember,
    description: str | None,
) -> SimScheduledEvent:
    """What "Create Event" in the client does, with the permissions Discord asks of `creator`."""
    if creator.guild is not guild:
        raise SimulatorError(f"{creator.name} is not a member of {guild.name}")
    if (channel is None) == (location is None):
        raise SimulatorError("an event takes either a voice/stage channel or a location")
    if start.tzinfo is None or (end is not None and end.tzinfo is None):
        raise SimulatorError("event times must be timezone-aware")
    if start <= guild.world.now():
        raise SimulatorError("an event cannot start in the past")
    if end is not None and end <= start:
        raise SimulatorError("an event cannot end before it starts")
    if not creator.permissions & perms.CREATE_EVENTS:
        raise SimulatorError(f"{creator.name} lacks Create Events")
    if channel is not None:
        if channel.guild is not guild or channel.type not in (VOICE, STAGE):
            raise SimulatorError("an event's channel must be a voice or stage channel here")
        needed = perms.VIEW_CHANNEL | perms.CONNECT
        if creator.permissions_in(channel) & needed != needed:
            raise SimulatorError(f"{creator.name} cannot connect to {channel.name}")
        entity_type = STAGE_INSTANCE if channel.type == STAGE else VOICE_EVENT
    else:
        if end is None:
            raise SimulatorError("an event somewhere else needs an end time")
        entity_type = EXTERNAL
    event = SimScheduledEvent(
        id=guild.world.ids.next(),
        guild=guild,
        name=name,
        start_time=iso(start),
        end_time=iso(end) if end is not None else None,
        entity_type=entity_type,
        channel_id=channel.id if channel is not None else None,
        location=location,
        description=description,
        creator_id=creator.id,
    )
    guild.events[event.id] = event
    guild.world.emit("GUILD_SCHEDULED_EVENT_CREATE", event.payload(), guild.id)
    return event
