"""Writing messages to the outbox, inside the transaction of the state change that causes them.

Nothing here talks to Discord: the dispatcher sends committed rows later, retrying until they
are delivered or known to be undeliverable. What a feature can ask for:

- `enqueue`: send a message (to a channel or a member's DMs, with a fallback), in the normal
  lane or the urgent one (`priority=URGENT`: support alerts; a bulk wave delays it by at most
  the urgent lane's poll and a request slot, and due work runs beside it);
- `edit`: change a message sent (or still to be sent) through the outbox, applied after its
  send; several edits waiting for one message are coalesced into the latest;
- `replace`: change a message not sent yet in place, or else edit it once sent;
- `cancel` / `cancel_pending`: withdraw rows not sent yet (a removed counter's congratulation,
  an escalation step made pointless by a claim);
- `retract`: take back what a message said (an erased member's alert): withdrawn if no attempt
  may have posted it, else edited, and the outbox's stored words replaced too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.outbox import (
    CANCELLED,
    DEAD,
    FAILED,
    NORMAL,
    PENDING,
    SENT,
    URGENT,
    WAITING,
    OutboxMessage,
)
from bot.delivery import chains, sealing
from bot.scheduling import wake

log = logging.getLogger(__name__)
_TABLE = cast(Table, OutboxMessage.__table__)  # declared as a FromClause; it is the Table

__all__ = [
    "AS_SOON_AS_POSSIBLE",
    "NORMAL",
    "OUTBOX_ID",
    "URGENT",
    "Cancelled",
    "OutgoingMessage",
    "Queued",
    "Retracted",
    "Target",
    "cancel",
    "cancel_pending",
    "edit",
    "enqueue",
    "enqueue_many",
    "on_undeliverable",
    "replace",
    "retract",
]

# The next-attempt time of a message to send as soon as possible. Not the clock's now: services
# pass no clock into `enqueue`, and "before anything else" is what is meant.
AS_SOON_AS_POSSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
# Components may carry this in a custom_id; `enqueue` replaces it with the outbox row's id, so
# a persistent button can find its message again after a restart.
OUTBOX_ID = "{outbox_id}"


@dataclass(frozen=True)
class Target:
    # "guild" only for operations on a server's scheduled events (bot/delivery/operations.py).
    kind: Literal["channel", "dm", "guild"]
    id: int  # a channel or thread id, a user id for a DM, or a guild id

    def __post_init__(self) -> None:
        if self.kind not in ("channel", "dm", "guild"):
            raise ValueError(f"unknown target kind {self.kind!r}")

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True)
class OutgoingMessage:
    """A message in Discord's JSON shapes (embeds and components as dicts)."""

    content: str | None = None
    embeds: tuple[dict[str, Any], ...] = ()
    components: tuple[dict[str, Any], ...] = ()
    # Users and roles this message really pings, an explicit allow-list: mentions anywhere
    # else in the text (a member's words included) ping nobody, and @everyone/@here never do.
    mention_users: tuple[int, ...] = field(default=())
    mention_roles: tuple[int, ...] = field(default=())
    # The content shows a member's note: stored encrypted until sent (bot/delivery/sealing.py).
    private: bool = False

    def __post_init__(self) -> None:
        if not self.content and not self.embeds and not self.components:
            raise ValueError("an outgoing message needs content, an embed or a component")

    def payload(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "embeds": [dict(e) for e in self.embeds],
            "components": [dict(c) for c in self.components],
            "mention_users": list(self.mention_users),
            "mention_roles": list(self.mention_roles),
        }


UndeliverableHandler = Callable[[AsyncSession, int | None, str], Awaitable[None]]


class UndeliverableHandlers:
    """What each purpose does with a message that cannot be delivered (called in the
    transaction that marks the row failed or dead)."""

    def __init__(self) -> None:
        self._handlers: dict[str, UndeliverableHandler] = {}

    def register(self, purpose: str, handler: UndeliverableHandler) -> None:
        self._handlers[purpose] = handler

    def get(self, purpose: str) -> UndeliverableHandler | None:
        return self._handlers.get(purpose)


# Features register at import or build time; the bot's dispatcher uses this instance.
undeliverable_handlers = UndeliverableHandlers()


def on_undeliverable(purpose: str, handler: UndeliverableHandler) -> None:
    """Call `handler(session, subject_id, reason)` when a `purpose` message cannot be delivered:
    a DM refused with no usable fallback, or the row going dead."""
    undeliverable_handlers.register(purpose, handler)


