"""The delivery layer's part of a member's data: messages Steady sent (or will send) to their
DMs in this server, the buttons they pressed, and their stored DM channel id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.outbox import PENDING, WAITING, DmChannel, OutboxMessage
from bot.delivery import outbox, sealing
from bot.services.privacy.registry import MemberData, MemberRef


def member_data() -> MemberData:
    return MemberData(
        feature="delivery",
        tables=("outbox", "dm_channels"),
        export=export_messages,
        erase=erase_messages,
    )


def _their_dms(member: MemberRef) -> Any:
    return (
        (OutboxMessage.guild_id == member.guild_id)
        & (OutboxMessage.target_kind == "dm")
        & (OutboxMessage.target_id == member.user_id)
    )


async def export_messages(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
    rows = (
        await session.scalars(
            select(OutboxMessage).where(_their_dms(member)).order_by(OutboxMessage.id)
        )
    ).all()
    pressed = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.guild_id == member.guild_id,
            OutboxMessage.acknowledged_by == member.user_id,
        )
        .limit(1)
    )
    return {
        # Sent messages are kept 7 days, undeliverable ones 30, then pruned.
        "direct_messages": [
            {
                "purpose": row.purpose,
                "state": row.state,
                "content": sealing.opened(row.payload).get("content"),
                "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            }
            for row in rows
            if row.operation == "send"
        ],
        "acknowledged_a_message": pressed is not None,
    }


async def erase_messages(session: AsyncSession, member: MemberRef) -> int:
    # Outbox rows come last in the lock order; the features' erasers ran before this one.
    unsent = (
        await session.scalars(
            select(OutboxMessage.id)
            .where(_their_dms(member), OutboxMessage.state.in_([PENDING, WAITING]))
            .order_by(OutboxMessage.id)
        )
    ).all()
    removed = 0
    for outbox_id in unsent:
        if await outbox.cancel(session, outbox_id) == outbox.Cancelled.CANCELLED:
            removed += 1
    # Finished rows hold what was said to them until pruned: they go now. A row being sent
    # right now was marked cancelled above and is deleted by the dispatcher when it finishes.
    finished = await session.execute(
        delete(OutboxMessage)
        .where(_their_dms(member), OutboxMessage.state.not_in([PENDING, WAITING]))
        .where(OutboxMessage.claimed_by.is_(None))
        .execution_options(synchronize_session=False)
    )
    removed += int(getattr(finished, "rowcount", 0) or 0)
    pressed = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.guild_id == member.guild_id,
            OutboxMessage.acknowledged_by == member.user_id,
        )
        .values(acknowledged_by=None)
        .execution_options(synchronize_session=False)
    )
    removed += int(getattr(pressed, "rowcount", 0) or 0)
    # The DM channel id is the same in every server; forgetting it only costs a request the
    # next time Steady writes to them from another server.
    channel = await session.execute(delete(DmChannel).where(DmChannel.user_id == member.user_id))
    removed += int(getattr(channel, "rowcount", 0) or 0)
    return removed
