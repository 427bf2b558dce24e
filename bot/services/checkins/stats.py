"""Check-ins' figures for /stats: how many check-ins and alerts, and how long a member who
asked for support waited for a person to say "I'm reaching out"."""

from __future__ import annotations

import statistics
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.checkins import Checkin, CheckinAlert
from bot.services.privacy.stats import Figure

SECTION = "Check-ins"


def claim_wait_figures(waits: list[float]) -> list[Figure]:
    """The median and the 95th percentile of the waits (seconds), each resting on every wait:
    with fewer than 5 claims neither is shown, since one alert could then be recognised."""
    median = statistics.median(waits) if waits else None
    # "inclusive": the 95th percentile lies within the waits seen, never beyond the longest.
    p95 = statistics.quantiles(waits, n=20, method="inclusive")[18] if len(waits) > 1 else median
    return [
        Figure(SECTION, "median time to a person's claim", seconds=median, basis=len(waits)),
        Figure(SECTION, "95th percentile time to a claim", seconds=p95, basis=len(waits)),
    ]


async def checkin_figures(session: AsyncSession, guild_id: int, since: datetime) -> list[Figure]:
    checkins = await session.scalar(
        select(func.count())
        .select_from(Checkin)
        .where(Checkin.guild_id == guild_id, Checkin.at >= since)
    )
    alerts = (
        await session.execute(
            select(CheckinAlert.opened_at, CheckinAlert.claimed_at).where(
                CheckinAlert.guild_id == guild_id, CheckinAlert.opened_at >= since
            )
        )
    ).all()
    # A claim is a person pressing "I'm reaching out"; an alert the member stood down, or one
    # resolved without a claim, has no claim time and is not a wait.
    waits = sorted(
        (claimed_at - opened_at).total_seconds()
        for opened_at, claimed_at in alerts
        if claimed_at is not None
    )
    return [
        Figure(SECTION, "check-ins", count=int(checkins or 0)),
        Figure(SECTION, "support alerts", count=len(alerts)),
        Figure(SECTION, "alerts claimed by a person", count=len(waits)),
        *claim_wait_figures(waits),
    ]
