"""What meetings hold about a member (subscriptions, RSVPs, attendance, voice stays), for
/privacy export and /privacy delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingCancellation,
    MeetingRsvp,
    MeetingSubscription,
    MeetingVoiceStay,
)
from bot.db.models.outbox import PENDING, WAITING, OutboxMessage
from bot.delivery import outbox
from bot.services.privacy.registry import FORMER_MEMBER, MemberData, MemberRef

TABLES = ("meeting_subscriptions", "meeting_rsvps", "meeting_attendance", "meeting_voice_stays")


async def export(session: AsyncSession, who: MemberRef) -> dict[str, Any]:
    titles = dict(
        (
            await session.execute(
                select(Meeting.id, Meeting.title).where(Meeting.guild_id == who.guild_id)
            )
        ).all()
    )
    subscriptions = await session.scalars(
        select(MeetingSubscription).where(
            MeetingSubscription.guild_id == who.guild_id, MeetingSubscription.user_id == who.user_id
        )
    )
    rsvps = await session.scalars(
        select(MeetingRsvp).where(
            MeetingRsvp.guild_id == who.guild_id, MeetingRsvp.user_id == who.user_id
        )
    )
    attended = await session.scalars(
        select(MeetingAttendance).where(
            MeetingAttendance.guild_id == who.guild_id, MeetingAttendance.user_id == who.user_id
        )
    )
    stays = await session.scalars(
        select(MeetingVoiceStay).where(
            MeetingVoiceStay.guild_id == who.guild_id, MeetingVoiceStay.user_id == who.user_id
        )
    )
    return {
        "subscriptions": [
            {"meeting": titles.get(s.meeting_id), "reminders": s.reminders}
            for s in subscriptions.all()
        ],
        "rsvps": [
            {
                "meeting": titles.get(r.meeting_id),
                "session": r.occurrence.isoformat(),
                "answer": r.answer,
                "from": r.source,
            }
            for r in rsvps.all()
        ],
        "attendance": [
            {
                "meeting": titles.get(a.meeting_id),
                "session": a.occurrence.isoformat(),
                "attended": a.attended,
                "how": a.how,
                "minutes": a.minutes,
            }
            for a in attended.all()
        ],
        "voice_stays": [
            {"joined": v.joined.isoformat(), "left": v.left.isoformat() if v.left else None}
            for v in stays.all()
        ],
    }


async def erase(session: AsyncSession, who: MemberRef) -> int:
    removed = 0
    for model in (MeetingSubscription, MeetingRsvp, MeetingAttendance, MeetingVoiceStay):
        result = await session.execute(
            delete(model).where(model.guild_id == who.guild_id, model.user_id == who.user_id)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    # A moderator who created meetings or cancelled a session: the meetings stay for everyone
    # else, without the erased member's id (as audit rows keep only a former member).
    in_guild = select(Meeting.id).where(Meeting.guild_id == who.guild_id)
    for anonymise in (
        update(Meeting).where(Meeting.guild_id == who.guild_id),
        update(MeetingCancellation).where(MeetingCancellation.meeting_id.in_(in_guild)),
    ):
        table = anonymise.table
        result = await session.execute(
            anonymise.where(table.c.created_by == who.user_id).values(created_by=FORMER_MEMBER)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    # The outbox last (bot/scheduling/locks.py).
    # Subscriber reminders are planned per meeting and offset, not per member: once the
    # subscription is gone the next wave leaves this member out. DMs written but not sent go.
    unsent = await session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.purpose.startswith("meeting.", autoescape=True),
            OutboxMessage.target_kind == "dm",
            OutboxMessage.target_id == who.user_id,
            OutboxMessage.guild_id == who.guild_id,
            OutboxMessage.state.in_([PENDING, WAITING]),
        )
        .order_by(OutboxMessage.id)
    )
    for outbox_id in unsent.all():
        await outbox.cancel(session, outbox_id)
    return removed


async def lock(session: AsyncSession, who: MemberRef) -> None:
    """The meetings they created (a reminder's or an end's handler locks its meeting first),
    in id order, then their own rows of each table, in id order."""
    await session.scalars(
        select(Meeting.id)
        .where(Meeting.guild_id == who.guild_id, Meeting.created_by == who.user_id)
        .order_by(Meeting.id)
        .with_for_update()
    )
    for model in (MeetingSubscription, MeetingRsvp, MeetingAttendance, MeetingVoiceStay):
        await session.scalars(
            select(model.id)
            .where(model.guild_id == who.guild_id, model.user_id == who.user_id)
            .order_by(model.id)
            .with_for_update()
        )


def meeting_member_data() -> MemberData:
    return MemberData(feature="meetings", tables=TABLES, export=export, erase=erase, lock=lock)
