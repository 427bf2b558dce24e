"""Mentor matching under real concurrency, on PostgreSQL: timed work and commands that decide
who is offered what, side by side.

An offer's expiry and another mentor's pause end used to run in two transactions that each read
before the other committed (READ COMMITTED): the expiry found the other mentor still paused and
left the request waiting, the pause end found the request still offered, and the member waited
for the next serve. Here both handlers are held just before their commits until each has either
done its work or is waiting on a lock the other holds, which forces exactly that interleaving
whenever the two can run through at once.

Every path that decides who is offered what takes the server's matching lock first; with an
expiry held inside its transaction, commands that answer, approve or change a mentor's zone
queue behind it and none deadlocks.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import MentoringOffer, MentoringRequest, MentorProfile, OutboxMessage
from bot.scheduling.kinds import DueItem, KindRegistry, WorkKind
from bot.scheduling.runner import LedgerRunner
from bot.security.notes import NotesCipher, generate_key
from bot.services.container import Services, build_services
from bot.services.mentoring.offers import EXPIRY_KIND, OFFER_PURPOSE
from bot.services.mentoring.pauses import RESUME_KIND
from tests.lock_waits import Gate, wait_until, waiting_on_locks

pytestmark = pytest.mark.postgres_only

GUILD, MOD = 10, 99
ANA, BEN, CARA = 21, 22, 23  # mentors
DEV, ELI = 31, 32  # ask for a mentor
NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
CIPHER = NotesCipher([generate_key().encode()])


class HeldBeforeCommit:
    """Holds the handlers of chosen subjects after they ran, inside their transactions (their
    locks held, nothing committed), until let go."""

    def __init__(self, subjects: dict[str, int]) -> None:
        self.subjects = subjects  # kind name -> subject id
        self.finished = 0
        self.release = asyncio.Event()

    def wrap(self, kind: WorkKind[Any]) -> WorkKind[Any]:
        if kind.name not in self.subjects:
            return kind
        original, subject_id = kind.handle, self.subjects[kind.name]

        async def held(session: AsyncSession, item: DueItem, subject: Any) -> None:
            await original(session, item, subject)
            if item.subject_id == subject_id:
                self.finished += 1
                await self.release.wait()

        return replace(kind, handle=held)


async def _offers(database: Database) -> list[MentoringOffer]:
    async with database.read() as session:
        return list(await session.scalars(select(MentoringOffer).order_by(MentoringOffer.id)))


async def _offer_dms(database: Database, user_id: int) -> int:
    async with database.read() as session:
        rows = await session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.target_kind == "dm",
                OutboxMessage.target_id == user_id,
                OutboxMessage.purpose == OFFER_PURPOSE,
            )
        )
        return len(list(rows))


async def _profile_id(database: Database, user_id: int) -> int:
    async with database.read() as session:
        found = await session.scalar(
            select(MentorProfile.id).where(
                MentorProfile.guild_id == GUILD, MentorProfile.user_id == user_id
            )
        )
    assert found is not None
    return found


async def _mentor(services: Services, user_id: int) -> None:
    await services.mentoring.applications.apply(GUILD, user_id, kind="mentor")
    await services.mentoring.vetting.approve(GUILD, MOD, user_id)


async def test_an_offer_expiring_while_another_mentors_pause_ends_goes_to_that_mentor_at_once(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    services = build_services(database, clock, Settings(), CIPHER)
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    (first,) = await _offers(database)
    other = BEN if first.mentor_id == ANA else ANA
    await services.mentoring.pauses.pause(GUILD, other, "2026-03-10")
    # Nine days on, the offer's expiry (a day after it was made) and the pause's end are both
    # due, and the runner handles them side by side in one batch.
    clock.advance(timedelta(days=9))
    held = HeldBeforeCommit(
        {EXPIRY_KIND: first.id, RESUME_KIND: await _profile_id(database, other)}
    )
    kinds = KindRegistry([held.wrap(kind) for kind in services.work_kinds()])
    runner = LedgerRunner(database, clock, kinds, worker="runner")
    batch = asyncio.create_task(runner.run_due())

    async def both_ran_or_one_waits() -> bool:
        return held.finished + await waiting_on_locks(database) >= len(held.subjects)

    await wait_until(both_ran_or_one_waits)
    held.release.set()
    await batch

    assert runner.last_run.errors == 0
    assert runner.last_run.handled == 2
    offers = await _offers(database)
    assert [(o.mentor_id, o.state) for o in offers] == [
        (first.mentor_id, "expired"),
        (other, "open"),
    ]
    async with database.read() as session:
        request = await session.get(MentoringRequest, first.request_id)
    assert request is not None
    assert request.state == "offered"
    # The mentor back from their pause is sent the offer now, not at the next day's repair.
    assert await _offer_dms(database, other) == 1


async def test_commands_beside_a_held_offer_expiry_neither_deadlock_nor_leave_a_request_waiting(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    services = build_services(database, clock, Settings(), CIPHER)
    mentoring = services.mentoring
    await mentoring.settings.configure(GUILD, MOD, offer_hours=1)
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await mentoring.applications.apply(GUILD, CARA, kind="mentor")  # waits for a moderator
    await mentoring.requests.request(GUILD, DEV)
    clock.advance(timedelta(minutes=30))
    await mentoring.requests.request(GUILD, ELI)
    first, second = await _offers(database)
    clock.advance(timedelta(minutes=30))  # Dev's offer has expired, Eli's has half an hour

    gate = Gate(first.id)
    kinds = KindRegistry(
        [gate.wrap(kind) if kind.name == EXPIRY_KIND else kind for kind in services.work_kinds()]
    )
    runner = LedgerRunner(database, clock, kinds, worker="runner")
    batch = asyncio.create_task(runner.run_due())
    await asyncio.wait_for(gate.entered.wait(), timeout=20)
    # Three at once beside the held expiry: PostgreSQL lets four ordinary transactions in.
    commands = [
        asyncio.create_task(mentoring.answers.decline(second.id, second.mentor_id)),
        asyncio.create_task(services.settings.set_member_timezone(GUILD, ANA, "Asia/Tokyo")),
        asyncio.create_task(mentoring.vetting.approve(GUILD, MOD, CARA)),
    ]

    async def settled() -> bool:
        running = sum(not task.done() for task in commands)
        return running == 0 or await waiting_on_locks(database) >= running

    await wait_until(settled)
    gate.release.set()
    outcomes = await asyncio.gather(*commands, return_exceptions=True)
    await batch

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert runner.last_run.errors == 0
    states = {o.id: o.state for o in await _offers(database)}
    assert (states[first.id], states[second.id]) == ("expired", "declined")
    async with database.read() as session:
        requests = {
            r.requester_id: r.state for r in await session.scalars(select(MentoringRequest))
        }
        cara = await session.scalar(
            select(MentorProfile.state).where(MentorProfile.user_id == CARA)
        )
    assert cara == "approved"
    # Each request moved on to a mentor with room (Cara, or whoever it was not offered to yet),
    # whichever of the four committed first.
    assert requests == {DEV: "offered", ELI: "offered"}
