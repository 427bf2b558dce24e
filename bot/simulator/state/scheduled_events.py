"""Guild scheduled events and who is interested in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.simulator.state.constants import JSON

if TYPE_CHECKING:
    from bot.simulator.state.guilds import SimGuild


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