@dataclass(frozen=True, slots=True)
class Queued:
    """One message for `enqueue_many`: the arguments `enqueue` takes."""

    target: Target
    message: OutgoingMessage
    purpose: str
    subject_id: int | None = None
    guild_id: int | None = None
    fallback: Target | None = None
    public: bool = False
    not_before: datetime | None = None
    priority: int = NORMAL


def _values(item: Queued) -> dict[str, Any]:
    """The new row's columns, once the message is checked (the same for one and for many)."""
    check_row(item.purpose, item.not_before, item.priority)
    target, fallback = item.target, item.fallback
    if target.kind == "guild" or (fallback is not None and fallback.kind == "guild"):
        raise ValueError("a message goes to a channel or a member's DMs")
    if item.guild_id is not None and item.guild_id in item.message.mention_roles:
        raise ValueError("@everyone is never pinged: its role id is the guild's id")
    return {
        "purpose": item.purpose,
        "priority": item.priority,
        "subject_id": item.subject_id,
        "guild_id": item.guild_id,
        "target_kind": target.kind,
        "target_id": target.id,
        "fallback_kind": fallback.kind if fallback else None,
        "fallback_id": fallback.id if fallback else None,
        "public": item.public,
        "payload": _stored(item.message),
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": item.not_before or AS_SOON_AS_POSSIBLE,
    }


def _needs_own_id(message: OutgoingMessage) -> bool:
    return any(OUTBOX_ID in str(c) for c in message.components)


async def enqueue(
    session: AsyncSession,
    *,
    target: Target,
    message: OutgoingMessage,
    purpose: str,
    subject_id: int | None = None,
    guild_id: int | None = None,
    fallback: Target | None = None,
    public: bool = False,
    not_before: datetime | None = None,
    priority: int = NORMAL,
) -> int:
    """Add a message to send; its outbox id.

    `purpose` is a short machine name such as "milestone.dm" (shown in /setup status; never
    personal content). `fallback` receives the message when a DM is refused; unless `public`,
    a fallback channel is only used if it is private (a private thread, or a channel @everyone
    cannot see). `not_before` holds the message back until then. `priority=URGENT` puts it in
    the urgent lane: claimed before any normal row, with its own senders.
    """
    item = Queued(
        target, message, purpose, subject_id, guild_id, fallback, public, not_before, priority
    )
    row = OutboxMessage(**_values(item))
    session.add(row)
    await session.flush()
    if _needs_own_id(message):
        row.payload = {
            **row.payload,
            "components": list(_fill_outbox_id(message.components, row.id)),
        }
        await session.flush()
    wake.note(session, not_before)
    return row.id


async def enqueue_many(session: AsyncSession, items: Sequence[Queued]) -> None:
    """`enqueue` for many messages (one meeting's reminder to thousands of subscribers) in one
    statement: the same rows as `enqueue` writes, in this order, committed with the caller's
    change. Writing them one by one took seconds for 5,000 on SQLite, all before the first
    could leave. A message whose buttons carry its own outbox id (`OUTBOX_ID`) is written after
    the others by `enqueue`, which fills it in. Every message is checked before any is
    written."""
    rows = [_values(item) for item in items]
    if not rows:
        return
    plain = [row for row, item in zip(rows, items, strict=True) if not _needs_own_id(item.message)]
    if plain:
        await session.execute(insert(_TABLE), plain)
    for item in items:
        if _needs_own_id(item.message):
            await enqueue(
                session,
                target=item.target,
                message=item.message,
                purpose=item.purpose,
                subject_id=item.subject_id,
                guild_id=item.guild_id,
                fallback=item.fallback,
                public=item.public,
                not_before=item.not_before,
                priority=item.priority,
            )
    later = [item.not_before for item in items]
    wake.note(session, None if None in later else min(when for when in later if when))


class Cancelled(Enum):
    """What `cancel` did."""

    CANCELLED = "cancelled"  # not sent, and it never will be
    # Already being sent: a send not begun yet is skipped, one under way may still arrive.
    IN_FLIGHT = "in flight"
    FINISHED = "finished"  # sent, failed, dead or cancelled already: nothing to withdraw
    GONE = "gone"  # no such row (pruned, or cancelled before)


