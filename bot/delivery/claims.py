"""What the dispatcher holds while it sends: claimed rows, the batch's claim, its counters."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.db import Urgency
from bot.db.models.outbox import NORMAL
from bot.delivery import operations as ops
from bot.delivery.outbox import Target


@dataclass(frozen=True)
class Claimed:
    id: int
    purpose: str
    subject_id: int | None
    target: Target
    fallback: Target | None
    public: bool
    payload: dict[str, Any]
    attempts: int
    operation: str = "send"
    priority: int = NORMAL
    guild_id: int | None = None
    ref_id: int | None = None
    # An edit's message: the original's channel and message ids.
    ref_channel_id: int | None = None
    ref_message_id: int | None = None
    uncertain_since: datetime | None = None
    # An operation's thread or event: known at enqueue, or made by the row it refers to.
    external_id: int | None = None
    ref_external_id: int | None = None

    @property
    def thing_id(self) -> int | None:
        if self.operation in ops.ON_THREAD:
            return self.target.id or self.ref_external_id
        return self.external_id or self.ref_external_id

    @property
    def group(self) -> tuple[str, int]:
        """Rows of one group go out in order: a destination's messages, one message's edits,
        the operations on one thread or event."""
        if self.operation == "send":
            return self.target.key
        if self.operation == "edit":
            return ("edit", self.ref_id or 0)
        if self.operation in ops.CREATES:
            return ("create", self.id)
        # One key per thing, whether a row names it by id or by the row that made it.
        thing = self.thing_id
        return ("thing", thing) if thing else ("made by", self.ref_id or 0)


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    to_fallback: int = 0
    rate_limited: int = 0
    claims_lost: int = 0
    cancelled: int = 0
    found_in_history: int = 0
    dm_opens: int = 0
    operations: int = 0


@dataclass
class Hold:
    """This process's claim on one batch, kept alive while the batch is sent."""

    until: datetime
    ours: set[int]  # rows still claimed by us and not recorded yet
    unstarted: set[int]  # rows whose delivery has not begun (released if we stop)
    dm_channels: dict[int, int]  # stored DM channel ids of the batch's members
    new_dm_channels: dict[int, int] = field(default_factory=dict)
    cancelled: set[int] = field(default_factory=set)  # cancelled before their send began
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Of the batch's own transactions and reads (the urgent lane's go ahead of others).
    urgency: Urgency = Urgency.NORMAL
