"""Moderators vetting applications, listing mentors and removing them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import (
    MentoringPair,
    MentoringRequest,
    MentorProfile,
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
from bot.delivery.outbox import OutgoingMessage, enqueue
from bot.domain.matching_input import (
    parse_text,
)
from bot.errors import NotFound
from bot.scheduling import ledger
from bot.services import audit
from bot.services.mentoring import spaces, texts
from bot.services.mentoring.applications import Application, parse_kind, to_application
from bot.services.mentoring.candidates import bump_pool
from bot.services.mentoring.matching_lock import lock_matching
from bot.services.mentoring.offers import NOTICE_PURPOSE, OfferFlow, dm, lock_profile
from bot.services.mentoring.pauses import RESUME_KIND
from bot.services.privacy.access import record_access

# A mentee whose mentor was removed goes back to the front of the waitlist.
FRONT_OF_LIST = 1


class VettingService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        offers: OfferFlow,
    ) -> None:
        self._db = database
        self._clock = clock
        self._offers = offers

    async def pending(self, guild_id: int, viewer_id: int) -> list[Application]:
        """The applications waiting for a decision, as moderator `viewer_id` is shown them:
        each one shown is noted in the applicant's access log, in the same transaction."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            rows = list(
                await session.scalars(
                    select(MentorProfile)
                    .where(MentorProfile.guild_id == guild_id, MentorProfile.state == PENDING)
                    .order_by(MentorProfile.applied_at, MentorProfile.id)
                )
            )
            for profile in rows:
                await record_access(
                    session,
                    guild_id=guild_id,
                    owner_id=profile.user_id,
                    viewer_id=viewer_id,
                    what="mentoring.application",
                    at=now,
                )
            return [to_application(p) for p in rows]

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
            return [to_application(p, int(n)) for p, n in rows]

    async def approve(self, guild_id: int, actor_id: int, user_id: int) -> Application:
        now = self._clock.now()
        async with self._db.transaction() as session:
            await lock_matching(session, guild_id, now)  # the new mentor serves the waitlist
            profile = await self._pending(session, guild_id, user_id)
            profile.state = APPROVED
            profile.decided_at = now
            profile.decided_by = actor_id
            profile.paused = False
            profile.consecutive_expiries = 0
            profile.updated_at = now
            await bump_pool(session, guild_id, now)
            await audit.record_action(
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
            return to_application(profile)

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
            await audit.record_action(
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
            return to_application(profile)

    async def remove(
        self, guild_id: int, actor_id: int, user_id: int, raw_reason: str | None = None
    ) -> int:
        """End an approved mentor's role and pairs; each mentee is told kindly and goes back to
        the front of the waitlist. How many pairs ended."""
        reason = parse_text(raw_reason, what="reason")
        now = self._clock.now()
        async with self._db.transaction() as session:
            # Lock order: the matching lock, the mentor's open offers and their requests, then
            # the profile.
            await lock_matching(session, guild_id, now)
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
            await audit.record_action(
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
        await spaces.close_space(session, pair)
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
                    # Copied as stored: sealed, or text not encrypted yet (sealed at start).
                    sealed_note=original.sealed_note if original else None,
                    plain_note=original.plain_note if original else None,
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
