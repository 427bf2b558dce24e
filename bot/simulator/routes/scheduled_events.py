"""Guild scheduled events: list, create, edit (with status transitions), delete, interested users.

Validation follows Discord's entity rules; a start in the past is judged by the bot's business
clock (`business_now`), not the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.limits import FormErrors, FormErrorsOf
from bot.simulator.routes.base import (
    BOT,
    NO_CONTENT,
    Call,
    Reply,
    Route,
    RouteGroup,
    ok,
)
from bot.simulator.state import JSON, VOICE, SimGuild, SimScheduledEvent, World


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


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
