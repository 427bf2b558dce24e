"""Mentoring on a real database: applications, vetting, requests, offers, expiry, pairs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import ColumnElement, delete, func, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.base import Base
from bot.db.models import (
    AccessLogEntry,
    AuditLog,
    DueWork,
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentorProfile,
    OutboxMessage,
    SobrietyCounter,
)
from bot.db.models.scheduling import PENDING as DUE_PENDING
from bot.delivery import sealing
from bot.errors import InvalidInput, NotFound
from bot.scheduling.kinds import KindRegistry
from bot.scheduling.rebuild import rebuild_all
from bot.scheduling.runner import LedgerRunner
from bot.security.notes import NotesCipher, generate_key
from bot.services.container import Services, build_services
from bot.services.mentoring.candidates import bump_pool
from bot.services.mentoring.offers import EXPIRY_KIND, OFFER_PURPOSE
from bot.services.mentoring.pauses import RESUME_KIND
from bot.services.privacy.registry import MemberRef

GUILD, MOD = 10, 99
ANA, BEN, CARA = 21, 22, 23  # mentors
DEV, ELI = 31, 32  # people asking for support
NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


# Request notes are encrypted: one key for the test, and no key file made as a side effect.
CIPHER = NotesCipher([generate_key().encode()])


@pytest.fixture
def services(database: Database, clock: ManualClock) -> Services:
    return build_services(database, clock, Settings(), CIPHER)


def _runner(database: Database, clock: ManualClock, services: Services) -> LedgerRunner:
    return LedgerRunner(database, clock, KindRegistry(services.work_kinds()))


async def _mentor(
    services: Services,
    user_id: int,
    *,
    capacity: int | None = None,
    raw_focus: str | None = None,
    raw_languages: str | None = None,
    raw_availability: str | None = None,
) -> None:
    await services.mentoring.applications.apply(
        GUILD,
        user_id,
        kind="mentor",
        capacity=capacity,
        raw_focus=raw_focus,
        raw_languages=raw_languages,
        raw_availability=raw_availability,
    )
    await services.mentoring.vetting.approve(GUILD, MOD, user_id)


async def _dms(database: Database, user_id: int, purpose: str | None = None) -> list[str]:
    query = select(OutboxMessage).where(
        OutboxMessage.target_kind == "dm", OutboxMessage.target_id == user_id
    )
    if purpose is not None:
        query = query.where(OutboxMessage.purpose == purpose)
    async with database.read() as session:
        rows = (await session.scalars(query.order_by(OutboxMessage.id))).all()
    # As sent: a message that shows a note keeps it encrypted in the outbox.
    return [sealing.opened(row.payload)["content"] for row in rows]


async def _offers(database: Database) -> list[MentoringOffer]:
    async with database.read() as session:
        return list(await session.scalars(select(MentoringOffer).order_by(MentoringOffer.id)))


async def _open_offer(database: Database) -> MentoringOffer:
    found = [offer for offer in await _offers(database) if offer.state == "open"]
    assert len(found) == 1
    return found[0]


async def _count(database: Database, model: type[Base], *where: ColumnElement[bool]) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_an_application_waits_for_a_moderator_and_approval_is_audited(
    services: Services, database: Database
) -> None:
    await services.mentoring.settings.configure(GUILD, MOD, review_channel_id=555)
    result = await services.mentoring.applications.apply(
        GUILD,
        ANA,
        kind="mentor",
        capacity=3,
        raw_focus="alcohol, Family",
        raw_languages="English, es",
        raw_availability="18:00-22:00",
        raw_about="Five years sober, night-shift nurse.",
    )
    assert result.application.state == "pending"
    assert result.application.focus == ("alcohol", "family")
    assert result.application.languages == ("en", "es")
    assert [a.user_id for a in await services.mentoring.vetting.pending(GUILD, MOD)] == [ANA]
    async with database.read() as session:
        # The moderator's look at Ana's application is in her access log (never its content).
        seen = (await session.scalars(select(AccessLogEntry))).one()
        assert (seen.owner_id, seen.viewer_id, seen.what) == (ANA, MOD, "mentoring.application")
        notice = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.target_id == 555))
        ).one()
    # The review channel is told who applied, not what they wrote about themselves.
    assert "<@21>" in notice.payload["content"]
    assert "nurse" not in notice.payload["content"]

    await services.mentoring.vetting.approve(GUILD, MOD, ANA)
    assert "approved" in (await _dms(database, ANA))[0]
    listing = await services.mentoring.vetting.listing(GUILD)
    assert [(a.user_id, a.load, a.paused) for a in listing] == [(ANA, 0, False)]
    async with database.read() as session:
        audit = (await session.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    assert [(row.actor_id, row.action, row.target_id) for row in audit] == [
        (MOD, "setup.mentoring", None),
        (MOD, "mentors.approve", ANA),
    ]


async def test_bad_applications_are_refused_and_change_nothing(
    services: Services, database: Database
) -> None:
    apply = services.mentoring.applications.apply
    with pytest.raises(InvalidInput, match="Did you mean `alcohol`"):
        await apply(GUILD, ANA, kind="mentor", raw_focus="alcohl")
    with pytest.raises(InvalidInput, match="1 to 10"):
        await apply(GUILD, ANA, kind="mentor", capacity=11)
    with pytest.raises(InvalidInput, match="24-hour clock"):
        await apply(GUILD, ANA, kind="mentor", raw_availability="evenings")
    with pytest.raises(InvalidInput, match="recognise"):
        await apply(GUILD, ANA, kind="mentor", raw_languages="Elvish")
    with pytest.raises(InvalidInput, match="300 characters"):
        await apply(GUILD, ANA, kind="mentor", raw_about="x" * 301)
    assert await _count(database, MentorProfile) == 0


async def test_a_sponsor_needs_the_servers_minimum_streak(
    services: Services, database: Database
) -> None:
    with pytest.raises(InvalidInput, match="at least 365 days"):
        await services.mentoring.applications.apply(GUILD, ANA, kind="sponsor")
    await services.sobriety.set_counter(GUILD, ANA, "2025-06-01")
    with pytest.raises(InvalidInput, match="at least 365 days, and your longest current streak"):
        await services.mentoring.applications.apply(GUILD, ANA, kind="sponsor")
    await services.mentoring.settings.configure(GUILD, MOD, sponsor_days=200)
    result = await services.mentoring.applications.apply(GUILD, ANA, kind="sponsor")
    assert result.application.kind == "sponsor"
    assert await _count(database, SobrietyCounter) == 1


async def test_applying_again_while_pending_updates_the_application(
    services: Services, database: Database
) -> None:
    await services.mentoring.applications.apply(GUILD, ANA, kind="mentor", capacity=1)
    again = await services.mentoring.applications.apply(GUILD, ANA, kind="mentor", capacity=4)
    assert again.updated
    assert again.application.capacity == 4
    assert await _count(database, MentorProfile) == 1


async def test_a_request_goes_to_the_best_fit_with_the_note_and_an_expiry(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA, raw_focus="gambling")
    await _mentor(services, BEN, raw_focus="alcohol, family", raw_languages="en, Spanish")
    outcome = await services.mentoring.requests.request(
        GUILD, DEV, raw_focus="alcohol, family", raw_language="es", raw_note="I work nights."
    )
    assert outcome.state == "offered"
    offer = await _open_offer(database)
    assert offer.mentor_id == BEN
    assert offer.expires_at == NOW + timedelta(hours=24)
    text = (await _dms(database, BEN, OFFER_PURPOSE))[0]
    assert "<@31>" in text
    assert "I work nights." in text
    assert "you both chose alcohol and family" in text
    assert "both speak Spanish" in text
    assert f"<t:{int(offer.expires_at.timestamp())}:R>" in text
    assert await _dms(database, ANA, OFFER_PURPOSE) == []
    async with database.read() as session:
        due = (await session.scalars(select(DueWork).where(DueWork.kind == EXPIRY_KIND))).one()
    assert (due.subject_id, due.due_at) == (offer.id, offer.expires_at)


async def test_accepting_pairs_them_and_introduces_both_once(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await services.mentoring.requests.request(GUILD, DEV)
    offer = await _open_offer(database)

    stranger = await services.mentoring.answers.accept(offer.id, BEN)
    assert not stranger.changed
    assert "someone else" in stranger.text
    answer = await services.mentoring.answers.accept(offer.id, ANA)
    assert answer.changed
    again = await services.mentoring.answers.accept(offer.id, ANA)
    assert not again.changed
    assert "already accepted" in again.text
    late_decline = await services.mentoring.answers.decline(offer.id, ANA)
    assert not late_decline.changed

    assert await _count(database, MentoringPair, MentoringPair.state == "active") == 1
    assert len(await _dms(database, DEV, "mentoring.intro")) == 1
    assert len(await _dms(database, ANA, "mentoring.intro")) == 1
    assert await _count(database, DueWork, DueWork.kind == EXPIRY_KIND) == 0
    status = await services.mentoring.requests.status(GUILD, DEV)
    assert [(p.mentor_id, p.kind) for p in status.mentors] == [(ANA, "mentor")]
    assert status.requests == []
    mentor_status = await services.mentoring.requests.status(GUILD, ANA)
    assert [p.mentee_id for p in mentor_status.mentees] == [DEV]


async def test_a_decline_moves_on_at_once_and_nobody_left_means_waiting(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    first = await _open_offer(database)
    await services.mentoring.answers.decline(first.id, first.mentor_id)
    second = await _open_offer(database)
    assert {first.mentor_id, second.mentor_id} == {ANA, BEN}
    # The requester is not told about the decline while someone else is being asked.
    assert await _dms(database, DEV) == []

    await services.mentoring.answers.decline(second.id, second.mentor_id)
    assert [o.state for o in await _offers(database)] == ["declined", "declined"]
    status = await services.mentoring.requests.status(GUILD, DEV)
    assert [r.state for r in status.requests] == ["waiting"]
    assert "Still looking" in (await _dms(database, DEV))[0]
    # Someone who declined this member is never asked again, even by a new request.
    await _mentor(services, CARA)
    assert (await _open_offer(database)).mentor_id == CARA


async def test_an_unanswered_offer_expires_after_offer_hours_and_moves_on(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await services.mentoring.settings.configure(GUILD, MOD, offer_hours=6)
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    first = await _open_offer(database)
    runner = _runner(database, clock, services)
    clock.advance(timedelta(hours=5, minutes=59))
    await runner.run_due()
    assert (await _open_offer(database)).id == first.id
    clock.advance(timedelta(minutes=1))
    await runner.run_due()
    second = await _open_offer(database)
    assert second.mentor_id != first.mentor_id
    assert [o.state for o in await _offers(database)] == ["expired", "open"]
    # A click on the expired offer explains and changes nothing.
    answer = await services.mentoring.answers.accept(first.id, first.mentor_id)
    assert not answer.changed
    assert "expired" in answer.text


async def test_an_offer_that_expired_while_the_bot_was_down_moves_on_at_start(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    first = await _open_offer(database)
    clock.advance(timedelta(days=3))  # down for three days
    await _runner(database, clock, services).run_due()
    assert (await _open_offer(database)).mentor_id != first.mentor_id


async def test_a_click_after_the_expiry_time_counts_as_expired_even_before_the_sweep(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await _mentor(services, ANA)
    await services.mentoring.requests.request(GUILD, DEV)
    offer = await _open_offer(database)
    clock.advance(timedelta(hours=24))
    answer = await services.mentoring.answers.accept(offer.id, ANA)
    assert "expired" in answer.text
    assert await _count(database, MentoringPair) == 0
    assert [o.state for o in await _offers(database)] == ["expired"]


async def test_three_expiries_in_a_row_pause_the_mentor_who_is_told_how_to_resume(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await _mentor(services, ANA)
    runner = _runner(database, clock, services)
    for requester in (DEV, ELI, 33):
        await services.mentoring.requests.request(GUILD, requester)
        assert (await _open_offer(database)).mentor_id == ANA
        clock.advance(timedelta(hours=24))
        await runner.run_due()
    async with database.read() as session:
        profile = (await session.scalars(select(MentorProfile))).one()
    assert profile.paused
    assert "`/mentor resume`" in (await _dms(database, ANA, "mentoring.notice"))[-1]
    # Paused: a new request waits instead of going to her.
    outcome = await services.mentoring.requests.request(GUILD, 34)
    assert outcome.state == "waiting"
    await services.mentoring.pauses.resume(GUILD, ANA)
    assert (await _open_offer(database)).mentor_id == ANA


async def test_the_waitlist_is_served_when_a_mentor_is_approved(
    services: Services, database: Database
) -> None:
    outcome = await services.mentoring.requests.request(GUILD, DEV)
    assert outcome.state == "waiting"
    assert "`/crisis`" in outcome.text
    await services.mentoring.applications.apply(GUILD, ANA, kind="mentor")
    assert await _offers(database) == []
    await services.mentoring.vetting.approve(GUILD, MOD, ANA)
    assert (await _open_offer(database)).mentor_id == ANA


async def test_requesting_twice_or_with_a_mentor_already_is_refused(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await services.mentoring.requests.request(GUILD, DEV)
    with pytest.raises(InvalidInput, match="already have a request"):
        await services.mentoring.requests.request(GUILD, DEV)
    await services.mentoring.answers.accept((await _open_offer(database)).id, ANA)
    with pytest.raises(InvalidInput, match="`/mentor end`"):
        await services.mentoring.requests.request(GUILD, DEV)
    with pytest.raises(InvalidInput, match="mentions"):
        await services.mentoring.requests.request(GUILD, ELI, raw_note="ask <@21>")
    assert await _count(database, MentoringRequest) == 1


async def test_a_mentor_never_gets_more_people_than_their_capacity(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA, capacity=1)
    await services.mentoring.requests.request(GUILD, DEV)
    # The open offer holds her only place, so a second request waits.
    assert (await services.mentoring.requests.request(GUILD, ELI)).state == "waiting"
    await services.mentoring.answers.accept((await _open_offer(database)).id, ANA)
    assert await _offers(database) != []
    assert [o.state for o in await _offers(database)] == ["accepted"]


async def test_ending_a_pairing_tells_the_other_kindly_and_frees_the_place(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA, capacity=1)
    await services.mentoring.requests.request(GUILD, DEV)
    await services.mentoring.answers.accept((await _open_offer(database)).id, ANA)
    await services.mentoring.requests.request(GUILD, ELI)  # waits: Ana is full

    plan = await services.mentoring.requests.plan_end(GUILD, ANA, DEV)
    assert (plan.other_id, plan.as_mentee) == (DEV, False)
    await services.mentoring.requests.end(plan.pair_id, ANA)
    async with database.read() as session:
        notice = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.target_id == DEV, OutboxMessage.purpose == "mentoring.notice"
                )
            )
        ).one()
    assert "isn't about anything you did" in notice.payload["content"]
    assert notice.payload["components"][0]["components"][0]["label"] == "Find me a new mentor"
    with pytest.raises(InvalidInput, match="already ended"):
        await services.mentoring.requests.end(plan.pair_id, ANA)
    # Her place went to the waiting request at once.
    offer = await _open_offer(database)
    async with database.read() as session:
        request = await session.get(MentoringRequest, offer.request_id)
    assert request is not None
    assert request.requester_id == ELI
    with pytest.raises(NotFound):
        await services.mentoring.requests.plan_end(GUILD, DEV)


async def test_a_mentee_ends_with_their_mentor_and_the_mentor_is_told(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await services.mentoring.requests.request(GUILD, DEV)
    await services.mentoring.answers.accept((await _open_offer(database)).id, ANA)
    plan = await services.mentoring.requests.plan_end(GUILD, DEV)
    assert (plan.other_id, plan.as_mentee) == (ANA, True)
    await services.mentoring.requests.end(plan.pair_id, DEV)
    assert "ended your mentor pairing" in (await _dms(database, ANA, "mentoring.notice"))[-1]
    # A mentor whose pairing with this member ended is not offered them again.
    await services.mentoring.requests.request(GUILD, DEV)
    assert (await services.mentoring.requests.status(GUILD, DEV)).requests[0].state == "waiting"


async def test_removing_a_mentor_ends_their_pairs_and_puts_mentees_first_in_line(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await services.mentoring.requests.request(GUILD, DEV)
    await services.mentoring.answers.accept((await _open_offer(database)).id, ANA)
    await services.mentoring.requests.request(GUILD, ELI)  # offered to Ana too
    assert (await _open_offer(database)).mentor_id == ANA

    ended = await services.mentoring.vetting.remove(GUILD, MOD, ANA, "stepping back")
    assert ended == 1
    assert "isn't about anything you did" in (await _dms(database, DEV, "mentoring.notice"))[0]
    assert "stepping back" in (await _dms(database, ANA, "mentoring.notice"))[-1]
    assert [o.state for o in await _offers(database)] == ["accepted", "withdrawn"]
    async with database.read() as session:
        waiting = (
            await session.scalars(
                select(MentoringRequest)
                .where(MentoringRequest.state == "waiting")
                .order_by(MentoringRequest.priority.desc(), MentoringRequest.queued_at)
            )
        ).all()
    assert [r.requester_id for r in waiting] == [DEV, ELI]
    await _mentor(services, BEN, capacity=1)
    offer = await _open_offer(database)
    async with database.read() as session:
        request = await session.get(MentoringRequest, offer.request_id)
    assert request is not None
    assert request.requester_id == DEV
    assert await _count(database, AuditLog, AuditLog.action == "mentors.remove") == 1


async def test_moderators_assign_directly_with_checks_they_can_override(
    services: Services, database: Database
) -> None:
    assign = services.mentoring.requests.assign
    with pytest.raises(InvalidInput, match="own mentor"):
        await assign(GUILD, MOD, DEV, DEV)
    with pytest.raises(InvalidInput, match="isn't an approved mentor"):
        await assign(GUILD, MOD, DEV, ANA)
    await _mentor(services, ANA, capacity=1)
    await services.mentoring.requests.request(GUILD, ELI)
    await services.mentoring.answers.accept((await _open_offer(database)).id, ANA)
    with pytest.raises(InvalidInput, match="at capacity"):
        await assign(GUILD, MOD, DEV, ANA)
    assert await _count(database, MentoringPair) == 1
    await assign(GUILD, MOD, DEV, ANA, override=True)
    assert await _count(database, MentoringPair, MentoringPair.state == "active") == 2
    assert await _count(database, AuditLog, AuditLog.action == "mentors.assign") == 1


async def test_assigning_closes_the_members_open_request(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    offered_to = (await _open_offer(database)).mentor_id
    other = BEN if offered_to == ANA else ANA
    await services.mentoring.requests.assign(GUILD, MOD, DEV, other)
    assert [o.state for o in await _offers(database)] == ["withdrawn"]
    assert (await services.mentoring.requests.status(GUILD, DEV)).requests == []
    assert await _count(database, DueWork, DueWork.kind == EXPIRY_KIND) == 0


async def test_pause_until_a_date_resumes_by_itself(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await _mentor(services, ANA)
    paused = await services.mentoring.pauses.pause(GUILD, ANA, "2026-03-05")
    assert paused.paused
    # Midnight at the start of that day in her zone (UTC by default).
    assert paused.paused_until == datetime(2026, 3, 5, tzinfo=UTC)
    assert (await services.mentoring.requests.request(GUILD, DEV)).state == "waiting"
    with pytest.raises(InvalidInput, match="after today"):
        await services.mentoring.pauses.pause(GUILD, ANA, date(2026, 3, 2).isoformat())
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    await _runner(database, clock, services).run_due()
    assert not (await services.mentoring.vetting.listing(GUILD))[0].paused
    assert (await _open_offer(database)).mentor_id == ANA
    assert (
        await _count(database, DueWork, DueWork.kind == RESUME_KIND, DueWork.state == "pending")
        == 0
    )


async def test_an_offer_dm_that_cannot_be_delivered_passes_the_request_on(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    first = await _open_offer(database)
    async with database.transaction() as session:
        await services.mentoring.offers.offer_undeliverable(session, first.id, "50007")
    second = await _open_offer(database)
    assert second.mentor_id != first.mentor_id
    async with database.read() as session:
        profile = (
            await session.scalars(
                select(MentorProfile).where(MentorProfile.user_id == first.mentor_id)
            )
        ).one()
    assert profile.consecutive_expiries == 0


async def test_the_batch_preview_changes_nothing_and_sending_offers_each_pair(
    services: Services, database: Database
) -> None:
    for requester in (DEV, ELI, 33):
        await services.mentoring.requests.request(GUILD, requester)
    # Approved straight in the database, so nothing is offered before the batch.
    for mentor, capacity in ((ANA, 1), (BEN, 1)):
        await services.mentoring.applications.apply(GUILD, mentor, kind="mentor", capacity=capacity)
    async with database.transaction() as session:
        for profile in (await session.scalars(select(MentorProfile))).all():
            profile.state = "approved"
        await bump_pool(session, GUILD, NOW)  # as every change to approved mentors does

    preview = await services.mentoring.batch.preview(GUILD)
    assert (preview.waiting, preview.free_places, len(preview.pairs)) == (3, 2, 2)
    assert await _offers(database) == []
    sent = await services.mentoring.batch.send(GUILD, MOD, preview.pairs)
    assert sent == 2
    offers = await _offers(database)
    assert sorted(o.mentor_id for o in offers) == [ANA, BEN]
    # Sending again offers nothing more: those requests are no longer waiting.
    assert await services.mentoring.batch.send(GUILD, MOD, preview.pairs) == 0
    assert await _count(database, AuditLog, AuditLog.action == "mentors.match_waitlist") == 2


async def test_a_pause_made_by_another_process_is_seen_at_once(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)  # this process now knows both
    first = await _open_offer(database)
    other_process = build_services(database, clock, Settings(), CIPHER)
    other = BEN if first.mentor_id == ANA else ANA
    await other_process.mentoring.pauses.pause(GUILD, other)
    outcome = await services.mentoring.requests.request(GUILD, ELI)
    offers = [o for o in await _offers(database) if o.state == "open"]
    # The only mentor left is the one already holding Dev's offer; the paused one is skipped.
    assert {o.mentor_id for o in offers} == {first.mentor_id}
    assert outcome.state == "offered"


async def test_a_mentors_new_timezone_moves_their_hours(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA, raw_availability="18:00-22:00")  # UTC until she sets a zone
    for requester in (DEV, ELI):
        await services.settings.set_member_timezone(GUILD, requester, "America/Los_Angeles")
    await services.mentoring.requests.request(GUILD, DEV)
    assert "hours a week overlap" in (await _offers(database))[0].reasons
    await services.settings.set_member_timezone(GUILD, ANA, "Asia/Tokyo")
    await services.mentoring.requests.request(GUILD, ELI)
    # 18:00–22:00 in Tokyo is 01:00–05:00 in Los Angeles: no waking hours in common.
    assert "overlap" not in (await _offers(database))[1].reasons


async def test_a_place_freed_by_a_decline_goes_to_the_next_on_the_waitlist(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA, capacity=1)
    await services.mentoring.requests.request(GUILD, DEV)
    # Ana's only place is held by Dev's offer, so Eli waits.
    assert (await services.mentoring.requests.request(GUILD, ELI)).state == "waiting"
    await services.mentoring.answers.decline((await _open_offer(database)).id, ANA)
    offer = await _open_offer(database)
    async with database.read() as session:
        request = await session.get(MentoringRequest, offer.request_id)
    assert request is not None
    assert (request.requester_id, offer.mentor_id) == (ELI, ANA)
    assert "Still looking" in (await _dms(database, DEV))[0]


async def test_the_daily_repair_replans_a_lost_offer_expiry_and_a_lost_pause_end(
    services: Services, database: Database, clock: ManualClock
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    first = await _open_offer(database)
    other = BEN if first.mentor_id == ANA else ANA
    await services.mentoring.pauses.pause(GUILD, other, "2026-03-10")
    async with database.transaction() as session:  # lost: a restored backup, a bug
        await session.execute(delete(DueWork))
    kinds = KindRegistry(services.work_kinds())
    report = await rebuild_all(database, clock, kinds)
    assert report[EXPIRY_KIND] == {GUILD: 1}
    assert report[RESUME_KIND] == {GUILD: 1}
    again = await rebuild_all(database, clock, kinds)
    assert (again[EXPIRY_KIND], again[RESUME_KIND]) == ({}, {})  # nothing missing any more
    # The repaired expiry runs on time, and the request moves on to the resumed mentor.
    clock.advance(timedelta(days=9))
    await _runner(database, clock, services).run_due()
    assert [o.state for o in await _offers(database)] == ["expired", "open"]
    assert (await _open_offer(database)).mentor_id == other


async def test_an_erased_mentor_is_offered_nothing_more(
    services: Services, database: Database
) -> None:
    await _mentor(services, ANA)
    await _mentor(services, BEN)
    await services.mentoring.requests.request(GUILD, DEV)
    erased = (await _open_offer(database)).mentor_id
    await services.privacy.erase(MemberRef(GUILD, erased))
    await services.mentoring.requests.request(GUILD, ELI)
    offers = await _offers(database)
    async with database.read() as session:
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
