"""The offer flow: a request goes to its best candidate by DM (their answer: answers.py); a
decline, an expiry or an undeliverable DM moves it on to the next at once, and when nobody
fits it waits.

Lock order, everywhere: the server's matching lock (matching_lock.py), then the offer row, then
its request, then the mentor's profile. Every handler and click re-checks the state it found
under those locks, so a second click, a click after expiry and an expiry after a click each
change nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.base import Base
from bot.db.models import DueWork, MentoringOffer, MentoringRequest, MentorProfile
from bot.db.models.mentoring import (
    EXPIRED,
    OFFERED,
    OPEN,
    WAITING,
    WITHDRAWN,
)
from bot.delivery.outbox import OutgoingMessage, Target, enqueue, replace
from bot.domain import matching as m
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, Lateness, WorkKind
from bot.services.mentoring import texts
from bot.services.mentoring.buttons import offer_buttons
from bot.services.mentoring.candidates import (
    MentorPool,
    bump_pool,
    guild_zone,
    to_request,
    zones_of,
)
from bot.services.mentoring.matching_lock import guild_of, lock_matching
from bot.services.mentoring.notes import RequestNotes
from bot.services.mentoring.settings import MentoringSettingsService

EXPIRY_KIND = "mentoring.offer_expiry"
OFFER_PURPOSE = "mentoring.offer"
NOTICE_PURPOSE = "mentoring.notice"
INTRO_PURPOSE = "mentoring.intro"
EXPIRIES_BEFORE_PAUSE = 3


_Row = TypeVar("_Row", bound=Base)


async def lock(
    session: AsyncSession, model: type[_Row], row_id: int, *, skip_locked: bool = False
) -> _Row | None:
    """The row, read afresh and locked for this transaction (FOR UPDATE on PostgreSQL; on
    SQLite the write transaction already holds the database's write lock). With `skip_locked`,
    None if another transaction holds it."""
    primary_key = model.__mapper__.primary_key[0]
    found: _Row | None = await session.scalar(
        select(model)
        .where(primary_key == row_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return found


async def lock_profile(session: AsyncSession, guild_id: int, user_id: int) -> MentorProfile | None:
    found: MentorProfile | None = await session.scalar(
        select(MentorProfile)
        .where(MentorProfile.guild_id == guild_id, MentorProfile.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


def offer_message(
    offer: MentoringOffer, request: MentoringRequest, note: str | None
) -> OutgoingMessage:
    """The offer DM: open with Accept and Decline, or as it reads once closed. `note` is the
    request's note as decrypted (`RequestNotes.read`)."""
    closed = offer.state != OPEN
    return OutgoingMessage(
        content=texts.offer(
            requester_id=request.requester_id,
            kind=request.kind,
            focus=request.focus,
            language=request.language,
            note=note,
            reasons=offer.reasons,
            expires_at=offer.expires_at,
            outcome=texts.offer_outcome(offer.state) if closed else None,
        ),
        components=(offer_buttons(offer.id, disabled=closed),),
        private=note is not None,  # the note is stored only encrypted, in the outbox as well
    )


@dataclass(frozen=True, slots=True)
class LockedOffer:
    """An offer with its request and its mentor's profile, locked in mentoring's order."""

    offer: MentoringOffer
    request: MentoringRequest | None
    profile: MentorProfile | None


async def lock_offer(session: AsyncSession, item: DueItem) -> LockedOffer | None:
    """`lock_subject` of the expiry: the handler changes all three rows, so it receives them
    locked (the server's matching lock, the offer, then its request, then the profile, as
    every mentoring command does)."""
    guild_id = item.guild_id or await guild_of(session, MentoringOffer, item.subject_id)
    if guild_id is None:
        return None
    await lock_matching(session, guild_id, item.now)
    offer = await locks.lock_row(session, MentoringOffer, item.subject_id)
    if offer is None:
        return None
    request = await locks.lock_row(session, MentoringRequest, offer.request_id)
    profile = await lock_profile(session, offer.guild_id, offer.mentor_id)
    return LockedOffer(offer, request, profile)


def dm(user_id: int) -> Target:
    return Target("dm", user_id)


class OfferFlow:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: MentoringSettingsService,
        default_zone: str,
        notes: RequestNotes,
    ) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self._default_zone = default_zone
        self.notes = notes
        self.pool = MentorPool()

    def work_kinds(self) -> list[WorkKind[LockedOffer]]:
        # An offer that expired while the bot was down still has to move on at start.
        return [
            WorkKind(
                EXPIRY_KIND,
                lock_offer,
                self._expire_due,
                lateness=Lateness.DELIVER,
                rebuild=self.rebuild_expiries,
            )
        ]

    async def rebuild_expiries(self, now: datetime) -> Mapping[int | None, int]:
        """Every open offer has its expiry pending: re-plan any that has none (a failed row, a
        restored backup), so no request waits for ever on an offer nobody answers."""
        missing = select(MentoringOffer.id).where(
            MentoringOffer.state == OPEN,
            ~exists().where(
                DueWork.kind == EXPIRY_KIND,
                DueWork.subject_id == MentoringOffer.id,
                ledger.IS_PENDING,
            ),
        )
        async with self._db.read() as session:
            candidates = list(await session.scalars(missing))
        repaired: Counter[int | None] = Counter()
        for offer_id in candidates:
            async with self._db.transaction() as session:
                offer = await locks.lock_row(session, MentoringOffer, offer_id)
                if offer is None or (
                    await session.scalar(missing.where(MentoringOffer.id == offer_id)) is None
                ):
                    continue  # answered, or re-planned, since the read
                await ledger.schedule(
                    session, EXPIRY_KIND, offer.id, offer.expires_at, guild_id=offer.guild_id
                )
                repaired[offer.guild_id] += 1
        return repaired

    # -- offering -------------------------------------------------------------------------

    async def offer_next(
        self, session: AsyncSession, request: MentoringRequest, now: datetime
    ) -> MentoringOffer | None:
        """Offer a (locked) open request to its best candidate, or leave it waiting; under the
        server's matching lock, so that a mentor becoming free meanwhile is seen or serves it."""
        start = m.coming_week(now)
        fallback, zone = await zones_of(
            session, request.guild_id, request.requester_id, self._default_zone
        )
        pool = await self.pool.load(session, request.guild_id, start, fallback)
        wanted = await to_request(session, request, zone, start)
        candidate = pool.best(wanted)
        request.updated_at = now
        if candidate is None:
            request.state = WAITING
            return None
        return await self.offer_to(
            session, request, candidate, pool.zones.get(candidate.mentor.user_id), now
        )

    async def offer_to(
        self,
        session: AsyncSession,
        request: MentoringRequest,
        candidate: m.Candidate,
        mentor_zone: ZoneInfo | None,
        now: datetime,
    ) -> MentoringOffer:
        """Offer a (locked) open request to one eligible candidate: the DM with Accept and
        Decline, and its expiry as due work, in the caller's transaction."""
        settings = await self._settings.view_in(session, request.guild_id)
        start = m.coming_week(now)
        mentor_id = candidate.mentor.user_id
        names = {m.focus_key(name): name for name in settings.focus_list}
        names.update({m.focus_key(name): name for name in request.focus})
        reasons = m.explain(candidate.fit, focus_names=names, zone=mentor_zone, start=start)
        offer = MentoringOffer(
            request_id=request.id,
            guild_id=request.guild_id,
            mentor_id=mentor_id,
            state=OPEN,
            points=candidate.fit.total,
            reasons=reasons[:400],
            offered_at=now,
            expires_at=now + timedelta(hours=settings.offer_hours),
        )
        session.add(offer)
        await session.flush()
        offer.outbox_id = await enqueue(
            session,
            target=dm(mentor_id),
            message=offer_message(offer, request, self.notes.read(request)),
            purpose=OFFER_PURPOSE,
            subject_id=offer.id,
            guild_id=request.guild_id,
        )
        await ledger.schedule(
            session, EXPIRY_KIND, offer.id, offer.expires_at, guild_id=offer.guild_id
        )
        request.state = OFFERED
        request.updated_at = now
        return offer

    async def serve_waitlist(self, session: AsyncSession, guild_id: int, now: datetime) -> int:
        """Offer waiting requests, front of the list first, while any mentor has room; how
        many offers went out. Called when a mentor is approved, resumes or frees a place, in a
        transaction holding the server's matching lock (so it sees every request left waiting
        by a transaction that committed before)."""
        waiting = list(
            await session.scalars(
                select(MentoringRequest.id)
                .where(MentoringRequest.guild_id == guild_id, MentoringRequest.state == WAITING)
                .order_by(
                    MentoringRequest.priority.desc(),
                    MentoringRequest.queued_at,
                    MentoringRequest.id,
                )
            )
        )
        sent = 0
        for request_id in waiting:
            # Mentoring's transactions that lock requests hold the matching lock too, so none
            # is held here; one that is (by a transaction without it) is being changed there,
            # and waiting for it gains nothing.
            request = await lock(session, MentoringRequest, request_id, skip_locked=True)
            if request is None or request.state != WAITING:
                continue
            if await self.offer_next(session, request, now) is not None:
                sent += 1
                continue
            fallback = await guild_zone(session, guild_id, self._default_zone)
            if not (
                await self.pool.load(session, guild_id, m.coming_week(now), fallback)
            ).has_room():
                break
        return sent

    async def move_on(self, session: AsyncSession, request_id: int, now: datetime) -> None:
        """After an offer closed unaccepted: the next candidate, or the requester is told the
        request is waiting. The mentor's place it held is free again, so the waitlist is served
        too."""
        request = await lock(session, MentoringRequest, request_id)
        if request is None or request.state not in (OFFERED, WAITING):
            return
        if await self.offer_next(session, request, now) is None:
            await enqueue(
                session,
                target=dm(request.requester_id),
                message=OutgoingMessage(content=texts.still_looking(request.kind)),
                purpose=NOTICE_PURPOSE,
                subject_id=request.id,
                guild_id=request.guild_id,
            )
        await self.serve_waitlist(session, request.guild_id, now)

    async def lock_matching_to_erase(self, session: AsyncSession, guild_id: int) -> None:
        """The server's matching lock (matching_lock.py) for an erasure, which does not mark a
        server that never used mentoring as using it."""
        await lock_matching(session, guild_id, self._clock.now(), create=False)

    async def after_erasure(
        self, session: AsyncSession, guild_id: int, *, mentor_erased: bool
    ) -> None:
        """A member's mentoring rows were erased under the matching lock: a mentor leaves the
        pool, and the waitlist is served (requests offered to them wait again)."""
        now = self._clock.now()
        if mentor_erased:
            await bump_pool(session, guild_id, now)
        await self.serve_waitlist(session, guild_id, now)

    # -- closing offers -------------------------------------------------------------------

    async def _expire_due(self, session: AsyncSession, item: DueItem, locked: LockedOffer) -> None:
        # Answered (or withdrawn) since the expiry was planned: nothing to do.
        if locked.offer.state != OPEN:
            return
        await self.expire(session, locked.offer, item.now)

    async def expire(self, session: AsyncSession, offer: MentoringOffer, now: datetime) -> None:
        """Close a locked open offer as expired; three in a row pause the mentor."""
        offer.state = EXPIRED
        offer.decided_at = now
        await ledger.cancel(session, EXPIRY_KIND, offer.id)
        request_id = offer.request_id
        request = await lock(session, MentoringRequest, request_id)
        profile = await lock_profile(session, offer.guild_id, offer.mentor_id)
        if profile is not None:
            profile.consecutive_expiries += 1
            if profile.consecutive_expiries >= EXPIRIES_BEFORE_PAUSE and not profile.paused:
                profile.paused = True
                profile.paused_until = None
                profile.updated_at = now
                await bump_pool(session, profile.guild_id, now)
                await enqueue(
                    session,
                    target=dm(profile.user_id),
                    message=OutgoingMessage(content=texts.paused_after_expiries()),
                    purpose=NOTICE_PURPOSE,
                    subject_id=profile.id,
                    guild_id=profile.guild_id,
                )
        del request  # locked in order above; _move_on reads it again under that lock
        await self.move_on(session, request_id, now)
        await self.settle_dm(session, offer)

    async def settle_dm(self, session: AsyncSession, offer: MentoringOffer) -> None:
        """Once an offer has closed, its DM says how (buttons greyed out): edited after it was
        sent, or changed in place if it has not gone yet. Call last in the transaction: it
        locks the outbox row, which comes after every domain and due-work lock."""
        request = await session.get(MentoringRequest, offer.request_id)
        if offer.outbox_id is None or request is None:
            return
        message = offer_message(offer, request, self.notes.read(request))
        try:
            await replace(session, offer.outbox_id, message)
        except LookupError:
            return  # the row was pruned a week after it was sent: nothing left to tidy

    async def offer_undeliverable(
        self, session: AsyncSession, subject_id: int | None, reason: str
    ) -> None:
        """The offer DM could not reach the mentor (DMs closed): pass the request on, without
        counting it against the mentor as an expiry."""
        if subject_id is None:
            return
        guild_id = await guild_of(session, MentoringOffer, subject_id)
        if guild_id is None:
            return
        now = self._clock.now()
        await lock_matching(session, guild_id, now)
        offer = await lock(session, MentoringOffer, subject_id)
        if offer is None or offer.state != OPEN:
            return
        offer.state = WITHDRAWN
        offer.decided_at = now
        await ledger.cancel(session, EXPIRY_KIND, offer.id)
        await self.move_on(session, offer.request_id, now)

    async def open_offer_of(self, session: AsyncSession, request_id: int) -> MentoringOffer | None:
        """The request's open offer, locked (lock it before the request)."""
        offer_id = await session.scalar(
            select(MentoringOffer.id).where(
                MentoringOffer.request_id == request_id, MentoringOffer.state == OPEN
            )
        )
        if offer_id is None:
            return None
        offer = await lock(session, MentoringOffer, offer_id)
        return offer if offer is not None and offer.state == OPEN else None

    async def withdraw(self, session: AsyncSession, offer: MentoringOffer, now: datetime) -> None:
        """Close a locked open offer without moving its request on (the caller decides, and
        calls `settle_dm` last)."""
        offer.state = WITHDRAWN
        offer.decided_at = now
        await ledger.cancel(session, EXPIRY_KIND, offer.id)

    async def lock_open_offers(
        self, session: AsyncSession, guild_id: int, mentor_id: int
    ) -> list[MentoringOffer]:
        """A mentor's open offers and their requests, locked in the lock order, so that the
        caller may lock the mentor's profile next."""
        ids = list(
            await session.scalars(
                select(MentoringOffer.id)
                .where(
                    MentoringOffer.guild_id == guild_id,
                    MentoringOffer.mentor_id == mentor_id,
                    MentoringOffer.state == OPEN,
                )
                .order_by(MentoringOffer.id)
            )
        )
        offers = [await lock(session, MentoringOffer, offer_id) for offer_id in ids]
        still_open = [offer for offer in offers if offer is not None and offer.state == OPEN]
        for offer in still_open:
            await lock(session, MentoringRequest, offer.request_id)
        return still_open

    async def withdraw_open_offers(
        self, session: AsyncSession, guild_id: int, mentor_id: int, now: datetime
    ) -> None:
        """Close a mentor's open offers (they were removed) and pass each request on."""
        closed = await self.lock_open_offers(session, guild_id, mentor_id)
        for offer in closed:
            offer.state = WITHDRAWN
            offer.decided_at = now
            await ledger.cancel(session, EXPIRY_KIND, offer.id)
            await self.move_on(session, offer.request_id, now)
        for offer in closed:
            await self.settle_dm(session, offer)
