"""Accept and Decline on an offer: a second click, a click after expiry or a click on someone
else's offer gets a kind explanation and changes nothing.

Lock order as everywhere in mentoring: the server's matching lock, the offer row, then its
request, then the mentor's profile; each answer re-checks the state it finds under those locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import MentoringOffer, MentoringPair, MentoringRequest, MentorProfile
from bot.db.models.mentoring import (
    ACCEPTED,
    ACTIVE,
    APPROVED,
    DECLINED,
    EXPIRED,
    MATCHED,
    OFFERED,
    OPEN,
    WITHDRAWN,
)
from bot.scheduling import ledger
from bot.services.mentoring import spaces, texts
from bot.services.mentoring.matching_lock import guild_of, lock_matching
from bot.services.mentoring.offers import (
    EXPIRY_KIND,
    OfferFlow,
    lock,
    lock_profile,
)

ALREADY_ACCEPTED = "You've already accepted this offer; you're paired. `/mentor status` shows it."
ALREADY_DECLINED = "You declined this offer earlier, so it has gone to someone else."
ALREADY_EXPIRED = "This offer expired before it was answered, so it went to someone else."
NO_LONGER_OPEN = "This request isn't open any more, so there's nothing to answer. Thank you."
NOT_YOURS = "This offer was sent to someone else, so only they can answer it."
GONE = "I can't find this offer any more; nothing was changed."


@dataclass(frozen=True, slots=True)
class Answer:
    """What the clicker of Accept or Decline is told, and whether anything changed."""

    text: str
    changed: bool


class OfferAnswers:
    def __init__(self, database: Database, clock: Clock, offers: OfferFlow) -> None:
        self._db = database
        self._clock = clock
        self._offers = offers

    async def accept(self, offer_id: int, user_id: int) -> Answer:
        now = self._clock.now()
        async with self._db.transaction() as session:
            await self._lock_matching_of(session, offer_id, now)
            offer = await lock(session, MentoringOffer, offer_id)
            refusal = self._refusal(offer, user_id)
            if refusal is not None:
                return refusal
            assert offer is not None
            if now >= offer.expires_at:
                # The expiry is due but has not run yet (a busy or restarting bot): it counts.
                await self._offers.expire(session, offer, now)
                return Answer(ALREADY_EXPIRED, changed=True)
            request = await lock(session, MentoringRequest, offer.request_id)
            profile = await lock_profile(session, offer.guild_id, user_id)
            problem = await self._cannot_take(session, offer, request, profile)
            if problem is not None:
                offer.state = WITHDRAWN
                offer.decided_at = now
                await ledger.cancel(session, EXPIRY_KIND, offer.id)
                await self._offers.move_on(session, offer.request_id, now)
                await self._offers.settle_dm(session, offer)
                return Answer(problem, changed=True)
            assert request is not None
            assert profile is not None
            offer.state = ACCEPTED
            offer.decided_at = now
            await ledger.cancel(session, EXPIRY_KIND, offer.id)
            request.state = MATCHED
            request.updated_at = now
            profile.consecutive_expiries = 0
            pair = MentoringPair(
                guild_id=offer.guild_id,
                mentee_id=request.requester_id,
                mentor_id=user_id,
                kind=request.kind,
                request_id=request.id,
                state=ACTIVE,
                started_at=now,
            )
            session.add(pair)
            await session.flush()
            await spaces.open_space(session, pair)
            await self._offers.settle_dm(session, offer)
            return Answer(
                f"Thank you for accepting. You're now {texts.who(request.requester_id)}'s "
                f"{texts.kind_word(request.kind)}; I'm introducing you to each other now.",
                changed=True,
            )

    async def decline(self, offer_id: int, user_id: int) -> Answer:
        now = self._clock.now()
        async with self._db.transaction() as session:
            await self._lock_matching_of(session, offer_id, now)
            offer = await lock(session, MentoringOffer, offer_id)
            refusal = self._refusal(offer, user_id)
            if refusal is not None:
                return refusal
            assert offer is not None
            if now >= offer.expires_at:
                await self._offers.expire(session, offer, now)
                return Answer(ALREADY_EXPIRED, changed=True)
            offer.state = DECLINED
            offer.decided_at = now
            await ledger.cancel(session, EXPIRY_KIND, offer.id)
            await lock(session, MentoringRequest, offer.request_id)  # the lock order
            profile = await lock_profile(session, offer.guild_id, user_id)
            if profile is not None:
                profile.consecutive_expiries = 0  # an answer, even a no, is a response
            await self._offers.move_on(session, offer.request_id, now)
            await self._offers.settle_dm(session, offer)
            return Answer(
                "Thanks for letting me know. It's gone to someone else, and the member won't be "
                "told who declined.",
                changed=True,
            )

    @staticmethod
    async def _lock_matching_of(session: AsyncSession, offer_id: int, now: datetime) -> None:
        """The offer's server's matching lock, before the offer's own: an answer (or an expiry
        it finds due) moves the request on."""
        guild_id = await guild_of(session, MentoringOffer, offer_id)
        if guild_id is not None:
            await lock_matching(session, guild_id, now)

    def _refusal(self, offer: MentoringOffer | None, user_id: int) -> Answer | None:
        if offer is None:
            return Answer(GONE, changed=False)
        if offer.mentor_id != user_id:
            return Answer(NOT_YOURS, changed=False)
        if offer.state == ACCEPTED:
            return Answer(ALREADY_ACCEPTED, changed=False)
        if offer.state == DECLINED:
            return Answer(ALREADY_DECLINED, changed=False)
        if offer.state == EXPIRED:
            return Answer(ALREADY_EXPIRED, changed=False)
        if offer.state != OPEN:
            return Answer(NO_LONGER_OPEN, changed=False)
        return None

    async def _cannot_take(
        self,
        session: AsyncSession,
        offer: MentoringOffer,
        request: MentoringRequest | None,
        profile: MentorProfile | None,
    ) -> str | None:
        if request is None or request.state != OFFERED:
            return NO_LONGER_OPEN
        if profile is None or profile.state != APPROVED:
            return "You're not an approved mentor here any more, so this offer was passed on."
        active = await session.scalar(
            select(func.count())
            .select_from(MentoringPair)
            .where(
                MentoringPair.guild_id == offer.guild_id,
                MentoringPair.mentor_id == profile.user_id,
                MentoringPair.state == ACTIVE,
            )
        )
        if (active or 0) >= profile.capacity:
            return (
                f"You're already supporting {profile.capacity} people, your capacity, so this "
                "offer was passed on to someone else. Thank you."
            )
        taken = await session.scalar(
            select(MentoringPair.id).where(
                MentoringPair.guild_id == offer.guild_id,
                MentoringPair.mentee_id == request.requester_id,
                MentoringPair.kind == request.kind,
                MentoringPair.state == ACTIVE,
            )
        )
        if taken is not None:
            return NO_LONGER_OPEN
        return None
