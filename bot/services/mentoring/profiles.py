"""Applying to mentor or sponsor, moderators vetting applications, and pausing offers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import (
    MentoringPair,
    MentoringRequest,
    MentorProfile,
    SobrietyCounter,
)
from bot.db.models.mentoring import (
    ACTIVE,
    APPROVED,
    ENDED,
    OPEN_REQUEST_STATES,
    PENDING,
    REJECTED,
    REMOVED,
    WAITING,
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
from bot.errors import InvalidInput, NotFound
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem, Lateness, WorkKind
from bot.services import audit
from bot.services.mentoring import texts
from bot.services.mentoring.candidates import bump_pool, guild_zone, member_zone
from bot.services.mentoring.offers import NOTICE_PURPOSE, OfferFlow, dm, lock, lock_profile
from bot.services.mentoring.settings import MentoringSettingsService

RESUME_KIND = "mentoring.resume"
REVIEW_PURPOSE = "mentoring.review"
# A mentee whose mentor was removed goes back to the front of the waitlist.
FRONT_OF_LIST = 1


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


def _application(profile: MentorProfile, load: int = 0) -> Application:
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


class ProfileService:
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

    def work_kinds(self) -> list[WorkKind]:
        return [WorkKind(name=RESUME_KIND, handle=self._resume_due, lateness=Lateness.DELIVER)]

    # -- members ----------------------------------------------------------------------------

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
            return ApplyResult(_application(profile), updated)

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
            return _application(profile) if profile is not None else None

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
                await ledger.schedule(session, RESUME_KIND, profile.id, until)
            else:
                await ledger.cancel(session, RESUME_KIND, profile.id)
            return _application(profile)

    async def resume(self, guild_id: int, user_id: int) -> Application:
        now = self._clock.now()
        async with self._db.transaction() as session:
            profile = await self._approved(session, guild_id, user_id)
            await self._resume(session, profile, now)
            return _application(profile)

    async def _resume(self, session: AsyncSession, profile: MentorProfile, now: datetime) -> None:
        profile.paused = False
        profile.paused_until = None
        profile.consecutive_expiries = 0
        profile.updated_at = now
        await bump_pool(session, profile.guild_id, now)
        await ledger.cancel(session, RESUME_KIND, profile.id)
        await self._offers.serve_waitlist(session, profile.guild_id, now)

    async def _resume_due(self, session: AsyncSession, item: DueItem) -> None:
        profile = await lock(session, MentorProfile, item.subject_id)
        # Resumed by hand, paused again without a date, or removed since: nothing to do.
        if (
            profile is None
            or profile.state != APPROVED
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
        profile = await lock_profile(session, guild_id, user_id)
        if profile is None or profile.state != APPROVED:
            raise NotFound(
                "Pausing and resuming are for approved mentors. `/mentor apply` starts an "
                "application, and `/mentor status` shows where yours stands."
            )
        return profile

    # -- moderators ---------------------------------------------------------------------------

    async def pending(self, guild_id: int) -> list[Application]:
        async with self._db.read() as session:
            rows = await session.scalars(
                select(MentorProfile)
                .where(MentorProfile.guild_id == guild_id, MentorProfile.state == PENDING)
                .order_by(MentorProfile.applied_at, MentorProfile.id)
            )
            return [_application(p) for p in rows]

    async def listing(self, guild_id: int, kind: str | None = None) -> list[Application]:
        """Approved mentors (of `kind`, if given) with their current load and paused state."""
        pairs = (
            select(MentoringPair.mentor_id.label("user_id"), func.count().label("n"))
            .where(MentoringPair.guild_id == guild_id, MentoringPair.state == ACTIVE)
            .group_by(MentoringPair.mentor_id)
            .subquery()
        )
        query = (
            select(MentorProfile, func.coalesce(pairs.c.n, 0))
            .outerjoin(pairs, pairs.c.user_id == MentorProfile.user_id)
            .where(MentorProfile.guild_id == guild_id, MentorProfile.state == APPROVED)
            .order_by(MentorProfile.kind, MentorProfile.user_id)
        )
        if kind is not None:
            query = query.where(MentorProfile.kind == parse_kind(kind))
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
            return [_application(p, int(n)) for p, n in rows]

    async def approve(self, guild_id: int, actor_id: int, user_id: int) -> Application:
        now = self._clock.now()
        async with self._db.transaction() as session:
            profile = await self._pending(session, guild_id, user_id)
            profile.state = APPROVED
            profile.decided_at = now
            profile.decided_by = actor_id
            profile.paused = False
            profile.consecutive_expiries = 0
            profile.updated_at = now
            await bump_pool(session, guild_id, now)
            audit.record(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="mentors.approve",
                target_id=user_id,
                at=now,
            )
            await enqueue(
                session,
                target=dm(user_id),
                message=OutgoingMessage(content=texts.approved(profile.kind)),
                purpose=NOTICE_PURPOSE,
                subject_id=profile.id,
                guild_id=guild_id,
            )
            await session.flush()
            await self._offers.serve_waitlist(session, guild_id, now)
            return _application(profile)

    async def reject(
        self, guild_id: int, actor_id: int, user_id: int, raw_reason: str | None = None
    ) -> Application:
        reason = parse_text(raw_reason, what="reason")
        now = self._clock.now()
        async with self._db.transaction() as session:
            profile = await self._pending(session, guild_id, user_id)
            profile.state = REJECTED
            profile.decided_at = now
            profile.decided_by = actor_id
            profile.updated_at = now
            audit.record(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="mentors.reject",
                target_id=user_id,
                at=now,
            )
            await enqueue(
                session,
                target=dm(user_id),
                message=OutgoingMessage(content=texts.rejected(profile.kind, reason)),
                purpose=NOTICE_PURPOSE,
                subject_id=profile.id,
                guild_id=guild_id,
            )
            return _application(profile)

    async def remove(
        self, guild_id: int, actor_id: int, user_id: int, raw_reason: str | None = None
    ) -> int:
        """End an approved mentor's role and pairs; each mentee is told kindly and goes back to
        the front of the waitlist. How many pairs ended."""
        reason = parse_text(raw_reason, what="reason")
        now = self._clock.now()
        async with self._db.transaction() as session:
            # Lock order: the mentor's open offers and their requests, then the profile.
            await self._offers.lock_open_offers(session, guild_id, user_id)
            profile = await lock_profile(session, guild_id, user_id)
            if profile is None or profile.state != APPROVED:
                raise NotFound(f"{texts.who(user_id)} isn't an approved mentor here.")
            profile.state = REMOVED
            profile.paused = False
            profile.decided_at = now
            profile.decided_by = actor_id
            profile.updated_at = now
            await bump_pool(session, guild_id, now)
            await ledger.cancel(session, RESUME_KIND, profile.id)
            await session.flush()
            await self._offers.withdraw_open_offers(session, guild_id, user_id, now)
            pairs = list(
                await session.scalars(
                    select(MentoringPair).where(
                        MentoringPair.guild_id == guild_id,
                        MentoringPair.mentor_id == user_id,
                        MentoringPair.state == ACTIVE,
                    )
                )
            )
            for pair in pairs:
                await self._end_for_removal(session, pair, actor_id, now)
            audit.record(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="mentors.remove",
                target_id=user_id,
                at=now,
            )
            await enqueue(
                session,
                target=dm(user_id),
                message=OutgoingMessage(content=texts.removed_mentor(reason)),
                purpose=NOTICE_PURPOSE,
                subject_id=profile.id,
                guild_id=guild_id,
            )
            await session.flush()
            await self._offers.serve_waitlist(session, guild_id, now)
            return len(pairs)

    async def _end_for_removal(
        self, session: AsyncSession, pair: MentoringPair, actor_id: int, now: datetime
    ) -> None:
        pair.state = ENDED
        pair.ended_at = now
        pair.ended_by = actor_id
        original = await session.get(MentoringRequest, pair.request_id) if pair.request_id else None
        has_open = await session.scalar(
            select(MentoringRequest.id).where(
                and_(
                    MentoringRequest.guild_id == pair.guild_id,
                    MentoringRequest.requester_id == pair.mentee_id,
                    MentoringRequest.kind == pair.kind,
                    MentoringRequest.state.in_(OPEN_REQUEST_STATES),
                )
            )
        )
        if has_open is None:
            session.add(
                MentoringRequest(
                    guild_id=pair.guild_id,
                    requester_id=pair.mentee_id,
                    kind=pair.kind,
                    focus=list(original.focus) if original else [],
                    language=original.language if original else None,
                    note=original.note if original else None,
                    state=WAITING,
                    priority=FRONT_OF_LIST,
                    queued_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        await enqueue(
            session,
            target=dm(pair.mentee_id),
            message=OutgoingMessage(content=texts.mentee_back_on_waitlist(pair.kind)),
            purpose=NOTICE_PURPOSE,
            subject_id=pair.id,
            guild_id=pair.guild_id,
        )

    async def _pending(self, session: AsyncSession, guild_id: int, user_id: int) -> MentorProfile:
        profile = await lock_profile(session, guild_id, user_id)
        if profile is None or profile.state != PENDING:
            state = "has no application" if profile is None else f"is {profile.state}, not pending"
            raise NotFound(
                f"{texts.who(user_id)} {state}. `/mentors pending` lists the applications "
                "waiting for a decision."
            )
        return profile


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
