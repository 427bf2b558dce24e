"""Mentoring's part of a member's data: their mentor profile, their requests (with the offers
made of them), offers made to them as a mentor, and their pairs on either side.

Erasing a member ends their active pairs: the other person is told kindly through the outbox,
without a reason, and the pair's thread is archived and locked (its messages are the members'
own Discord messages, not Steady's). Their offers' expiries and their pause's end are
cancelled, and mentoring's messages not sent yet that were for them or about them are
withdrawn.

Lock order as everywhere in mentoring (bot/services/mentoring/offers.py): offers, then their
requests, then the mentor's profile; pairs last (as removing a mentor does). `lock` takes
them all before any eraser touches due work or the outbox, after the server's matching lock
(matching_lock.py), which comes first as in every mentoring command: an erased mentor leaves
the pool (whose version the erasure bumps, so no process offers them anything again), and the
requests that were offered to them, back to waiting, are served at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.models import outbox as outbox_rows
from bot.db.models.mentoring import (
    ACTIVE,
    OPEN,
    OPEN_REQUEST_STATES,
    WAITING,
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentorProfile,
)
from bot.db.models.outbox import OutboxMessage
from bot.delivery import outbox
from bot.scheduling import ledger
from bot.services.mentoring.applications import REVIEW_PURPOSE
from bot.services.mentoring.notes import RequestNotes
from bot.services.mentoring.offers import EXPIRY_KIND, INTRO_PURPOSE, OfferFlow
from bot.services.mentoring.pauses import RESUME_KIND
from bot.services.mentoring.spaces import close_space
from bot.services.privacy.registry import MemberData, MemberRef

PAIR_ENDED_PURPOSE = "mentoring.pair_ended"
OFFER_GONE = (
    "This request for a mentor is no longer open, so there is nothing to answer. Thank you."
)
APPLICATION_GONE = "This application is no longer here, so there is nothing to review."
INTRODUCTION_GONE = "This introduction is closed: the pairing it was about has ended."


def pair_ended_message(kind: str, *, to_mentor: bool) -> str:
    """What the other side of an ended pair is told: kind, and no reason."""
    if to_mentor:
        return (
            f"One of your {kind}ship pairings in this server has ended. This isn't about anything "
            "you did. Thank you for the time and care you gave."
        )
    return (
        f"Your {kind}ship pairing in this server has ended. This isn't about anything you did. "
        "You can ask for a new mentor or sponsor whenever you'd like, and `/crisis` is always "
        "there if you need someone right now."
    )


def member_data(notes: RequestNotes, offers: OfferFlow) -> MemberData:
    async def export(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
        return await export_mentoring(session, member, notes)

    async def lock(session: AsyncSession, member: MemberRef) -> None:
        await offers.lock_matching_to_erase(session, member.guild_id)
        await lock_mentoring(session, member)

    async def erase(session: AsyncSession, member: MemberRef) -> int:
        return await erase_mentoring(session, member, offers)

    return MemberData(
        feature="mentoring",
        tables=("mentor_profiles", "mentoring_requests", "mentoring_offers", "mentoring_pairs"),
        export=export,
        erase=erase,
        lock=lock,
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export_mentoring(
    session: AsyncSession, member: MemberRef, notes: RequestNotes
) -> dict[str, Any]:
    guild, user = member.guild_id, member.user_id
    profile = await session.scalar(
        select(MentorProfile).where(MentorProfile.guild_id == guild, MentorProfile.user_id == user)
    )
    requests = (
        await session.scalars(
            select(MentoringRequest)
            .where(MentoringRequest.guild_id == guild, MentoringRequest.requester_id == user)
            .order_by(MentoringRequest.id)
        )
    ).all()
    offers = (
        await session.scalars(
            select(MentoringOffer)
            .where(MentoringOffer.guild_id == guild, MentoringOffer.mentor_id == user)
            .order_by(MentoringOffer.id)
        )
    ).all()
    pairs = (
        await session.scalars(
            select(MentoringPair)
            .where(
                MentoringPair.guild_id == guild,
                or_(MentoringPair.mentee_id == user, MentoringPair.mentor_id == user),
            )
            .order_by(MentoringPair.id)
        )
    ).all()
    return {
        "mentor_profile": None
        if profile is None
        else {
            "kind": profile.kind,
            "state": profile.state,
            "capacity": profile.capacity,
            "focus": list(profile.focus),
            "languages": list(profile.languages),
            "availability": profile.availability,
            "about": profile.about,
            "paused": profile.paused,
            "applied_at": _iso(profile.applied_at),
            "decided_at": _iso(profile.decided_at),
        },
        "requests": [
            {
                "kind": r.kind,
                "state": r.state,
                "focus": list(r.focus),
                "language": r.language,
                "note": notes.read(r),
                "created_at": _iso(r.created_at),
            }
            for r in requests
        ],
        "offers_to_you": [
            {
                "state": o.state,
                "reasons": o.reasons,
                "offered_at": _iso(o.offered_at),
                "decided_at": _iso(o.decided_at),
            }
            for o in offers
        ],
        "pairs": [
            {
                "kind": p.kind,
                "your_role": "mentee" if p.mentee_id == user else "mentor",
                "other_member_id": p.mentor_id if p.mentee_id == user else p.mentee_id,
                "state": p.state,
                "started_at": _iso(p.started_at),
                "ended_at": _iso(p.ended_at),
            }
            for p in pairs
        ],
    }


@dataclass(frozen=True, slots=True)
class _Held:
    profiles: list[MentorProfile]
    requests: list[MentoringRequest]  # theirs
    offers: list[MentoringOffer]  # to them, and of their requests
    pairs: list[MentoringPair]


async def _hold(session: AsyncSession, member: MemberRef) -> _Held:
    guild, user = member.guild_id, member.user_id
    own_requests = select(MentoringRequest.id).where(
        MentoringRequest.guild_id == guild, MentoringRequest.requester_id == user
    )
    offers = (
        await session.scalars(
            select(MentoringOffer)
            .where(
                MentoringOffer.guild_id == guild,
                or_(MentoringOffer.mentor_id == user, MentoringOffer.request_id.in_(own_requests)),
            )
            .order_by(MentoringOffer.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    # Their requests, and the requests of offers made to them (which go back to waiting).
    requests = (
        await session.scalars(
            select(MentoringRequest)
            .where(
                or_(
                    MentoringRequest.id.in_(own_requests),
                    MentoringRequest.id.in_([o.request_id for o in offers]),
                )
            )
            .order_by(MentoringRequest.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    profiles = (
        await session.scalars(
            select(MentorProfile)
            .where(MentorProfile.guild_id == guild, MentorProfile.user_id == user)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    pairs = (
        await session.scalars(
            select(MentoringPair)
            .where(
                MentoringPair.guild_id == guild,
                or_(MentoringPair.mentee_id == user, MentoringPair.mentor_id == user),
            )
            .order_by(MentoringPair.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    return _Held(
        profiles=list(profiles),
        requests=[r for r in requests if r.requester_id == user],
        offers=list(offers),
        pairs=list(pairs),
    )


async def lock_mentoring(session: AsyncSession, member: MemberRef) -> None:
    await _hold(session, member)


async def erase_mentoring(session: AsyncSession, member: MemberRef, flow: OfferFlow) -> int:
    """Erase one member's mentoring, holding the server's matching lock (`lock` took it)."""
    guild, user = member.guild_id, member.user_id
    # The rows are held since `lock_mentoring`; reading them again finds any a command
    # committed meanwhile (they are then locked here, after no due work or outbox row yet).
    held = await _hold(session, member)
    profiles, requests, offers, pairs = held.profiles, held.requests, held.offers, held.pairs
    request_ids = [r.id for r in requests]

    # An open offer to them, of someone else's request: that request waits for another mentor.
    back_to_waiting = [
        o.request_id for o in offers if o.state == OPEN and o.request_id not in request_ids
    ]
    if back_to_waiting:
        await session.execute(
            update(MentoringRequest)
            .where(
                MentoringRequest.id.in_(back_to_waiting),
                MentoringRequest.state.in_(OPEN_REQUEST_STATES),
            )
            .values(state=WAITING)
            .execution_options(synchronize_session=False)
        )
    # Offer DMs naming them as the one asking (sent to other mentors): withdrawn or edited.
    their_request_offers = [
        o.outbox_id for o in offers if o.request_id in request_ids and o.outbox_id is not None
    ]
    # Offer DMs to them as a mentor, still open: the request has gone back to waiting.
    open_offer_messages = [
        o.outbox_id
        for o in offers
        if o.state == OPEN and o.request_id not in request_ids and o.outbox_id is not None
    ]
    active = [p for p in pairs if p.state == ACTIVE]
    removed = len(profiles) + len(requests) + len(offers) + len(pairs)

    offer_ids = [o.id for o in offers]
    if offer_ids:
        await session.execute(delete(MentoringOffer).where(MentoringOffer.id.in_(offer_ids)))
    if request_ids:
        await session.execute(delete(MentoringRequest).where(MentoringRequest.id.in_(request_ids)))
    if pairs:
        await session.execute(
            delete(MentoringPair).where(MentoringPair.id.in_([p.id for p in pairs]))
        )
    if profiles:
        await session.execute(
            delete(MentorProfile).where(MentorProfile.id.in_([p.id for p in profiles]))
        )
    # Decisions they took as a moderator stay, without naming them.
    for column_owner, column in (
        (MentorProfile, MentorProfile.decided_by),
        (MentoringPair, MentoringPair.ended_by),
    ):
        result = await session.execute(
            update(column_owner)
            .where(column_owner.guild_id == guild, column == user)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    # Their due work: offers' expiries and a pause's end. Before any new offer below: on
    # SQLite a new offer may take a deleted one's id, and cancelling after it was made would
    # take its expiry with the old one's.
    for offer_id in offer_ids:
        await ledger.cancel(session, EXPIRY_KIND, offer_id)
    for profile in profiles:
        await ledger.cancel(session, RESUME_KIND, profile.id)
    # An erased mentor is gone from every process's pool; the requests offered to them go on
    # to the next mentor with room now, not at the next serve. (The serve skips requests
    # another transaction holds, so locking them after this due work cannot deadlock.)
    await flow.after_erasure(session, guild, mentor_erased=bool(profiles))

    # The outbox last. Mentoring's messages to them not sent yet are withdrawn (the delivery
    # eraser removes the rest of their DMs), and so are those about them to others: their
    # application's review post, introductions of their pairs.
    unsent_to_them = (
        await session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.target_id == user,
                OutboxMessage.target_kind == "dm",
                OutboxMessage.guild_id == guild,
                OutboxMessage.purpose.startswith("mentoring.", autoescape=True),
                OutboxMessage.state.in_([outbox_rows.PENDING, outbox_rows.WAITING]),
            )
            .order_by(OutboxMessage.id)
        )
    ).all()
    for outbox_id in unsent_to_them:
        await outbox.cancel(session, outbox_id)
    # Their pairs' introductions name them: the other side's DM, or the post in the pair's
    # thread. Withdrawn if not sent yet, else edited (as offers are, below).
    introductions = await _sends(
        session,
        INTRO_PURPOSE,
        [p.id for p in pairs],
        or_(OutboxMessage.target_kind != "dm", OutboxMessage.target_id != user),
    )
    await _withdraw_or_edit(session, introductions, INTRODUCTION_GONE)
    review_posts = await _sends(session, REVIEW_PURPOSE, [p.id for p in profiles])
    # Moderators' review posts of their application, and offer DMs naming them as the one
    # asking: withdrawn if not sent yet, else edited so they no longer name them.
    await _withdraw_or_edit(session, review_posts, APPLICATION_GONE)
    await _withdraw_or_edit(
        session, sorted({*their_request_offers, *open_offer_messages}), OFFER_GONE
    )
    for pair in active:
        to_mentor = pair.mentee_id == user
        other = pair.mentor_id if to_mentor else pair.mentee_id
        await outbox.enqueue(
            session,
            target=outbox.Target("dm", other),
            message=outbox.OutgoingMessage(
                content=pair_ended_message(pair.kind, to_mentor=to_mentor)
            ),
            purpose=PAIR_ENDED_PURPOSE,
            subject_id=pair.id,
            guild_id=guild,
        )
        # Its thread is archived and locked as when a pairing ends (a thread still being made
        # finds no pair when it arrives and stays as Discord made it).
        await close_space(session, pair)
    return removed


async def _sends(
    session: AsyncSession,
    purpose: str,
    subject_ids: Sequence[int],
    *conditions: ColumnElement[bool],
) -> Sequence[int]:
    """The outbox's messages of `purpose` about these subjects (sent or not), oldest first."""
    if not subject_ids:
        return []
    return (
        await session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.purpose == purpose,
                OutboxMessage.subject_id.in_(subject_ids),
                OutboxMessage.operation == outbox_rows.SEND,
                *conditions,
            )
            .order_by(OutboxMessage.id)
        )
    ).all()


async def _withdraw_or_edit(session: AsyncSession, outbox_ids: Sequence[int], text: str) -> None:
    """Each message not sent yet is withdrawn; one sent is edited to `text` (a pruned one
    needs nothing)."""
    for outbox_id in outbox_ids:
        if await outbox.cancel(session, outbox_id) == outbox.Cancelled.FINISHED:
            with contextlib.suppress(LookupError):
                await outbox.edit(session, outbox_id, outbox.OutgoingMessage(content=text))
