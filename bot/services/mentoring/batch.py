"""`/mentors match-waitlist`: the best assignment of the whole waitlist to the free places,
previewed to the moderator, then sent through the normal offer flow."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from sqlalchemy import select

from bot.clock import Clock
from bot.db import Database
from bot.db.models import MentoringRequest
from bot.db.models.mentoring import WAITING
from bot.domain import matching as m
from bot.domain.assignment import optimal
from bot.services import audit
from bot.services.mentoring.candidates import guild_zone, member_zone, to_request
from bot.services.mentoring.matching_lock import lock_matching
from bot.services.mentoring.offers import OfferFlow, lock

PREVIEW_PAIRS = 10


@dataclass(frozen=True, slots=True)
class BatchPair:
    request_id: int
    requester_id: int
    mentor_id: int
    points: int


@dataclass(frozen=True, slots=True)
class BatchPreview:
    waiting: int
    free_places: int
    pairs: tuple[BatchPair, ...]  # all of them, best first; show the first PREVIEW_PAIRS

    @property
    def average(self) -> float:
        return sum(p.points for p in self.pairs) / len(self.pairs) if self.pairs else 0.0


class BatchService:
    def __init__(self, database: Database, clock: Clock, offers: OfferFlow, default_zone: str):
        self._db = database
        self._clock = clock
        self._offers = offers
        self._default_zone = default_zone

    async def preview(self, guild_id: int) -> BatchPreview:
        """Changes nothing. The solve runs in a worker thread, off the event loop."""
        start = m.coming_week(self._clock.now())
        async with self._db.read() as session:
            fallback = await guild_zone(session, guild_id, self._default_zone)
            pool = await self._offers.pool.load(session, guild_id, start, fallback)
            rows = list(
                await session.scalars(
                    select(MentoringRequest)
                    .where(MentoringRequest.guild_id == guild_id, MentoringRequest.state == WAITING)
                    .order_by(
                        MentoringRequest.priority.desc(),
                        MentoringRequest.queued_at,
                        MentoringRequest.id,
                    )
                )
            )
            requests = []
            for row in rows:
                zone = await member_zone(session, guild_id, row.requester_id, fallback)
                requests.append(await to_request(session, row, zone, start))
        assignment = await asyncio.to_thread(optimal, requests, pool.mentors)
        request_of = {row.requester_id: row.id for row in rows}
        pairs = tuple(
            BatchPair(request_of[p.requester_id], p.requester_id, p.mentor_id, p.points)
            for p in assignment.pairs
        )
        places = sum(x.free for x in pool.mentors if x.approved and not x.paused)
        return BatchPreview(len(rows), places, pairs)

    async def send(self, guild_id: int, actor_id: int, pairs: tuple[BatchPair, ...]) -> int:
        """Offer each previewed pair that still holds (the request still waiting, the mentor
        still eligible); how many offers went out."""
        now = self._clock.now()
        start = m.coming_week(now)
        sent = 0
        async with self._db.transaction() as session:
            # The loads read here hold until commit: no other offer is made meanwhile.
            await lock_matching(session, guild_id, now)
            fallback = await guild_zone(session, guild_id, self._default_zone)
            pool = await self._offers.pool.load(session, guild_id, start, fallback)
            mentors = {x.user_id: x for x in pool.mentors}
            for pair in pairs:
                request = await lock(session, MentoringRequest, pair.request_id)
                mentor = mentors.get(pair.mentor_id)
                if request is None or request.guild_id != guild_id or mentor is None:
                    continue
                if request.state != WAITING:
                    continue
                zone = await member_zone(session, guild_id, request.requester_id, fallback)
                wanted = await to_request(session, request, zone, start)
                if not m.eligible(wanted, mentor):
                    continue
                candidate = m.Candidate(mentor, m.fit(wanted, mentor))
                await self._offers.offer_to(
                    session, request, candidate, pool.zones.get(mentor.user_id), now
                )
                mentors[mentor.user_id] = replace(mentor, load=mentor.load + 1)
                sent += 1
            await audit.record_action(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                action="mentors.match_waitlist",
                at=now,
            )
        return sent
