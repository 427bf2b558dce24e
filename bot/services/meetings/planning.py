"""Timed work of meetings: only the planned occurrence's reminders and its end are due work.

- `meeting.reminder`, keys `c<minutes>` (the channel post) and `s<minutes>` (DMs to every
  subscriber with that offset): a reminder whose occurrence has started is dropped, never sent
  late, so after downtime the stale ones vanish and the ones still ahead go out once.
- `meeting.end`, at the occurrence's end: attendance is counted, then the next occurrence is
  planned and Discord's event moves to it. Always done, however late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import Meeting, MeetingPost, MeetingRsvp, MeetingSubscription
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain import meetings as rule
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem
from bot.services.meetings import attendance, events, messages
from bot.services.meetings.rules import current_or_next, duration_of, offsets_of, recurrence_in

REMINDER_KIND = "meeting.reminder"
END_KIND = "meeting.end"
POST_PURPOSE = "meeting.reminder_post"
DM_PURPOSE = "meeting.dm_reminder"
NOTICE_PURPOSE = "meeting.notice"


def _minutes(offset: timedelta) -> int:
    return int(offset.total_seconds()) // 60


async def subscriber_offsets(session: AsyncSession, meeting_id: int) -> set[timedelta]:
    rows = await session.scalars(
        select(MeetingSubscription.reminders)
        .where(MeetingSubscription.meeting_id == meeting_id)
        .distinct()
    )
    return {offset for raw in rows.all() for offset in offsets_of(raw)}


async def plan(
    session: AsyncSession,
    meeting: Meeting,
    now: datetime,
    *,
    after: datetime | None = None,
    recreate_event: bool = False,
) -> datetime | None:
    """(Re)plan the meeting, locked by the caller: its occurrence still running or next (the
    first after `after` when one has just ended), that occurrence's reminders and end, and the
    Discord event. The planned occurrence, or None once the meeting has no more."""
    await ledger.cancel(session, REMINDER_KIND, meeting.id)
    await ledger.cancel(session, END_KIND, meeting.id)
    occurrence: datetime | None = None
    if meeting.deleted_at is None:
        recurrence = await recurrence_in(session, meeting)
        if after is not None:
            occurrence = rule.next_occurrence(recurrence, after)
        else:
            occurrence = current_or_next(recurrence, duration_of(meeting), now)
    meeting.planned_start = occurrence
    if occurrence is not None:
        at = {"at": occurrence.isoformat()}
        keyed = [(f"c{_minutes(o)}", o) for o in offsets_of(meeting.reminders)]
        if meeting.channel_id is None:
            keyed = []
        keyed += [(f"s{_minutes(o)}", o) for o in await subscriber_offsets(session, meeting.id)]
        for key, offset in keyed:
            when = occurrence - offset
            if when > now:
                await ledger.schedule(
                    session,
                    REMINDER_KIND,
                    meeting.id,
                    when,
                    key=key,
                    guild_id=meeting.guild_id,
                    payload=at,
                )
        await ledger.schedule(
            session,
            END_KIND,
            meeting.id,
            occurrence + duration_of(meeting),
            guild_id=meeting.guild_id,
            payload=at,
        )
    await events.mirror(session, meeting, occurrence, now, recreate=recreate_event)
    return occurrence


def _occurrence(item: DueItem) -> datetime | None:
    raw = (item.payload or {}).get("at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


async def rsvp_counts(
    session: AsyncSession, meeting_id: int, occurrence: datetime
) -> tuple[int, int]:
    rows = await session.execute(
        select(MeetingRsvp.answer, func.count())
        .where(MeetingRsvp.meeting_id == meeting_id, MeetingRsvp.occurrence == occurrence)
        .group_by(MeetingRsvp.answer)
    )
    counted = {answer: int(count) for answer, count in rows.all()}
    return counted.get(messages.GOING, 0), counted.get(messages.NOT_GOING, 0)


async def handle_reminder(session: AsyncSession, item: DueItem, meeting: Meeting) -> None:
    occurrence = _occurrence(item)
    if occurrence is None or meeting.deleted_at is not None:
        return
    # Planned for another occurrence (moved, cancelled): not this reminder's any more.
    if meeting.planned_start != occurrence or rule.reminder_is_stale(occurrence, item.now):
        return
    if item.key.startswith("c"):
        if meeting.channel_id is None:
            return
        going, not_going = await rsvp_counts(session, meeting.id, occurrence)
        outbox_id = await outbox.enqueue(
            session,
            target=Target("channel", meeting.channel_id),
            message=messages.reminder_post(meeting, occurrence, going, not_going),
            purpose=POST_PURPOSE,
            subject_id=meeting.id,
            guild_id=meeting.guild_id,
        )
        session.add(MeetingPost(meeting_id=meeting.id, occurrence=occurrence, outbox_id=outbox_id))
        return
    offset = timedelta(minutes=int(item.key[1:]))
    subscriptions = await session.scalars(
        select(MeetingSubscription)
        .where(MeetingSubscription.meeting_id == meeting.id)
        .order_by(MeetingSubscription.id)
    )
    message = messages.subscriber_reminder(meeting, occurrence)
    for subscription in subscriptions.all():
        if offset in offsets_of(subscription.reminders):
            await outbox.enqueue(
                session,
                target=Target("dm", subscription.user_id),
                message=message,
                purpose=DM_PURPOSE,
                subject_id=meeting.id,
                guild_id=meeting.guild_id,
            )


async def handle_end(session: AsyncSession, item: DueItem, meeting: Meeting) -> None:
    occurrence = _occurrence(item)
    if occurrence is None or meeting.deleted_at is not None:
        return
    if meeting.planned_start != occurrence:
        return
    await attendance.count_occurrence(session, meeting, occurrence, item.now)
    await plan(session, meeting, item.now, after=occurrence)


async def refresh_posts(session: AsyncSession, meeting: Meeting, occurrence: datetime) -> None:
    """Edit the occurrence's reminder posts in place with the current counts."""
    posts = await session.scalars(
        select(MeetingPost)
        .where(MeetingPost.meeting_id == meeting.id, MeetingPost.occurrence == occurrence)
        .order_by(MeetingPost.id)
    )
    going, not_going = await rsvp_counts(session, meeting.id, occurrence)
    for post in posts.all():
        try:
            await outbox.edit(
                session,
                post.outbox_id,
                messages.reminder_post(meeting, occurrence, going, not_going),
            )
        except LookupError:
            await session.delete(post)  # pruned a week after it was sent: nothing to edit
