"""Aggregate figures for `/stats`: each feature contributes its own (a `StatsSource`), and
small numbers are never shown exactly (`shown`), so a figure cannot point at one member.

A feature adds its figures by returning sources from its service's `stats_sources()`, which
`Services.stats_sources()` collects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.audit import AuditLog
from bot.db.models.mentoring import ACCEPTED, ACTIVE, MentoringOffer, MentoringPair
from bot.db.models.sobriety import MilestoneCelebration, SobrietyCounter

SMALL = 5
FEWER = f"fewer than {SMALL}"


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of /stats. `count` is a number of things; `seconds` a duration (a median, a
    percentile) and `share` a fraction, each computed from `basis` things: under `SMALL` of
    them, the figure is not shown."""

    section: str
    label: str
    count: int | None = None
    seconds: float | None = None
    share: float | None = None
    basis: int | None = None


# (session, guild_id, since) -> the feature's figures for that server since then.
StatsSource = Callable[[AsyncSession, int, datetime], Awaitable[list[Figure]]]


def shown(figure: Figure) -> str:
    """The figure as /stats shows it: counts below SMALL as "fewer than 5"."""
    if figure.count is not None:
        return FEWER if figure.count < SMALL else str(figure.count)
    if figure.basis is None or figure.basis < SMALL:
        return f"not shown ({FEWER} to go on)"
    if figure.seconds is not None:
        return _duration(figure.seconds)
    if figure.share is not None:
        return f"{round(figure.share * 100)}%"
    return "none"


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


async def _count(session: AsyncSession, query: Select[int]) -> int:
    return int(await session.scalar(query) or 0)


async def sobriety_figures(session: AsyncSession, guild_id: int, since: datetime) -> list[Figure]:
    counters = await _count(
        session,
        select(func.count())
        .select_from(SobrietyCounter)
        .where(SobrietyCounter.guild_id == guild_id),
    )
    milestones = await _count(
        session,
        select(func.count())
        .select_from(MilestoneCelebration)
        .where(MilestoneCelebration.guild_id == guild_id, MilestoneCelebration.reached_at >= since),
    )
    return [
        Figure("Sobriety", "active counters", count=counters),
        Figure("Sobriety", "milestones reached", count=milestones),
    ]


async def mentoring_figures(session: AsyncSession, guild_id: int, since: datetime) -> list[Figure]:
    accepted = await _count(
        session,
        select(func.count())
        .select_from(MentoringOffer)
        .where(
            MentoringOffer.guild_id == guild_id,
            MentoringOffer.state == ACCEPTED,
            MentoringOffer.decided_at >= since,
        ),
    )
    active = await _count(
        session,
        select(func.count())
        .select_from(MentoringPair)
        .where(MentoringPair.guild_id == guild_id, MentoringPair.state == ACTIVE),
    )
    return [
        Figure("Mentoring", "offers accepted", count=accepted),
        Figure("Mentoring", "active pairs", count=active),
    ]


async def moderation_figures(session: AsyncSession, guild_id: int, since: datetime) -> list[Figure]:
    actions = await _count(
        session,
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.guild_id == guild_id, AuditLog.at >= since),
    )
    return [Figure("Moderation", "moderator actions (including erasures)", count=actions)]


def main_sources() -> list[StatsSource]:
    """Figures from the tables every server has; features add theirs."""
    return [sobriety_figures, mentoring_figures, moderation_figures]
