"""What the sobriety feature holds about a member, for `/privacy export` and `/privacy delete`.

A member's counters, with their earlier streaks and the milestones celebrated (tables declared
`via("sobriety_counters")`), and the pending work and unsent congratulations of each counter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MilestoneCelebration, SobrietyCounter, SobrietyStreak
from bot.delivery import outbox
from bot.scheduling import ledger
from bot.services.celebrations import CHANNEL_PURPOSE, DM_PURPOSE
from bot.services.milestone_plans import MILESTONE_KIND
from bot.services.privacy.registry import MemberData, MemberRef


def member_data() -> MemberData:
    return MemberData(
        feature="sobriety",
        tables=("sobriety_counters",),
        export=export_counters,
        erase=erase_counters,
        lock=lock_counters,
    )


async def lock_counters(session: AsyncSession, member: MemberRef) -> None:
    """The member's counters, in id order: a celebration's handler locks its counter first."""
    await _counters(session, member, lock=True)


async def _counters(
    session: AsyncSession, member: MemberRef, *, lock: bool = False
) -> list[SobrietyCounter]:
    query = (
        select(SobrietyCounter)
        .where(
            SobrietyCounter.guild_id == member.guild_id, SobrietyCounter.user_id == member.user_id
        )
        .order_by(SobrietyCounter.id)
    )
    if lock:
        query = query.with_for_update()
    return list((await session.scalars(query)).all())


async def export_counters(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
    counters = await _counters(session, member)
    ids = [c.id for c in counters]
    streaks = (
        (
            await session.scalars(
                select(SobrietyStreak)
                .where(SobrietyStreak.counter_id.in_(ids))
                .order_by(SobrietyStreak.start_date)
            )
        ).all()
        if ids
        else []
    )
    celebrations = (
        (
            await session.scalars(
                select(MilestoneCelebration)
                .where(MilestoneCelebration.counter_id.in_(ids))
                .order_by(MilestoneCelebration.reached_at)
            )
        ).all()
        if ids
        else []
    )
    return {
        "counters": [
            {
                "label": c.label,
                "start_date": c.start_date.isoformat(),
                "start_time": c.start_time.isoformat() if c.start_time else None,
                "streak_number": c.streak_number,
                "visibility": c.visibility,
                "celebrate": c.celebrate,
                "next_milestone_days": c.next_milestone_days,
                "next_milestone_at": c.next_milestone_at.isoformat()
                if c.next_milestone_at
                else None,
                "held_milestone_days": c.held_milestone_days,
                "past_days": c.past_days,
                "created_at": c.created_at.isoformat(),
                "updated_at": c.updated_at.isoformat(),
                "earlier_streaks": [
                    {
                        "start_date": s.start_date.isoformat(),
                        "end_date": s.end_date.isoformat(),
                        "days": s.days,
                    }
                    for s in streaks
                    if s.counter_id == c.id
                ],
                "milestones_celebrated": [
                    {
                        "streak_number": m.streak_number,
                        "days": m.days,
                        "belated": m.belated,
                        "route": m.route,
                        "reached_at": m.reached_at.isoformat(),
                    }
                    for m in celebrations
                    if m.counter_id == c.id
                ],
            }
            for c in counters
        ]
    }


async def erase_counters(session: AsyncSession, member: MemberRef) -> int:
    # Lock order (bot.scheduling.locks): the counters, then their due work, then the outbox.
    counters = await _counters(session, member, lock=True)
    if not counters:
        return 0
    ids = [c.id for c in counters]
    removed = len(ids)
    # A channel post not sent yet that carries only this member's congratulations is withdrawn;
    # one grouped with other members' stays for them (it names members, never pings them).
    groups = set(
        (
            await session.scalars(
                select(MilestoneCelebration.post_group).where(
                    MilestoneCelebration.counter_id.in_(ids),
                    MilestoneCelebration.post_group.is_not(None),
                )
            )
        ).all()
    )
    shared = (
        set(
            (
                await session.scalars(
                    select(MilestoneCelebration.post_group).where(
                        MilestoneCelebration.post_group.in_(groups),
                        MilestoneCelebration.counter_id.not_in(ids),
                    )
                )
            ).all()
        )
        if groups
        else set()
    )
    for model in (SobrietyStreak, MilestoneCelebration):
        removed += int(
            await session.scalar(
                select(func.count()).select_from(model).where(model.counter_id.in_(ids))
            )
            or 0
        )
        # Explicitly as well as by ON DELETE CASCADE (SQLite cascades only with foreign keys on).
        await session.execute(delete(model).where(model.counter_id.in_(ids)))
    await session.execute(delete(SobrietyCounter).where(SobrietyCounter.id.in_(ids)))
    for counter_id in ids:
        await ledger.cancel(session, MILESTONE_KIND, counter_id)
    for counter_id in ids:
        await outbox.cancel_pending(session, purpose=DM_PURPOSE, subject_id=counter_id)
    for group in sorted(g for g in groups - shared if g is not None):
        await outbox.cancel_pending(
            session, purpose=CHANNEL_PURPOSE, subject_id=group, guild_id=member.guild_id
        )
    return removed
