"""Discord operations other than messages, through the outbox's guarantees (no discord import).

Threads and scheduled events are created, changed and removed by outbox rows, committed with
the change that calls for them, retried like messages, and reported to the feature when done
(`on_completed`: the new thread's or event's id, to store in the feature's own tables). An
operation on something another row creates (`on=` that row's id) waits until it exists.

These calls have no nonce: a create whose answer was lost is looked for before it is made
again (the bot's own thread with that name under that channel, or its own event with that name
and start, made since the first uncertain attempt), so a retry never makes a second one. Deletes
of something already gone count as done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.outbox import NORMAL, PENDING, SENT, WAITING, OutboxMessage
from bot.delivery import chains
from bot.delivery.outbox import AS_SOON_AS_POSSIBLE, check_row
from bot.scheduling import wake

THREAD_CREATE = "thread.create"
THREAD_EDIT = "thread.edit"
THREAD_ADD_MEMBER = "thread.add_member"
THREAD_DELETE = "thread.delete"
EVENT_CREATE = "event.create"
EVENT_EDIT = "event.edit"
EVENT_DELETE = "event.delete"
CREATES = frozenset({THREAD_CREATE, EVENT_CREATE})
ON_THREAD = frozenset({THREAD_EDIT, THREAD_ADD_MEMBER, THREAD_DELETE})
ON_EVENT = frozenset({EVENT_EDIT, EVENT_DELETE})

PRIVATE_THREAD = 12
PUBLIC_THREAD = 11
EXTERNAL_EVENT = 3
VOICE_EVENT = 2
GUILD_ONLY = 2


@dataclass(frozen=True)
class Operation:
    """One Discord call: `name` (see the constants) and its JSON parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


def create_thread(
    channel_id: int,
    name: str,
    *,
    private: bool = True,
    invitable: bool = False,
    auto_archive_minutes: int = 10080,
) -> Operation:
    """A thread under `channel_id`: private by default, members added only by Steady."""
    if not 1 <= len(name) <= 100:
        raise ValueError("a thread name has 1 to 100 characters")
    params: dict[str, Any] = {
        "channel_id": channel_id,
        "name": name,
        "type": PRIVATE_THREAD if private else PUBLIC_THREAD,
        "auto_archive_duration": auto_archive_minutes,
    }
    if private:
        params["invitable"] = invitable
    return Operation(THREAD_CREATE, params)


def edit_thread(
    *, name: str | None = None, archived: bool | None = None, locked: bool | None = None
) -> Operation:
    """Rename, archive or lock a thread (what is None stays as it is)."""
    changes = {"name": name, "archived": archived, "locked": locked}
    params = {k: v for k, v in changes.items() if v is not None}
    if not params:
        raise ValueError("say what changes")
    return Operation(THREAD_EDIT, params)


def add_thread_member(user_id: int) -> Operation:
    return Operation(THREAD_ADD_MEMBER, {"user_id": user_id})


def delete_thread() -> Operation:
    return Operation(THREAD_DELETE)


