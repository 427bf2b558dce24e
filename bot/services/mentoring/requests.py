"""Asking for a mentor or sponsor, seeing where things stand, ending a pairing, and the direct
pairings moderators make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import MentoringPair, MentoringRequest, MentorProfile
from bot.db.models.mentoring import (
    ACTIVE,
    APPROVED,
    ENDED,
    MATCHED,
    OPEN_REQUEST_STATES,
    WAITING,
)
from bot.delivery.outbox import OutgoingMessage, enqueue
from bot.domain import matching as m
from bot.domain.languages import parse_language
from bot.domain.matching_input import parse_focus, parse_text
from bot.errors import InvalidInput, NotFound
from bot.services import audit
from bot.services.mentoring import spaces, texts
from bot.services.mentoring.applications import Application, ApplicationService, parse_kind
from bot.services.mentoring.buttons import request_again_button
from bot.services.mentoring.matching_lock import guild_of, lock_matching
from bot.services.mentoring.offers import (
    NOTICE_PURPOSE,
    OfferFlow,
    dm,
    lock,
    lock_profile,
)
from bot.services.mentoring.settings import MentoringSettingsService


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    request_id: int
    state: str  # "offered" or "waiting"
    text: str


@dataclass(frozen=True, slots=True)
class PairView:
    pair_id: int
    kind: str
    mentee_id: int
    mentor_id: int
    started_at: datetime


@dataclass(frozen=True, slots=True)
class RequestView:
    kind: str
    state: str  # waiting or offered; who it is offered to is not shown to the requester
    since: datetime


@dataclass(frozen=True, slots=True)
class Status:
    mentors: list[PairView]  # the member's mentor and sponsor
    mentees: list[PairView]
    requests: list[RequestView]
    application: Application | None


@dataclass(frozen=True, slots=True)
class PairToEnd:
    """What `/mentor end` will end, shown on its confirm button before anything changes."""

    pair_id: int
    other_id: int
    kind: str
    as_mentee: bool


async def _active_mentor(
    session: AsyncSession, guild_id: int, mentee_id: int, kind: str
) -> int | None:
    """The mentor (or sponsor) `mentee_id` is actively paired with for `kind`, if any."""
    return await session.scalar(
        select(MentoringPair.mentor_id).where(
            MentoringPair.guild_id == guild_id,
            MentoringPair.mentee_id == mentee_id,
            MentoringPair.kind == kind,
            MentoringPair.state == ACTIVE,
        )
    )


class RequestService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: MentoringSettingsService,
        offers: OfferFlow,
        applications: ApplicationService,
    ) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self._offers = offers
        self._applications = applications

    async def request(
        self,
        guild_id: int,
        user_id: int,
        *,
        kind: str | None = None,
        raw_focus: str | None = None,
        raw_language: str | None = None,
        raw_note: str | None = None,
    ) -> RequestOutcome:
        chosen = parse_kind(kind)
        language = parse_language(raw_language) if raw_language and raw_language.strip() else None
        note = parse_text(raw_note, what="note")
        now = self._clock.now()
        try:
            async with self._db.transaction() as session:
                # Whether it is offered or waits is decided under the matching lock, so a
                # mentor resuming meanwhile either is in the pool read here or serves it.
                await lock_matching(session, guild_id, now)
                settings = await self._settings.view_in(session, guild_id)
                focus = parse_focus(raw_focus, settings.focus_list)
                await self._refuse_duplicate(session, guild_id, user_id, chosen)
                request = MentoringRequest(
                    guild_id=guild_id,
                    requester_id=user_id,
                    kind=chosen,
                    focus=list(focus),
                    language=language,
                    sealed_note=self._offers.notes.seal(note),
                    state=WAITING,
                    priority=0,
                    queued_at=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(request)
                await session.flush()
                offer = await self._offers.offer_next(session, request, now)
                text = texts.request_offered(chosen) if offer else texts.request_waiting(chosen)
                return RequestOutcome(request.id, request.state, text)
        except IntegrityError:
            # Two requests at once: the partial unique index let only one in.
            raise InvalidInput(_OPEN_ALREADY.format(kind=texts.kind_word(chosen))) from None

    async def _refuse_duplicate(
        self, session: AsyncSession, guild_id: int, user_id: int, kind: str
    ) -> None:
        active = await _active_mentor(session, guild_id, user_id, kind)
        if active is not None:
            raise InvalidInput(
                f"You already have a {texts.kind_word(kind)}, {texts.who(active)}. To ask for a "
                "different one, first end that pairing with `/mentor end`."
            )
        open_request = await session.scalar(
            select(MentoringRequest.id).where(
                MentoringRequest.guild_id == guild_id,
                MentoringRequest.requester_id == user_id,
                MentoringRequest.kind == kind,
                MentoringRequest.state.in_(OPEN_REQUEST_STATES),
            )
        )
        if open_request is not None:
            raise InvalidInput(_OPEN_ALREADY.format(kind=texts.kind_word(kind)))

    async def status(self, guild_id: int, user_id: int) -> Status:
        async with self._db.read() as session:
            pairs = list(
                await session.scalars(
                    select(MentoringPair)
                    .where(
                        MentoringPair.guild_id == guild_id,
                        MentoringPair.state == ACTIVE,
                        or_(MentoringPair.mentee_id == user_id, MentoringPair.mentor_id == user_id),
                    )
                    .order_by(MentoringPair.started_at, MentoringPair.id)
                )
            )
            requests = list(
                await session.scalars(
                    select(MentoringRequest)
                    .where(
                        MentoringRequest.guild_id == guild_id,
                        MentoringRequest.requester_id == user_id,
                        MentoringRequest.state.in_(OPEN_REQUEST_STATES),
                    )
                    .order_by(MentoringRequest.id)
                )
            )
        views = [PairView(p.id, p.kind, p.mentee_id, p.mentor_id, p.started_at) for p in pairs]
        return Status(
            mentors=[v for v in views if v.mentee_id == user_id],
            mentees=[v for v in views if v.mentor_id == user_id],
            requests=[RequestView(r.kind, r.state, r.created_at) for r in requests],
            application=await self._applications.mine(guild_id, user_id),
        )

    # -- ending a pairing -------------------------------------------------------------------

    async def plan_end(
        self, guild_id: int, user_id: int, member_id: int | None = None
    ) -> PairToEnd:
        """Which pairing `/mentor end [member]` means; changes nothing."""
        async with self._db.read() as session:
            pairs = list(
                await session.scalars(
                    select(MentoringPair)
                    .where(
                        MentoringPair.guild_id == guild_id,
                        MentoringPair.state == ACTIVE,
                        or_(MentoringPair.mentee_id == user_id, MentoringPair.mentor_id == user_id),
                    )
                    .order_by(MentoringPair.id)
                )
            )
        if member_id is not None:
            pairs = [p for p in pairs if member_id in (p.mentee_id, p.mentor_id)]
            if not pairs:
                raise NotFound(f"You don't have a pairing with {texts.who(member_id)}.")
        else:
            as_mentee = [p for p in pairs if p.mentee_id == user_id]
            if not pairs:
                raise NotFound("You don't have a mentoring pairing to end.")
            if len(as_mentee) == 1:
                pairs = as_mentee
            elif len(as_mentee) > 1:
                raise InvalidInput(
                    "You have a mentor and a sponsor; name which one to end with `member:`."
                )
            elif len(pairs) > 1:
                raise InvalidInput("Please name which mentee to end with, using `member:`.")
        pair = pairs[0]
        mentee = pair.mentee_id == user_id
        return PairToEnd(pair.id, pair.mentor_id if mentee else pair.mentee_id, pair.kind, mentee)

    async def end(self, pair_id: int, user_id: int) -> PairToEnd:
        """End a pairing after its confirm button; a second click changes nothing."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            guild_id = await guild_of(session, MentoringPair, pair_id)
            if guild_id is not None:
                await lock_matching(session, guild_id, now)  # it serves the waitlist
            pair = await lock(session, MentoringPair, pair_id)
            if pair is None or user_id not in (pair.mentee_id, pair.mentor_id):
                raise NotFound("You don't have this pairing.")
            if pair.state != ACTIVE:
                raise InvalidInput("This pairing has already ended; nothing more was changed.")
            by_mentee = pair.mentee_id == user_id
            pair.state = ENDED
            pair.ended_at = now
            pair.ended_by = user_id
            await spaces.close_space(session, pair)
            other = pair.mentor_id if by_mentee else pair.mentee_id
            components = () if by_mentee else (request_again_button(pair.guild_id, pair.kind),)
            await enqueue(
                session,
                target=dm(other),
                message=OutgoingMessage(
                    content=texts.pairing_ended_for_other(pair.kind, by_mentee),
                    components=components,
                ),
                purpose=NOTICE_PURPOSE,
                subject_id=pair.id,
                guild_id=pair.guild_id,
            )
            await session.flush()
            # The mentor has a free place again.
            await self._offers.serve_waitlist(session, pair.guild_id, now)
            return PairToEnd(pair.id, other, pair.kind, by_mentee)

    # -- moderators -------------------------------------------------------------------------

    async def assign(
        self,
        guild_id: int,
        actor_id: int,
        mentee_id: int,
        mentor_id: int,
        kind: str | None = None,
        *,
        override: bool = False,
    ) -> PairView:
        """A direct pairing, skipping the offer. A mentor who isn't approved, is paused or is
        at capacity is refused unless `override`."""
        chosen = parse_kind(kind)
        if mentee_id == mentor_id:
            raise InvalidInput("A member can't be their own mentor; choose two different people.")
        now = self._clock.now()
        async with self._db.transaction() as session:
            # It takes a mentor's place: no offer may be made to them meanwhile.
            await lock_matching(session, guild_id, now)
            open_request = await session.scalar(
                select(MentoringRequest.id).where(
                    MentoringRequest.guild_id == guild_id,
                    MentoringRequest.requester_id == mentee_id,
                    MentoringRequest.kind == chosen,
                    MentoringRequest.state.in_(OPEN_REQUEST_STATES),
                )
            )
            # Lock order: the matching lock, the request's open offer, the request, then the
            # mentor's profile.
            open_offer = None
            if open_request is not None:
                open_offer = await self._offers.open_offer_of(session, open_request)
            request = await lock(session, MentoringRequest, open_request) if open_request else None
            profile = await lock_profile(session, guild_id, mentor_id)
            self._check_assignable(profile, mentor_id, chosen, override)
            load = await _active_load(session, guild_id, mentor_id)
            capacity = profile.capacity if profile is not None else 0
            if load >= capacity and not override:
                raise InvalidInput(
                    f"{texts.who(mentor_id)} is at capacity ({load} of {capacity}). To pair them "
                    "anyway, run the command again with `override:True`."
                )
            taken = await _active_mentor(session, guild_id, mentee_id, chosen)
            if taken is not None:
                raise InvalidInput(
                    f"{texts.who(mentee_id)} already has a {texts.kind_word(chosen)}, "
                    f"{texts.who(taken)}; their pairing has to end first."
                )
            if open_offer is not None:
                await self._offers.withdraw(session, open_offer, now)
            if request is not None:
                request.state = MATCHED
                request.updated_at = now
            pair = MentoringPair(
                guild_id=guild_id,
                mentee_id=mentee_id,
                mentor_id=mentor_id,
                kind=chosen,
                request_id=request.id if request is not None else None,
                state=ACTIVE,
                started_at=now,
            )
            session.add(pair)
            await session.flush()
            await audit.record_action(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="mentors.assign",
                target_id=mentee_id,
                at=now,
            )
            await spaces.open_space(session, pair)
            if open_offer is not None:
                await self._offers.settle_dm(session, open_offer)
            return PairView(pair.id, chosen, mentee_id, mentor_id, now)

    @staticmethod
    def _check_assignable(
        profile: MentorProfile | None, mentor_id: int, kind: str, override: bool
    ) -> None:
        if override:
            return
        if profile is None or profile.state != APPROVED:
            raise InvalidInput(
                f"{texts.who(mentor_id)} isn't an approved mentor. To pair them anyway, run the "
                "command again with `override:True`."
            )
        if kind == m.SPONSOR and profile.kind != m.SPONSOR:
            raise InvalidInput(
                f"{texts.who(mentor_id)} is approved as a mentor, not a sponsor. To pair them "
                "anyway, run the command again with `override:True`."
            )
        if profile.paused:
            raise InvalidInput(
                f"{texts.who(mentor_id)} has paused new mentees. To pair them anyway, run the "
                "command again with `override:True`."
            )


async def _active_load(session: AsyncSession, guild_id: int, mentor_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(MentoringPair)
        .where(
            MentoringPair.guild_id == guild_id,
            MentoringPair.mentor_id == mentor_id,
            MentoringPair.state == ACTIVE,
        )
    )
    return int(count or 0)


_OPEN_ALREADY = (
    "You already have a request for a {kind} open; I'll message you as soon as someone accepts. "
    "`/mentor status` shows where it stands."
)