async def cancel(session: AsyncSession, outbox_id: int) -> Cancelled:
    """Withdraw one row, and the edits waiting for it, in the caller's transaction.

    A row nobody has claimed is deleted (its content goes at once). A claimed row cannot be
    un-sent: it is marked cancelled, the dispatcher skips it if its send has not begun and
    deletes it when it records the outcome; if the send arrived all the same, the row is kept
    as sent (its message id with it) and the purpose's completion hook is told
    (`Completed.despite_cancel`), so the feature can edit the copy.
    """
    row = await session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None:
        return Cancelled.GONE
    if row.state not in (PENDING, WAITING):
        return Cancelled.FINISHED
    # An earlier attempt whose outcome is unknown may have posted it: not "never sent".
    begun = row.claimed_by is not None or row.uncertain_since is not None
    await _withdraw(session, [row])
    return Cancelled.IN_FLIGHT if begun else Cancelled.CANCELLED


async def cancel_pending(
    session: AsyncSession, *, purpose: str, subject_id: int, guild_id: int | None = None
) -> int:
    """Withdraw every unsent row of `purpose` about `subject_id` (see `cancel`); how many.

    `purpose` is one purpose ("milestone.dm") or a feature's family ("milestone.*"): subject
    ids are only unique within a feature, so there is no "every purpose".
    """
    if purpose.endswith(".*"):
        prefix = purpose[:-1]
        which = OutboxMessage.purpose.startswith(prefix, autoescape=True)
    else:
        which = OutboxMessage.purpose == purpose
    query = (
        select(OutboxMessage)
        .where(
            which,
            OutboxMessage.subject_id == subject_id,
            OutboxMessage.state.in_([PENDING, WAITING]),
        )
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    if guild_id is not None:
        query = query.where(OutboxMessage.guild_id == guild_id)
    rows = list((await session.scalars(query)).all())
    await _withdraw(session, rows)
    return len(rows)


async def _withdraw(session: AsyncSession, rows: list[OutboxMessage]) -> None:
    if not rows:
        return
    ids = [row.id for row in rows]
    # Edits and operations waiting for these rows would wait for ever.
    waiting = (
        await session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.ref_id.in_(ids), OutboxMessage.state.in_([PENDING, WAITING])
            )
        )
    ).all()
    if waiting:
        dependents = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(waiting)).with_for_update()
            )
        ).all()
        await _withdraw(session, list(dependents))
    # The thing's next operation goes once the head of its queue is withdrawn (a claimed head
    # releases it when the dispatcher drops it).
    for row in rows:
        if row.claimed_by is None and row.state == PENDING:
            await chains.release_next(session, row, AS_SOON_AS_POSSIBLE)
    unclaimed = [row.id for row in rows if row.claimed_by is None]
    for row in rows:
        if row.claimed_by is not None:
            row.state = CANCELLED
    if unclaimed:
        await session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(unclaimed))
            .execution_options(synchronize_session="fetch")
        )
    await session.flush()


async def edit(
    session: AsyncSession,
    original: int,
    message: OutgoingMessage,
    *,
    priority: int | None = None,
) -> int | None:
    """Change the message of outbox row `original` to `message` (content, embeds, components
    and pings all replaced); the edit's row id, or None when the original was never delivered
    (failed, dead, cancelled) and there is nothing to edit.

    Applied after the original is sent, and after any earlier edit; edits that wait together
    are coalesced: only the latest is applied. Raises LookupError when the original row is gone
    (pruned 7 days after it was sent).
    """
    row = await session.get(OutboxMessage, original, with_for_update=True)
    if row is None or row.state == CANCELLED:
        raise LookupError(f"outbox row {original} is gone")
    if row.operation != "send":
        raise ValueError("only a sent message can be edited")
    if row.state in (FAILED, DEAD):
        return None
    check_row(row.purpose, None, priority if priority is not None else row.priority)
    if row.guild_id is not None and row.guild_id in message.mention_roles:
        raise ValueError("@everyone is never pinged: its role id is the guild's id")
    edits = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.ref_id == original,
                OutboxMessage.operation == "edit",
                OutboxMessage.state.in_([PENDING, WAITING]),
            )
            .order_by(OutboxMessage.id)
            .with_for_update()
        )
    ).all()
    payload = _filled(message, original)
    waiting = [e for e in edits if e.claimed_by is None]
    if waiting:
        # Coalesced: the edit not begun yet now says the latest thing.
        latest = waiting[-1]
        latest.payload = payload
        if priority is not None:
            latest.priority = max(latest.priority, priority)
        await session.flush()
        return latest.id
    in_flight = bool(edits)
    ready = row.state == SENT and not in_flight
    added = OutboxMessage(
        purpose=row.purpose,
        operation="edit",
        priority=priority if priority is not None else row.priority,
        ref_id=original,
        subject_id=row.subject_id,
        guild_id=row.guild_id,
        target_kind=row.target_kind,
        target_id=row.target_id,
        public=row.public,
        payload=payload,
        state=PENDING if ready else WAITING,
        attempts=0,
        next_attempt_at=AS_SOON_AS_POSSIBLE,
    )
    session.add(added)
    await session.flush()
    if ready:
        wake.note(session, None)
    return added.id


