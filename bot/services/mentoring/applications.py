"""Applying to mentor or sponsor, and what an application holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import (
    MentorProfile,
    SobrietyCounter,
)
from bot.db.models.mentoring import (
    APPROVED,
    PENDING,
)
from bot.delivery.outbox import OutgoingMessage, Target, enqueue
from bot.domain import matching as m
from bot.domain import milestones as ms
from bot.domain.languages import parse_languages
from bot.domain.matching_input import (
    parse_availability,
    parse_capacity,
    parse_focus,
    parse_text,
)
from bot.errors import InvalidInput
from bot.services.mentoring import texts
from bot.services.mentoring.candidates import bump_pool, guild_zone, member_zone
from bot.services.mentoring.matching_lock import lock_matching
from bot.services.mentoring.offers import OfferFlow, lock_profile
from bot.services.mentoring.settings import MentoringSettingsService

REVIEW_PURPOSE = "mentoring.review"


@dataclass(frozen=True, slots=True)
class Application:
    user_id: int
    kind: str
    state: str
    capacity: int
    focus: tuple[str, ...]
    languages: tuple[str, ...]
    availability: str | None
    about: str | None
    paused: bool
    paused_until: datetime | None
    applied_at: datetime
    load: int = 0


@dataclass(frozen=True, slots=True)
class ApplyResult:
    application: Application
    updated: bool  # an application that was already there was changed


def to_application(profile: MentorProfile, load: int = 0) -> Application:
    return Application(
        user_id=profile.user_id,
        kind=profile.kind,
        state=profile.state,
        capacity=profile.capacity,
        focus=tuple(profile.focus),
        languages=tuple(profile.languages),
        availability=profile.availability,
        about=profile.about,
        paused=profile.paused,
        paused_until=profile.paused_until,
        applied_at=profile.applied_at,
        load=load,
    )


def parse_kind(raw: str | None, default: str = m.MENTOR) -> str:
    kind = (raw or default).strip().casefold()
    if kind not in m.KINDS:
        raise InvalidInput("Choose `mentor` or `sponsor`.")
    return kind


class ApplicationService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: MentoringSettingsService,
        offers: OfferFlow,
        default_zone: str,
    ) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self._offers = offers
        self._default_zone = default_zone

    async def apply(
        self,
        guild_id: int,
        user_id: int,
        *,
        kind: str,
        capacity: int | None = None,
        raw_focus: str | None = None,
        raw_languages: str | None = None,
        raw_availability: str | None = None,
        raw_about: str | None = None,
    ) -> ApplyResult:
        chosen_kind = parse_kind(kind)
        places = parse_capacity(capacity)
        languages = parse_languages(raw_languages)
        windows = parse_availability(raw_availability)
        about = parse_text(raw_about, what="about text")
        now = self._clock.now()
        async with self._db.transaction() as session:
            # It changes the pool, and an approved mentor's new details may serve the waitlist.
            await lock_matching(session, guild_id, now)
            settings = await self._settings.view_in(session, guild_id)
            focus = parse_focus(raw_focus, settings.focus_list)
            if chosen_kind == m.SPONSOR:
                await self._check_sponsor_minimum(session, guild_id, user_id, settings.sponsor_days)
            profile = await lock_profile(session, guild_id, user_id)
            updated = profile is not None
            if profile is None:
                profile = MentorProfile(guild_id=guild_id, user_id=user_id, applied_at=now)
                session.add(profile)
                profile.state = PENDING
            elif profile.state == APPROVED and profile.kind == chosen_kind:
                pass  # an approved mentor changing their details stays approved
            else:
                # A new application, or a change of kind: moderators look again.
                profile.state = PENDING
                profile.applied_at = now
                profile.decided_at = None
                profile.decided_by = None
            profile.kind = chosen_kind
            profile.capacity = places
            profile.focus = list(focus)
            profile.languages = list(languages)
            profile.availability = m.encode_windows(windows) or None
            profile.about = about
            profile.paused = profile.paused if updated else False
            profile.consecutive_expiries = profile.consecutive_expiries if updated else 0
            profile.updated_at = now
            await session.flush()
            await bump_pool(session, guild_id, now)
            if profile.state == PENDING and settings.review_channel_id is not None:
                await enqueue(
                    session,
                    target=Target("channel", settings.review_channel_id),
                    message=OutgoingMessage(
                        content=texts.application_notice(user_id, chosen_kind, updated)
                    ),
                    purpose=REVIEW_PURPOSE,
                    subject_id=profile.id,
                    guild_id=guild_id,
                )
            if profile.state == APPROVED:
                await self._offers.serve_waitlist(session, guild_id, now)
            return ApplyResult(to_application(profile), updated)

    async def _check_sponsor_minimum(
        self, session: AsyncSession, guild_id: int, user_id: int, minimum: int
    ) -> None:
        starts = list(
            await session.scalars(
                select(SobrietyCounter.start_date).where(
                    SobrietyCounter.guild_id == guild_id, SobrietyCounter.user_id == user_id
                )
            )
        )
        fallback = await guild_zone(session, guild_id, self._default_zone)
        zone = await member_zone(session, guild_id, user_id, fallback)
        today = ms.local_today(self._clock.now(), zone)
        best = max((ms.days_between(start, today) for start in starts), default=None)
        if best is None or best < minimum:
            where = (
                f"your longest current streak is {best} days"
                if best is not None
                else "you don't have a counter yet (`/sobriety set`)"
            )
            raise InvalidInput(
                f"Sponsoring here needs a current sobriety streak of at least {minimum} days, "
                f"and {where}. You're welcome to apply as a `mentor` meanwhile."
            )

    async def mine(self, guild_id: int, user_id: int) -> Application | None:
        async with self._db.read() as session:
            profile = await session.scalar(
                select(MentorProfile).where(
                    MentorProfile.guild_id == guild_id, MentorProfile.user_id == user_id
                )
            )
            return to_application(profile) if profile is not None else None
