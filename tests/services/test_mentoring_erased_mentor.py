"""A mentor who erased their data is never offered a request again, and the requests offered
to them move on at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import DueWork, MentoringOffer, MentoringRequest
from bot.db.models.scheduling import PENDING as DUE_PENDING
from bot.security.notes import NotesCipher, generate_key
from bot.services.container import Services, build_services
from bot.services.mentoring.offers import EXPIRY_KIND
from bot.services.privacy.registry import MemberRef

GUILD, MOD = 10, 99
ANA, BEN = 21, 22
DEV, ELI = 31, 32
NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
CIPHER = NotesCipher([generate_key().encode()])


@pytest.fixture
def services(database: Database) -> Services:
    return build_services(database, ManualClock(NOW), Settings(), CIPHER)


async def _mentor(services: Services, user_id: int) -> None:
    await services.mentoring.applications.apply(GUILD, user_id, kind="mentor")
    await services.mentoring.vetting.approve(GUILD, MOD, user_id)


async def test_an_erased_mentor_is_offered_nothing_more(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    async with database.read() as session:
        first = (await session.scalars(select(MentoringOffer))).one()
    erased = first.mentor_id
    await services.privacy.erase(MemberRef(GUILD, erased))
    await services.mentoring.requests.request(GUILD, ELI)
    async with database.read() as session:
        offers = list(await session.scalars(select(MentoringOffer)))
        states = dict(
            (
                await session.execute(select(MentoringRequest.requester_id, MentoringRequest.state))
            ).all()
        )
    # Nothing more goes to the mentor who erased their data (their cached place in the pool
    # included), and Dev's request, whose offer went with them, is with the other mentor now.
    other = BEN if erased == ANA else ANA
    assert [(o.mentor_id, o.state) for o in offers] == [(other, "open"), (other, "open")]
    assert states == {DEV: "offered", ELI: "offered"}
    # Each open offer still runs out in time (on SQLite the new offer for Dev may reuse the
    # erased one's id: its expiry must not go with the old one's).
    async with database.read() as session:
        expiring = set(
            await session.scalars(
                select(DueWork.subject_id).where(
                    DueWork.kind == EXPIRY_KIND, DueWork.state == DUE_PENDING
                )
            )
        )
    assert expiring == {o.id for o in offers}


async def test_erasing_a_member_where_mentoring_was_never_used_leaves_it_unused(
    services: Services,
) -> None:
    await services.privacy.erase(MemberRef(GUILD, DEV))
    # `/setup status` says nothing about mentoring in a server that has not used it.
    assert not (await services.mentoring.settings.view(GUILD)).in_use