def _instant(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("event times must be timezone-aware")
    return value.astimezone(UTC).isoformat()


def create_event(
    *,
    name: str,
    start: datetime,
    end: datetime | None = None,
    location: str | None = None,
    channel_id: int | None = None,
    description: str | None = None,
) -> Operation:
    """A scheduled event: somewhere outside Discord (`location`, needs `end`) or in a voice
    channel (`channel_id`)."""
    if (location is None) == (channel_id is None):
        raise ValueError("an event is at a location or in a voice channel")
    params: dict[str, Any] = {
        "name": name,
        "privacy_level": GUILD_ONLY,
        "scheduled_start_time": _instant(start),
        "entity_type": EXTERNAL_EVENT if location is not None else VOICE_EVENT,
    }
    if end is not None:
        params["scheduled_end_time"] = _instant(end)
    if location is not None:
        params["entity_metadata"] = {"location": location}
    if channel_id is not None:
        params["channel_id"] = str(channel_id)
    if description is not None:
        params["description"] = description
    return Operation(EVENT_CREATE, params)


def edit_event(
    *,
    name: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    location: str | None = None,
    description: str | None = None,
    status: int | None = None,
) -> Operation:
    """Move or change an event (what is None stays as it is)."""
    params: dict[str, Any] = {}
    if name is not None:
        params["name"] = name
    if start is not None:
        params["scheduled_start_time"] = _instant(start)
    if end is not None:
        params["scheduled_end_time"] = _instant(end)
    if location is not None:
        params["entity_metadata"] = {"location": location}
    if description is not None:
        params["description"] = description
    if status is not None:
        params["status"] = status
    if not params:
        raise ValueError("say what changes")
    return Operation(EVENT_EDIT, params)


def delete_event() -> Operation:
    return Operation(EVENT_DELETE)


@dataclass(frozen=True)
class Completed:
    """A row done: a message sent or edited, or an operation carried out."""

    outbox_id: int
    operation: str  # "send", "edit" or an operation name
    subject_id: int | None
    # The message's id for a send or an edit; the thread's or event's for an operation.
    external_id: int
    # Cancelled while its send was under way, and it arrived all the same: the feature can
    # edit (outbox.edit) or remove what it made, now that it knows the copy exists.
    despite_cancel: bool = False


CompletionHandler = Callable[[AsyncSession, Completed], Awaitable[None]]
_completion_handlers: dict[str, CompletionHandler] = {}


def on_completed(purpose: str, handler: CompletionHandler) -> None:
    """Call `handler(session, completed)`, in the transaction that records it, when a `purpose`
    row is done (e.g. store a new thread's id on the pair it was made for)."""
    _completion_handlers[purpose] = handler


def completion_handler(purpose: str) -> CompletionHandler | None:
    return _completion_handlers.get(purpose)


async def perform(
    session: AsyncSession,
    operation: Operation,
    *,
    purpose: str,
    guild_id: int,
    subject_id: int | None = None,
    on: int | None = None,
    thing_id: int | None = None,
    priority: int = NORMAL,
    not_before: datetime | None = None,
) -> int:
    """Queue `operation` in the caller's transaction; its outbox id.

    A create needs neither `on` nor `thing_id`. An operation on a thread or an event names it:
    `thing_id` when its Discord id is known, or `on=` the outbox id of the row creating it (it
    waits until that row is done; if that row fails, it is dropped).
    """
    check_row(purpose, not_before, priority)
    name = operation.name
    if name not in CREATES | ON_THREAD | ON_EVENT:
        raise ValueError(f"unknown operation {name!r}")
    if name in CREATES and (on is not None or thing_id is not None):
        raise ValueError("a create acts on nothing that exists yet")
    if name not in CREATES and (on is None) == (thing_id is None):
        raise ValueError("name what the operation acts on: on= a row, or thing_id=")
    state = PENDING
    if on is not None:
        creator = await session.get(OutboxMessage, on, with_for_update=True)
        if creator is None or creator.operation not in CREATES:
            raise LookupError(f"outbox row {on} creates nothing (or is gone)")
        if (name in ON_THREAD) != (creator.operation == THREAD_CREATE):
            raise ValueError("a thread operation acts on a thread, an event operation on an event")
        if creator.state == SENT and creator.external_id is not None:
            thing_id, on = creator.external_id, None
        elif creator.state not in (PENDING, WAITING):
            raise LookupError(f"outbox row {on} failed: there is nothing to act on")
        else:
            state = WAITING
    if name not in CREATES:
        # Behind the thing's unfinished operations, or merged into the edit right ahead.
        placed, merged = await chains.queue_behind(
            session, name, dict(operation.params), thing_id, on
        )
        if merged is not None:
            return merged
        if placed == "wait":
            state = WAITING
    if name == THREAD_CREATE:
        target_kind, target_id = "channel", int(operation.params["channel_id"])
    elif name in ON_THREAD:
        target_kind, target_id = "channel", thing_id or 0
    else:
        target_kind, target_id = "guild", guild_id
    row = OutboxMessage(
        purpose=purpose,
        operation=name,
        priority=priority,
        ref_id=on,
        subject_id=subject_id,
        guild_id=guild_id,
        target_kind=target_kind,
        target_id=target_id,
        external_id=thing_id if name in ON_EVENT else None,
        public=False,
        payload=dict(operation.params),
        state=state,
        attempts=0,
        next_attempt_at=not_before or AS_SOON_AS_POSSIBLE,
    )
    session.add(row)
    await session.flush()
    if state == PENDING:
        wake.note(session, not_before)
    return row.id
