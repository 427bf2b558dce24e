"""Erasing a member while timed work handles that member's rows, on PostgreSQL with real
concurrency: an escalation step of their alert and their check-in prompt are held inside their
transactions (their rows locked) while `/privacy delete` runs. Nothing may deadlock, and nothing
the handlers wrote may outlive the erasure: no moderators' post about the alert, no next prompt,
no row naming the member.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import (
    CheckinAlert,
    CheckinMember,
    DueWork,
    MentoringOffer,
    MentoringRequest,
    OutboxMessage,
)
from bot.db.models.outbox import PENDING, WAITING
from bot.db.models.scheduling import PENDING as DUE_PENDING
from bot.scheduling.kinds import DueItem, KindRegistry, WorkKind
from bot.scheduling.runner import LedgerRunner
from bot.security.notes import NotesCipher
from bot.services.checkins.alerts import STEP_KIND
from bot.services.checkins.prompts import PROMPT_KIND
from bot.services.checkins.service import SetupChange
from bot.services.container import build_services
from bot.services.mentoring.offers import EXPIRY_KIND
from bot.services.privacy.registry import MemberRef
from tests.lock_waits import Gate, wait_until, waiting_on_locks
from tests.privacy_search import tables_holding

pytestmark = pytest.mark.postgres_only

GUILD, MOD, ALICE = 900_000_000_000_000_001, 200_000_000_000_000_002, 300_000_000_000_000_003
BOB = 600_000_000_000_000_006
ALERTS_CHANNEL, ON_CALL_ROLE = 400_000_000_000_000_004, 500_000_000_000_000_005
OPENED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
NINE = datetime(2026, 3, 1, 9, tzinfo=UTC)  # the moderators' step, her prompt and milestone


async def test_erasing_a_member_while_their_timed_work_runs_neither_deadlocks_nor_leaves_any(
    database: Database, database_url: URL
) -> None:
    clock = ManualClock(OPENED)
    cipher = NotesCipher([Fernet.generate_key()])
    services = build_services(database, clock, Settings(), cipher=cipher)
    await services.checkins.configure(
        GUILD, MOD, SetupChange(alerts_channel_id=ALERTS_CHANNEL, on_call_role_id=ON_CALL_ROLE)
    )
    await services.sobriety.set_counter(GUILD, ALICE, "2026-02-22")  # day 7 at 09:00
    await services.checkins.prompts.set_schedule(GUILD, ALICE, time="09:00", days=None)
    # No mentor: on-call is told at once, the moderators 30 minutes later, at 09:00.
    await services.checkins.submissions.submit(
        GUILD, ALICE, mood=2, craving=3, note="a hard morning", support=True
    )
    async with database.read() as session:
        alert_id = await session.scalar(select(CheckinAlert.id))
        member_row = await session.scalar(select(CheckinMember.id))
    assert alert_id is not None
    assert member_row is not None

    step_gate, prompt_gate = Gate(alert_id), Gate(member_row)
    gates = {STEP_KIND: step_gate, PROMPT_KIND: prompt_gate}
    kinds = [
        gates[kind.name].wrap(kind) if kind.name in gates else kind
        for kind in services.work_kinds()
    ]
    clock.set(NINE)
    # The step is urgent and claimed in a batch of its own; a second worker (another process)
    # takes the prompt while the first holds the step.
    runner = LedgerRunner(database, clock, KindRegistry(kinds), worker="runner")
    other = LedgerRunner(database, clock, KindRegistry(kinds), worker="other")
    batch = asyncio.create_task(runner.run_due())
    await asyncio.wait_for(step_gate.entered.wait(), timeout=20)
    other_batch = asyncio.create_task(other.run_due())
    await asyncio.wait_for(prompt_gate.entered.wait(), timeout=20)

    # The erasure comes from another process: beside the held urgent step this one lets a
    # single ordinary transaction in (bot/db/write_turns.py), and the prompt's handler has it.
    elsewhere = Database.connect(database_url)
    erasing = build_services(elsewhere, clock, Settings(), cipher=cipher).privacy
    erasure = asyncio.create_task(erasing.erase(MemberRef(GUILD, ALICE)))

    async def erasure_waits() -> bool:
        return erasure.done() or await waiting_on_locks(database) >= 1

    await wait_until(erasure_waits)
    # The step commits first, the prompt later: whatever the erasure has reached meanwhile,
    # it must still see the next prompt that the prompt's handler plans.
    step_gate.release.set()

    async def step_finished() -> bool:
        async with database.read() as session:
            state = await session.scalar(select(DueWork.state).where(DueWork.kind == STEP_KIND))
        return state != DUE_PENDING and await erasure_waits()

    await wait_until(step_finished)
    prompt_gate.release.set()
    outcomes = await asyncio.wait_for(
        asyncio.gather(erasure, batch, other_batch, return_exceptions=True), timeout=60
    )

    await elsewhere.dispose()
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert runner.last_run.errors == 0
    assert other.last_run.errors == 0
    assert await tables_holding(database, ALICE) == {}
    async with database.read() as session:
        pending_work = (
            await session.execute(
                select(DueWork.kind, DueWork.subject_id).where(DueWork.state == DUE_PENDING)
            )
        ).all()
        unsent = (
            await session.execute(
                select(OutboxMessage.purpose, OutboxMessage.target_kind).where(
                    OutboxMessage.state.in_([PENDING, WAITING])
                )
            )
        ).all()
    # Her next prompt, her alert's steps and her next milestone are gone with her.
    assert [tuple(row) for row in pending_work] == []
    # Neither the on-call post nor the moderators' post the held step wrote goes out.
    assert [tuple(row) for row in unsent] == []


async def test_erasing_a_mentor_while_their_offer_expires_does_not_deadlock(
    database: Database,
) -> None:
    """The expiry locks the server's matching lock, the offer, then its request, then the
    mentor's profile. Held with them, it must not wait for an erasure that locked any of them
    first: the two would wait for each other unless the erasure, too, starts with the matching
    lock and then the offer."""
    clock = ManualClock(OPENED)
    services = build_services(database, clock, Settings())
    mentoring = services.mentoring
    await mentoring.settings.configure(GUILD, MOD, offer_hours=1)
    await mentoring.applications.apply(GUILD, ALICE, kind="mentor")
    await mentoring.vetting.approve(GUILD, MOD, ALICE)
    await mentoring.requests.request(GUILD, BOB)
    async with database.read() as session:
        offer_id = await session.scalar(select(MentoringOffer.id))
    assert offer_id is not None

    holds_offer, release = asyncio.Event(), asyncio.Event()

    def held_after_the_offer(kind: WorkKind[Any]) -> WorkKind[Any]:
        original = kind.lock_subject

        async def lock(session: AsyncSession, item: DueItem) -> Any:
            subject = await original(session, item)
            holds_offer.set()
            await release.wait()
            return subject

        return replace(kind, lock_subject=lock)

    kinds = [
        held_after_the_offer(kind) if kind.name == EXPIRY_KIND else kind
        for kind in services.work_kinds()
    ]
    clock.set(OPENED + timedelta(hours=1))
    runner = LedgerRunner(database, clock, KindRegistry(kinds), worker="runner")
    batch = asyncio.create_task(runner.run_due())
    await asyncio.wait_for(holds_offer.wait(), timeout=20)

    erasure = asyncio.create_task(services.privacy.erase(MemberRef(GUILD, ALICE)))

    async def erasure_waits() -> bool:
        return erasure.done() or await waiting_on_locks(database) >= 1

    await wait_until(erasure_waits)
    release.set()
    outcomes = await asyncio.wait_for(
        asyncio.gather(erasure, batch, return_exceptions=True), timeout=60
    )

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert runner.last_run.errors == 0
    assert await tables_holding(database, ALICE) == {}
    async with database.read() as session:
        request_state = await session.scalar(
            select(MentoringRequest.state).where(MentoringRequest.requester_id == BOB)
        )
        pending_work = (
            await session.scalars(select(DueWork.kind).where(DueWork.state == DUE_PENDING))
        ).all()
    assert request_state == "waiting"  # Bob's request waits for another mentor
    assert list(pending_work) == []
