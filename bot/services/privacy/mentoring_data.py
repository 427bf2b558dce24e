"""Mentoring's part of a member's data, from the mentoring tables on main: their mentor
profile, their requests (with the offers made of them), offers made to them as a mentor, and
their pairs on either side.

Written here until the mentoring service owns it (it can adopt this module as it is, adding
the cancelling of its own kinds of timed work). Erasing a member ends their active pairs: the
other person is told kindly through the outbox, without a reason, and the pair's thread is
archived and locked (its messages are the members' own Discord messages, not Steady's).
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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
from bot.delivery import operations, outbox
from bot.services.mentoring.notes import RequestNotes
from bot.services.privacy.registry import MemberData, MemberRef

PAIR_ENDED_PURPOSE = "mentoring.pair_ended"
THREAD_PURPOSE = "mentoring.thread"
OFFER_GONE = (
    "This request for a mentor is no longer open, so there is nothing to answer. Thank you."
)


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


def member_data(notes: RequestNotes) -> MemberData:
    async def export(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
        return await export_mentoring(session, member, notes)

    return MemberData(
        feature="mentoring",
        tables=("mentor_profiles", "mentoring_requests", "mentoring_offers", "mentoring_pairs"),
        export=export,
        erase=erase_mentoring,
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


async def erase_mentoring(session: AsyncSession, member: MemberRef) -> int:
    guild, user = member.guild_id, member.user_id
    # Lock order: profiles, requests, offers, pairs (each in id order); the outbox last.
    profiles = (
        await session.scalars(
            select(MentorProfile)
            .where(MentorProfile.guild_id == guild, MentorProfile.user_id == user)
            .with_for_update()
        )
    ).all()
    requests = (
        await session.scalars(
            select(MentoringRequest)
            .where(MentoringRequest.guild_id == guild, MentoringRequest.requester_id == user)
            .order_by(MentoringRequest.id)
            .with_for_update()
        )
    ).all()
    request_ids = [r.id for r in requests]
    offers = (
        await session.scalars(
            select(MentoringOffer)
            .where(
                MentoringOffer.guild_id == guild,
                or_(
                    MentoringOffer.mentor_id == user,
                    MentoringOffer.request_id.in_(request_ids),
                ),
            )
            .order_by(MentoringOffer.id)
            .with_for_update()
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
        )
    ).all()

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
    open_offer_messages = [o.outbox_id for o in offers if o.state == OPEN and o.outbox_id]
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

    # The outbox last. An offer DM not sent yet is withdrawn; one sent is edited to say the
    # request is no longer open (a pruned one needs nothing).
    for outbox_id in open_offer_messages:
        assert outbox_id is not None
        if await outbox.cancel(session, outbox_id) == outbox.Cancelled.FINISHED:
            with contextlib.suppress(LookupError):
                await outbox.edit(session, outbox_id, outbox.OutgoingMessage(content=OFFER_GONE))
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
        if pair.thread_id is not None:
            await operations.perform(
                session,
                operations.edit_thread(archived=True, locked=True),
                purpose=THREAD_PURPOSE,
                guild_id=guild,
                subject_id=pair.id,
                thing_id=pair.thread_id,
            )
    return removed
