"""Discord's scheduled event mirroring a meeting's next occurrence.

One event per meeting at a time, for the occurrence Steady has planned. An event for an
occurrence that has not started yet is edited when the meeting moves; once its occurrence has
started (Discord may have made it active or completed, and a finished event cannot be edited),
it is deleted and a new one is made for the next occurrence. Every call goes through the outbox
(bot/delivery/operations.py), committed with the change that calls for it.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import Meeting, MeetingSettings
from bot.db.models.outbox import PENDING, SENT, WAITING, OutboxMessage
from bot.delivery import operations as ops
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain.meeting_attendance import DEFAULT_PRESENCE_MINUTES
from bot.services.meetings import messages

EVENT_PURPOSE = "meeting.event"
NOTE_PURPOSE = "meeting.permission_note"
STAGE_EVENT = 1
MAX_EVENT_DESCRIPTION = 1000


async def _existing(session: AsyncSession, meeting: Meeting) -> tuple[str, int] | None:
    """How to name the meeting's event in an operation: ("id", its id) once made, ("on", the
    creating row) while it is being made, None when there is none (or it could not be made)."""
    if meeting.event_id is not None:
        return ("id", meeting.event_id)
    if meeting.event_outbox_id is None:
        return None
    row = await session.get(OutboxMessage, meeting.event_outbox_id)
    if row is None:
        return None
    if row.state == SENT and row.external_id is not None:
        meeting.event_id = row.external_id
        return ("id", row.external_id)
    if row.state in (PENDING, WAITING):
        return ("on", row.id)
    return None


async def _perform(
    session: AsyncSession, meeting: Meeting, operation: ops.Operation, name: tuple[str, int]
) -> None:
    how, value = name
    # The creating row may have failed meanwhile: then there is no event to act on.
    with contextlib.suppress(LookupError):
        await ops.perform(
            session,
            operation,
            purpose=EVENT_PURPOSE,
            guild_id=meeting.guild_id,
            subject_id=meeting.id,
            on=value if how == "on" else None,
            thing_id=value if how == "id" else None,
        )


def _create(meeting: Meeting, start: datetime, end: datetime) -> ops.Operation:
    description = (meeting.description or "")[:MAX_EVENT_DESCRIPTION] or None
    if meeting.voice_channel_id is not None:
        operation = ops.create_event(
            name=meeting.title,
            start=start,
            end=end,
            channel_id=meeting.voice_channel_id,
            description=description,
        )
        if meeting.voice_is_stage:
            operation.params["entity_type"] = STAGE_EVENT
        return operation
    return ops.create_event(
        name=meeting.title,
        start=start,
        end=end,
        location=meeting.location or "To be announced",
        description=description,
    )


async def mirror(
    session: AsyncSession,
    meeting: Meeting,
    occurrence: datetime | None,
    now: datetime,
    *,
    recreate: bool = False,
) -> None:
    """Make Discord's event show `occurrence` (None: remove it). `recreate` when where the
    meeting happens changed (an event's voice channel or kind cannot be edited)."""
    existing = await _existing(session, meeting)
    if occurrence is not None and existing is not None and not recreate:
        if meeting.event_start == occurrence:
            return
        if meeting.event_start is not None and meeting.event_start > now:
            end = occurrence + timedelta(minutes=meeting.duration_minutes)
            edit = ops.edit_event(
                name=meeting.title,
                start=occurrence,
                end=end,
                location=meeting.location if meeting.voice_channel_id is None else None,
                description=meeting.description or None,
            )
            await _perform(session, meeting, edit, existing)
            meeting.event_start = occurrence
            return
    if existing is not None:
        await _perform(session, meeting, ops.delete_event(), existing)
    meeting.event_id = meeting.event_outbox_id = meeting.event_start = None
    if occurrence is None:
        return
    end = occurrence + timedelta(minutes=meeting.duration_minutes)
    meeting.event_outbox_id = await ops.perform(
        session,
        _create(meeting, occurrence, end),
        purpose=EVENT_PURPOSE,
        guild_id=meeting.guild_id,
        subject_id=meeting.id,
    )
    meeting.event_start = occurrence


async def event_made(session: AsyncSession, done: ops.Completed) -> None:
    """Store a new event's id on its meeting (unless the meeting moved on to another)."""
    if done.operation != ops.EVENT_CREATE or done.subject_id is None:
        return
    await session.execute(
        update(Meeting)
        .where(Meeting.id == done.subject_id, Meeting.event_outbox_id == done.outbox_id)
        .values(event_id=done.external_id)
        .execution_options(synchronize_session=False)
    )


async def event_failed(session: AsyncSession, subject_id: int | None, reason: str) -> None:
    """An event operation Discord refused: without Create Events the meeting still works, and
    the moderator who made it is told once per server what to grant."""
    if subject_id is None or "403" not in reason:
        return
    meeting = await session.get(Meeting, subject_id)
    if meeting is None:
        return
    settings = await session.get(MeetingSettings, meeting.guild_id, with_for_update=True)
    if settings is None:
        settings = MeetingSettings(
            guild_id=meeting.guild_id, min_presence_minutes=DEFAULT_PRESENCE_MINUTES
        )
        session.add(settings)
    elif settings.event_permission_told:
        return
    settings.event_permission_told = True
    await session.flush()
    fallback = Target("channel", meeting.channel_id) if meeting.channel_id is not None else None
    await outbox.enqueue(
        session,
        target=Target("dm", meeting.created_by),
        message=messages.missing_event_permission(meeting),
        purpose=NOTE_PURPOSE,
        subject_id=meeting.id,
        guild_id=meeting.guild_id,
        fallback=fallback,
    )
