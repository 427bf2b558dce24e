"""Mentors pausing and resuming new offers, by hand or until a date."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import DueWork, MentorProfile
from bot.db.models.mentoring import (
    APPROVED,
)
from bot.delivery.outbox import OutgoingMessage, enqueue
from bot.domain import milestones as ms
from bot.errors import InvalidInput, NotFound
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, Lateness, WorkKind
from bot.services.mentoring import texts
from bot.services.mentoring.applications import Application, to_application
from bot.services.mentoring.candidates import bump_pool, guild_zone, member_zone
from bot.services.mentoring.matching_lock import guild_of, lock_matching
from bot.services.mentoring.offers import NOTICE_PURPOSE, OfferFlow, dm, lock_profile

RESUME_KIND = "mentoring.resume"


class PauseService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        offers: OfferFlow,
        default_zone: str,
    ) -> None:
        self._db = database
        self._clock = clock
        self._offers = offers
        self._default_zone = default_zone

    def work_kinds(self) -> list[WorkKind[MentorProfile]]:
        return [
            WorkKind(
                RESUME_KIND,
                lock_paused,
                self._resume_due,
                lateness=Lateness.DELIVER,
                rebuild=self.rebuild_resumes,
            )
        ]

    async def rebuild_resumes(self, now: datetime) -> Mapping[int | None, int]:
        """Every pause with an end date has its resume pending: re-plan any that has none."""
        missing = select(MentorProfile.id).where(
            MentorProfile.state == APPROVED,
            MentorProfile.paused.is_(True),
            MentorProfile.paused_until.is_not(None),
            ~exists().where(
                DueWork.kind == RESUME_KIND,
                DueWork.subject_id == MentorProfile.id,
                ledger.IS_PENDING,
            ),
        )
        async with self._db.read() as session:
            candidates = list(await session.scalars(missing))
        repaired: Counter[int | None] = Counter()
        for profile_id in candidates:
            async with self._db.transaction() as session:
                profile = await locks.lock_row(session, MentorProfile, profile_id)
                if (
                    profile is None
                    or profile.paused_until is None
                    or await session.scalar(missing.where(MentorProfile.id == profile_id)) is None
                ):
                    continue  # resumed, or re-planned, since the read
                await ledger.schedule(
                    session,
                    RESUME_KIND,
                    profile.id,
                    profile.paused_until,
                    guild_id=profile.guild_id,
                )
                repaired[profile.guild_id] += 1
        return repaired

    async def pause(self, guild_id: int, user_id: int, raw_until: str | None = None) -> Application:
        now = self._clock.now()
        async with self._db.transaction() as session:
            profile = await self._approved(session, guild_id, user_id)
            until: datetime | None = None
            if raw_until is not None:
                fallback = await guild_zone(session, guild_id, self._default_zone)
                zone = await member_zone(session, guild_id, user_id, fallback)
                day = _parse_future_date(raw_until, ms.local_today(now, zone))
                until = ms.local_instant(day, 0, zone)
            profile.paused = True
            profile.paused_until = until
            profile.updated_at = now
            await bump_pool(session, guild_id, now)
            if until is not None:
                await ledger.schedule(session, RESUME_KIND, profile.id, until, guild_id=guild_id)
            else:
                await ledger.cancel(session, RESUME_KIND, profile.id)
            return to_application(profile)

    async def resume(self, guild_id: int, user_id: int) -> Application:
        now = self._clock.now()
        async with self._db.transaction() as session:
            profile = await self._approved(session, guild_id, user_id)
            await self._resume(session, profile, now)
            return to_application(profile)

    async def _resume(self, session: AsyncSession, profile: MentorProfile, now: datetime) -> None:
        profile.paused = False
        profile.paused_until = None
        profile.consecutive_expiries = 0
        profile.updated_at = now
        await bump_pool(session, profile.guild_id, now)
        await ledger.cancel(session, RESUME_KIND, profile.id)
        await self._offers.serve_waitlist(session, profile.guild_id, now)

    async def _resume_due(
        self, session: AsyncSession, item: DueItem, profile: MentorProfile
    ) -> None:
        # Resumed by hand, paused again without a date, or removed since: nothing to do.
        if (
            profile.state != APPROVED
            or not profile.paused
            or profile.paused_until is None
            or profile.paused_until > item.now
        ):
            return
        await self._resume(session, profile, item.now)
        await enqueue(
            session,
            target=dm(profile.user_id),
            message=OutgoingMessage(content=texts.resumed_by_date()),
            purpose=NOTICE_PURPOSE,
            subject_id=profile.id,
            guild_id=profile.guild_id,
        )

    async def _approved(self, session: AsyncSession, guild_id: int, user_id: int) -> MentorProfile:
        await lock_matching(session, guild_id, self._clock.now())
        profile = await lock_profile(session, guild_id, user_id)
        if profile is None or profile.state != APPROVED:
            raise NotFound(
                "Pausing and resuming are for approved mentors. `/mentor apply` starts an "
                "application, and `/mentor status` shows where yours stands."
            )
        return profile


async def lock_paused(session: AsyncSession, item: DueItem) -> MentorProfile | None:
    """`lock_subject` of a pause's end: the server's matching lock, then the profile (a resume
    serves the waitlist, which must see an offer that expired meanwhile, and be seen by it)."""
    guild_id = item.guild_id or await guild_of(session, MentorProfile, item.subject_id)
    if guild_id is None:
        return None
    await lock_matching(session, guild_id, item.now)
    return await locks.lock_row(session, MentorProfile, item.subject_id)


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MAX_PAUSE_DAYS = 366


def _parse_future_date(raw: str, today: date) -> date:
    """A YYYY-MM-DD date after the member's today and within a year."""
    match = _DATE.fullmatch(raw.strip())
    example = f"for example `{today + timedelta(days=14):%Y-%m-%d}`"
    if match is None:
        raise InvalidInput(f"Please give the date as YYYY-MM-DD, {example}.")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidInput(f"That date isn't on the calendar; {example}.") from None
    if day <= today:
        raise InvalidInput(f"Please choose a date after today (today is {today:%Y-%m-%d}).")
    if day > today + timedelta(days=MAX_PAUSE_DAYS):
        raise InvalidInput("A pause can last up to a year; `/mentor resume` ends it any time.")
    return day