async def replace(session: AsyncSession, outbox_id: int, message: OutgoingMessage) -> int | None:
    """Make row `outbox_id` say `message`: in place while nobody has begun sending it, else
    as an edit applied once it is sent (see `edit`). The row that will carry it, or None when
    the original was never delivered."""
    row = await session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.state == CANCELLED:
        raise LookupError(f"outbox row {outbox_id} is gone")
    # In place only while no attempt may have posted it: a retry after an uncertain attempt
    # carries the same nonce, and Discord would answer with the first message, old text.
    if row.state in (PENDING, WAITING) and row.claimed_by is None and row.uncertain_since is None:
        if row.guild_id is not None and row.guild_id in message.mention_roles:
            raise ValueError("@everyone is never pinged: its role id is the guild's id")
        row.payload = _filled(message, row.id)
        await session.flush()
        return row.id
    return await edit(session, outbox_id, message)


class Retracted(Enum):
    """What `retract` did."""

    WITHDRAWN = "withdrawn"  # not sent, and it never will be
    EDITED = "edited"  # sent, or possibly being sent: it will say the replacement
    NOTHING = "nothing"  # never delivered (failed, dead), or gone: nothing shows it


async def retract(session: AsyncSession, outbox_id: int, replacement: OutgoingMessage) -> Retracted:
    """Take back what row `outbox_id` said, when what it carried must not stay (the data of a
    member who asked to be erased): withdrawn while no attempt may have posted it, else edited
    to `replacement` once sent. The outbox's own stored words go too: the row's and those of
    its finished edits are replaced (a sent row is kept, for its message id, until pruned). A
    row still being sent keeps its words until it is, because a retry must post the very same
    message (its nonce); they go with the row when it is pruned."""
    row = await session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.state == CANCELLED:
        return Retracted.NOTHING
    if row.operation != "send":
        raise ValueError("only a message can be retracted")
    begun = row.claimed_by is not None or row.uncertain_since is not None
    if row.state in (PENDING, WAITING) and not begun:
        await _withdraw(session, [row])
        return Retracted.WITHDRAWN
    words = _filled(replacement, outbox_id)
    finished_edits = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.ref_id == outbox_id,
                OutboxMessage.operation == "edit",
                OutboxMessage.state.in_([SENT, FAILED, DEAD]),
            )
            .order_by(OutboxMessage.id)
            .with_for_update()
        )
    ).all()
    for finished in finished_edits:
        finished.payload = words
    if row.state in (FAILED, DEAD):
        row.payload = words
        await session.flush()
        return Retracted.NOTHING
    await edit(session, outbox_id, replacement)
    if row.state == SENT:
        row.payload = words
    await session.flush()
    return Retracted.EDITED


def check_row(purpose: str, not_before: datetime | None, priority: int) -> None:
    if not purpose or len(purpose) > 64:
        raise ValueError("purpose must be a short machine name (1 to 64 characters)")
    if not_before is not None and (not_before.tzinfo is None or not_before.utcoffset() is None):
        raise ValueError("not_before must be timezone-aware")
    if priority not in (NORMAL, URGENT):
        raise ValueError("priority is NORMAL or URGENT")


def _stored(message: OutgoingMessage) -> dict[str, Any]:
    """The payload as the outbox keeps it: a private message's content sealed."""
    return sealing.sealed(message.payload()) if message.private else message.payload()


def _filled(message: OutgoingMessage, outbox_id: int) -> dict[str, Any]:
    payload = _stored(message)
    payload["components"] = list(_fill_outbox_id(message.components, outbox_id))
    return payload


def _fill_outbox_id(components: Iterable[Any], outbox_id: int) -> Iterable[Any]:
    for component in components:
        yield _fill(component, outbox_id)


def _fill(value: Any, outbox_id: int) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, outbox_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, outbox_id) for v in value]
    if isinstance(value, str):
        return value.replace(OUTBOX_ID, str(outbox_id))
    return value
