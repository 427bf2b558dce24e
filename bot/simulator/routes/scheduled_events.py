"""Guild scheduled events: list, create, edit (with status transitions), delete, interested users.

Validation follows Discord's entity rules and its "Guild Scheduled Event Permissions
Requirements"; a start in the past is judged by the bot's business clock (`business_now`), not
the wall clock. `recurrence_rule` is checked as `recurrence.py` describes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.limits import FormErrors, FormErrorsOf
from bot.simulator.recurrence import check_recurrence_rule
from bot.simulator.routes.base import (
    BOT,
    NO_CONTENT,
    Call,
    Reply,
    Route,
    RouteGroup,
    ok,
    query_int,
)
from bot.simulator.state import JSON, VOICE, SimChannel, SimGuild, SimScheduledEvent, World
from bot.simulator.state.constants import STAGE
from bot.simulator.state.scheduled_events import (
    EXTERNAL,
    FINISHED,
    STAGE_INSTANCE,
    TRANSITIONS,
    VOICE_EVENT,
    track_empty_channels,
)

FINISHED_EVENT = 180000
# What the bot needs in the event's channel, besides Create/Manage Events (Discord's table).
_CHANNEL_NEEDS = {
    STAGE_INSTANCE: perms.MANAGE_CHANNELS | perms.MUTE_MEMBERS | perms.MOVE_MEMBERS,
    VOICE_EVENT: perms.VIEW_CHANNEL | perms.CONNECT,
}


class ScheduledEventRoutes(RouteGroup):
    def __init__(self, world: World, *, business_now: Callable[[], datetime | None]) -> None:
        super().__init__(world)
        self._business_now = business_now

    def routes(self) -> list[Route]:
        events = "/guilds/{guild_id}/scheduled-events"
        event = events + "/{guild_scheduled_event_id}"
        return [
            ("GET", events, self.list_events, BOT),
            ("POST", events, self.create_event, BOT),
            ("GET", event, self.get_event, BOT),
            ("PATCH", event, self.patch_event, BOT),
            ("DELETE", event, self.delete_event, BOT),
            ("GET", event + "/users", self.event_users, BOT),
        ]

    def _event(self, call: Call, guild: SimGuild) -> SimScheduledEvent:
        event = guild.events.get(call.int("guild_scheduled_event_id"))
        if event is None or event.deleted:
            raise err.unknown("Guild Scheduled Event", err.UNKNOWN_EVENT)
        return event

    # -- permissions ---------------------------------------------------------------------------

    def _channel_of(self, event: SimScheduledEvent) -> SimChannel | None:
        return self.world.channels.get(event.channel_id) if event.channel_id else None

    def _visible(self, event: SimScheduledEvent) -> bool:
        """Get permissions: View Channel in the event's channel (none for external events)."""
        channel = self._channel_of(event)
        return channel is None or self._me(event.guild).can_see(channel)

    def _require_event(
        self, guild: SimGuild, entity_type: int, channel_id: int | None, events_bit: int
    ) -> None:
        """`events_bit` (Create or Manage Events) plus what the entity type needs, computed in
        the event's channel for voice and stage events, else at guild level."""
        channel = self.world.channels.get(channel_id) if channel_id else None
        me = self._me(guild)
        have = me.permissions_in(channel) if channel is not None else me.permissions
        needed = _CHANNEL_NEEDS.get(entity_type, 0) if channel is not None else 0
        if not have & events_bit or have & needed != needed:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")

    def _require_change(self, guild: SimGuild, event: SimScheduledEvent, fields: JSON) -> None:
        """Modify/Delete: Manage Events, or Create Events for an event the bot created; the
        channel rules apply to the channel it is in and to the one it moves to."""
        mine = event.creator_id == self.world.bot_user.id
        bit = perms.MANAGE_EVENTS | (perms.CREATE_EVENTS if mine else 0)
        self._require_event(guild, event.entity_type, event.channel_id, bit)
        if fields:
            self._require_event(guild, fields["entity_type"], fields["channel_id"], bit)

    # -- routes ------------------------------------------------------------------------------

    async def list_events(self, call: Call) -> Reply:
        counts = call.flag("with_user_count")
        events = [e for e in self._guild(call).scheduled_events if self._visible(e)]
        return ok([e.payload(with_user_count=counts) for e in events])

    async def get_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        event = self._event(call, guild)
        if not self._visible(event):
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        return ok(event.payload(with_user_count=call.flag("with_user_count")))

    async def create_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        body = call.body
        fields = self._event_fields(guild, body, None)
        self._require_event(guild, fields["entity_type"], fields["channel_id"], perms.CREATE_EVENTS)
        event = SimScheduledEvent(
            id=self.world.ids.next(), guild=guild, creator_id=self.world.bot_user.id, **fields
        )
        guild.events[event.id] = event
        self.world.emit("GUILD_SCHEDULED_EVENT_CREATE", event.payload(), guild.id)
        return ok(event.payload())

    async def patch_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        event = self._event(call, guild)
        self._require_change(guild, event, {})
        if event.status in FINISHED:
            raise ApiError(400, FINISHED_EVENT, "Cannot update a finished event")
        fields = self._event_fields(guild, call.body, event)
        self._require_change(guild, event, fields)
        status = call.body.get("status")
        if status is not None and int(status) != event.status:
            if int(status) not in TRANSITIONS.get(event.status, set()):
                raise FormErrorsOf(
                    "status",
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Cannot change status from {event.status} to {status}",
                )
            fields["status"] = int(status)
            event.empty_since = None
        for key, value in fields.items():
            setattr(event, key, value)
        track_empty_channels(guild)  # a started voice event may already be empty
        self.world.emit("GUILD_SCHEDULED_EVENT_UPDATE", event.payload(), guild.id)
        return ok(event.payload())

    async def delete_event(self, call: Call) -> Reply:
        guild = self._guild(call)
        event = self._event(call, guild)
        self._require_change(guild, event, {})
        event.deleted = True
        self.world.emit("GUILD_SCHEDULED_EVENT_DELETE", event.payload(), guild.id)
        return NO_CONTENT

    async def event_users(self, call: Call) -> Reply:
        """Ascending by user id; `limit` 1-100 (default 100); `before` wins over `after`."""
        guild = self._guild(call)
        event = self._event(call, guild)
        errors = FormErrors()
        limit = query_int(errors, call, "limit", 100, low=1, high=100)
        before = query_int(errors, call, "before", 0, low=0, high=None)
        after = query_int(errors, call, "after", 0, low=0, high=None)
        errors.raise_if_any()
        ids = sorted(event.subscribers)
        if before:
            # The `limit` users just below `before`, still in ascending order.
            ids = [u for u in ids if u < before][-limit:]
        else:
            ids = [u for u in ids if u > after][:limit]
        users = []
        for user_id in ids:
            entry: JSON = {
                "guild_scheduled_event_id": str(event.id),
                "user": self.world.users[user_id].payload(),
            }
            member = guild.members_by_id.get(user_id)
            if member is not None and call.flag("with_member"):
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
        start_raw = pick("scheduled_start_time", current.start_time if current else None)
        end_raw = pick("scheduled_end_time", current.end_time if current else None)
        if entity_type not in (1, 2, 3):
            errors.add(("entity_type",), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        if int(pick("privacy_level", 2) or 2) != 2:
            errors.add(("privacy_level",), "BASE_TYPE_CHOICES", "Value must be one of {2}.")
        if entity_type == EXTERNAL:
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
            wanted = STAGE if entity_type == STAGE_INSTANCE else VOICE
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
        if "recurrence_rule" in body:
            check_recurrence_rule(errors, body["recurrence_rule"])
        errors.raise_if_any()
        fields.update(
            name=name,
            description=description,
            entity_type=entity_type,
            location=location,
            channel_id=int(channel_id) if channel_id else None,
            start_time=start_raw,
            end_time=end_raw,
        )
        if "recurrence_rule" in body:
            fields["recurrence_rule"] = body["recurrence_rule"]
        return fields


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
