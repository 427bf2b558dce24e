"""When a counter's next celebration is due: the one rule every change of plan goes through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MilestoneCelebration, SobrietyCounter
from bot.domain import milestones as ms
from bot.scheduling import ledger
from bot.services.settings import GuildSettingsView, MemberContext

MILESTONE_KIND = "milestone"


def ladder_of(guild: GuildSettingsView) -> ms.Ladder:
    """The guild's ladder: its own steps stay in days; the default names months and years."""
    if guild.milestone_ladder:
        return ms.Ladder(days=ms.parse_ladder(guild.milestone_ladder))
    return ms.DEFAULT_LADDER


async def plan_next(
    session: AsyncSession,
    counter: SobrietyCounter,
    context: MemberContext,
    now: datetime,
    *,
    catch_up: bool,
) -> None:
    """Plan the counter's next celebration, at the guild's hour in the member's zone.

    Today's milestone, if not yet celebrated in this streak, stays planned when its hour is
    still ahead, so re-planning on the morning of a milestone (a new timezone, hour or ladder)
    never loses it. If its hour has already passed, `catch_up` decides: a re-plan celebrates it
    now; a new or corrected start date does not celebrate milestones already passed.

    The caller holds the lock on `counter` (bot.scheduling.locks): a command through
    `locks.relock`/`lock_row` or an UPDATE of it, a handler through its kind's `lock_subject`.
    """
    ladder = ladder_of(context.guild)
    hour = context.guild.celebration_hour
    days = ms.days_between(counter.start_date, ms.local_today(now, context.zone))
    start = counter.start_date
    upcoming = (
        days if ms.is_milestone(start, days, ladder) else ms.next_milestone(start, days, ladder)
    )
    due = ms.local_instant(ms.milestone_date(counter.start_date, upcoming), hour, context.zone)
    if upcoming == days:
        celebrated = await session.scalar(
            select(MilestoneCelebration.id).where(
                MilestoneCelebration.counter_id == counter.id,
                MilestoneCelebration.streak_number == counter.streak_number,
                MilestoneCelebration.days == days,
            )
        )
        if celebrated is not None or (due <= now and not catch_up):
            upcoming = ms.next_milestone(start, days, ladder)
            due = ms.local_instant(
                ms.milestone_date(counter.start_date, upcoming), hour, context.zone
            )
        elif due <= now:
            due = now
    counter.next_milestone_days = upcoming
    counter.next_milestone_at = due
    await ledger.schedule(session, MILESTONE_KIND, counter.id, due, guild_id=counter.guild_id)
