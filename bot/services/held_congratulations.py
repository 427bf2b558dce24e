"""Congratulations that could not reach a member, kept for their next /sobriety show.

Why one was held (DMs closed, or the channel post refused), how it is named, and whether the
member's DMs are still closed, as far as Steady can tell from its own outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MilestoneCelebration, SobrietyCounter, SobrietyStreak
from bot.db.models.outbox import FAILED, SENT, OutboxMessage
from bot.domain import milestones as ms
from bot.services.celebrations import DM_PURPOSE


@dataclass(frozen=True, slots=True)
class Held:
    because: str  # "dms_closed" or "post_failed"
    name: str  # the milestone as it was reached: "2 years", "30 days"


def refused_dm(guild_id: int, user_id: int) -> ScalarSelect[int | None]:
    """The newest congratulation DM to the member that Discord refused because their DMs are
    closed. Undeliverable rows are few, so this reads only the failed end of the outbox."""
    return (
        select(func.max(OutboxMessage.id))
        .where(
            OutboxMessage.state == FAILED,
            OutboxMessage.purpose == DM_PURPOSE,
            OutboxMessage.target_kind == "dm",
            OutboxMessage.target_id == user_id,
            OutboxMessage.guild_id == guild_id,
            OutboxMessage.last_error.like("DMs closed%"),
        )
        .scalar_subquery()
    )


async def dms_still_closed(
    session: AsyncSession, guild_id: int, user_id: int, refused_id: int
) -> bool:
    """Whether no congratulation DM reached the member since the refused one."""
    later = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.id > refused_id,
            OutboxMessage.state == SENT,
            OutboxMessage.purpose == DM_PURPOSE,
            OutboxMessage.target_kind == "dm",
            OutboxMessage.target_id == user_id,
            OutboxMessage.guild_id == guild_id,
        )
        .limit(1)
    )
    return later is None


async def details(session: AsyncSession, counters: Sequence[SobrietyCounter]) -> dict[int, Held]:
    """For each counter holding a congratulation, why and what: named from the start of the
    streak it was reached in, so a reset since does not turn "2 years" into "730 days"."""
    held = {c.id: c for c in counters if c.held_milestone_days}
    if not held:
        return {}
    reached = {
        counter_id: (route, streak_number)
        for counter_id, days, route, streak_number in (
            await session.execute(
                select(
                    MilestoneCelebration.counter_id,
                    MilestoneCelebration.days,
                    MilestoneCelebration.route,
                    MilestoneCelebration.streak_number,
                )
                .where(MilestoneCelebration.counter_id.in_(held))
                .order_by(MilestoneCelebration.id)
            )
        ).all()
        if held[counter_id].held_milestone_days == days
    }
    earlier = [
        counter_id
        for counter_id, (_route, streak_number) in reached.items()
        if streak_number != held[counter_id].streak_number
    ]
    # Ended streaks in order: the n-th is streak number n.
    starts: dict[int, list[date]] = {}
    if earlier:
        for counter_id, start in await session.execute(
            select(SobrietyStreak.counter_id, SobrietyStreak.start_date)
            .where(SobrietyStreak.counter_id.in_(earlier))
            .order_by(SobrietyStreak.start_date, SobrietyStreak.id)
        ):
            starts.setdefault(counter_id, []).append(start)
    result: dict[int, Held] = {}
    for counter_id, counter in held.items():
        route, streak_number = reached.get(counter_id, ("dm", counter.streak_number))
        start = counter.start_date
        if len(starts.get(counter_id, [])) >= streak_number:
            start = starts[counter_id][streak_number - 1]
        because = "post_failed" if route == "channel" else "dms_closed"
        result[counter_id] = Held(
            because, ms.milestone_name(start, counter.held_milestone_days or 0)
        )
    return result
