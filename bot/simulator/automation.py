"""What Discord does on its own as time passes, applied by `Simulator.advance`.

Scheduled events (Discord's "Guild Scheduled Event Status Update Automation"):

* an EXTERNAL event goes ACTIVE at its `scheduled_start_time` and COMPLETED at its
  `scheduled_end_time`;
* an ACTIVE VOICE or STAGE_INSTANCE event whose channel has had nobody in it "for a certain
  period of time (on the order of minutes)" is COMPLETED: here `empty_channel_grace`, 5 minutes;
* any event still SCHEDULED "after a certain time interval (on the order of hours) beyond its
  scheduled_start_time" is CANCELED: here `unstarted_cancel_after`, 4 hours.

Threads "automatically archive after a period of inactivity": `auto_archive_duration` minutes
after the last activity (created, a message sent, unarchived, the duration changed).

Each change is announced like Discord does (GUILD_SCHEDULED_EVENT_UPDATE, THREAD_UPDATE).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.simulator.state import SimChannel, SimGuild, SimMessage, SimScheduledEvent, World
from bot.simulator.state.scheduled_events import (
    ACTIVE,
    CANCELED,
    COMPLETED,
    EXTERNAL,
    SCHEDULED,
    track_empty_channels,
)


@dataclass
class _Due:
    at: datetime
    apply: str  # what happens: "active", "completed", "canceled", "archive"
    event: SimScheduledEvent | None = None
    thread: SimChannel | None = None


class Automation:
    def __init__(
        self,
        world: World,
        *,
        empty_channel_grace: timedelta = timedelta(minutes=5),
        unstarted_cancel_after: timedelta = timedelta(hours=4),
    ) -> None:
        self.world = world
        self.empty_channel_grace = empty_channel_grace
        self.unstarted_cancel_after = unstarted_cancel_after
        world.on_message(self._message_activity)

    def next_due(self) -> datetime | None:
        """The earliest instant at which something changes by itself, if any."""
        self.sync_voice()
        return min((due.at for due in self._pending()), default=None)

    def run_due(self) -> int:
        """Apply everything due at the world's current time; returns how many changes."""
        self.sync_voice()
        now = self.world.now()
        applied = 0
        for due in sorted(self._pending(), key=lambda d: d.at):
            if due.at > now:
                continue
            if due.event is not None:
                status = {"active": ACTIVE, "completed": COMPLETED, "canceled": CANCELED}
                due.event.set_status(status[due.apply])
                if due.apply == "active":
                    # An external event that started late may be past its end already.
                    self.sync_voice()
            elif due.thread is not None:
                due.thread.archive(now)
            applied += 1
        # One transition can make the next due at once (late external start, then its end).
        if applied and any(d.at <= now for d in self._pending()):
            applied += self.run_due()
        return applied

    def sync_voice(self) -> None:
        for guild in self.world.guilds.values():
            track_empty_channels(guild)

    def _pending(self) -> Iterator[_Due]:
        for guild in self.world.guilds.values():
            yield from self._event_changes(guild)
            for thread in guild.threads:
                if not thread.archived and thread.last_activity is not None:
                    idle = timedelta(minutes=thread.auto_archive_duration)
                    yield _Due(thread.last_activity + idle, "archive", thread=thread)

    def _event_changes(self, guild: SimGuild) -> Iterator[_Due]:
        for event in guild.scheduled_events:
            if event.entity_type == EXTERNAL:
                ends_at = event.ends_at
                if event.status == SCHEDULED:
                    yield _Due(event.starts_at, "active", event=event)
                elif event.status == ACTIVE and ends_at is not None:
                    yield _Due(ends_at, "completed", event=event)
            elif event.status == SCHEDULED:
                yield _Due(event.starts_at + self.unstarted_cancel_after, "canceled", event=event)
            elif event.status == ACTIVE and event.empty_since is not None:
                yield _Due(event.empty_since + self.empty_channel_grace, "completed", event=event)

    def _message_activity(self, message: SimMessage) -> None:
        """A new message in a thread is activity; edits and deletions are not."""
        thread = message.channel
        if not thread.is_thread or message.deleted or message.ephemeral:
            return
        if message.id > thread.last_activity_message_id:
            thread.last_activity_message_id = message.id
            thread.last_activity = self.world.now()
