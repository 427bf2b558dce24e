"""Timed work of meetings: only the planned occurrence's reminders and its end are due work.

- `meeting.reminder`, keys `c<minutes>` (the channel post) and `s<minutes>` (DMs to every
  subscriber with that offset): a reminder whose occurrence has started is dropped, never sent
  late, so after downtime the stale ones vanish and the ones still ahead go out once.
- `meeting.end`, at the occurrence's end: attendance is counted, then the next occurrence is
  planned and Discord's event moves to it. Always done, however late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.meetings import (
    Meeting,
    MeetingCancellation,
    MeetingPost,
    MeetingRsvp,
    MeetingSubscription,
)
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain import meetings as rule
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem
from bot.services.meetings import attendance, events, messages
from bot.services.meetings.rules import (
    current_or_next,
    duration_of,
    offsets_of,
    recurrence_in,
    recurrence_of,
)

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


def _due_rows(
    meeting: Meeting, occurrence: datetime, subscriber: set[timedelta], now: datetime
) -> list[tuple[str, str, datetime]]:
    """(kind, key, when) of one occurrence's work: reminders still ahead, and its end."""
    keyed = [(f"c{_minutes(o)}", o) for o in offsets_of(meeting.reminders)]
    if meeting.channel_id is None:
        keyed = []
    keyed += [(f"s{_minutes(o)}", o) for o in subscriber]
    rows = [(REMINDER_KIND, key, occurrence - o) for key, o in keyed if occurrence - o > now]
    rows.append((END_KIND, "", occurrence + duration_of(meeting)))
    return rows


def _work(
    meeting: Meeting, occurrence: datetime, subscriber: set[timedelta], now: datetime
) -> list[ledger.Planned]:
    """The occurrence's due work, each item naming the occurrence it belongs to."""
    payload = {"at": occurrence.isoformat()}  # one object: the ledger measures it once
    return [
        ledger.Planned(kind, meeting.id, when, key=key, guild_id=meeting.guild_id, payload=payload)
        for kind, key, when in _due_rows(meeting, occurrence, subscriber, now)
    ]


async def _next(
    session: AsyncSession,
    meeting: Meeting,
    now: datetime,
    after: datetime | None,
    cancelled: frozenset[date] | None = None,
) -> datetime | None:
    if meeting.deleted_at is not None:
        return None
    recurrence = (
        await recurrence_in(session, meeting)
        if cancelled is None
        else recurrence_of(meeting, cancelled)
    )
    if after is not None:
        return rule.next_occurrence(recurrence, after)
    return current_or_next(recurrence, duration_of(meeting), now)


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
    occurrence = await _next(session, meeting, now, after)
    meeting.planned_start = occurrence
    if occurrence is not None:
        subscriber = await subscriber_offsets(session, meeting.id)
        await ledger.schedule_many(session, _work(meeting, occurrence, subscriber, now))
    await events.mirror(session, meeting, occurrence, now, recreate=recreate_event)
    return occurrence


async def lock_many(session: AsyncSession, ids: Sequence[int]) -> list[Meeting]:
    """Lock these meetings FOR UPDATE in one statement, in id order (the lock order)."""
    found = await session.scalars(
        select(Meeting).where(Meeting.id.in_(ids)).order_by(Meeting.id).with_for_update()
    )
    return list(found.all())


async def plan_many(
    session: AsyncSession, meetings: Sequence[Meeting], now: datetime, *, mirror: bool = True
) -> None:
    """`plan` for many meetings at once (start-up, the daily rebuild, a benchmark): the same
    rows, read and written in a few statements instead of a few per meeting. The meetings are
    locked by the caller (`lock_many`). `mirror=False` leaves Discord's events to `mirror_all`
    (the benchmark times the two apart)."""
    ids = [meeting.id for meeting in meetings]
    if not ids:
        return
    cancelled: dict[int, set[date]] = defaultdict(set)
    for meeting_id, day in (
        await session.execute(
            select(MeetingCancellation.meeting_id, MeetingCancellation.day).where(
                MeetingCancellation.meeting_id.in_(ids)
            )
        )
    ).all():
        cancelled[meeting_id].add(day)
    subscriber: dict[int, set[timedelta]] = defaultdict(set)
    for meeting_id, raw in (
        await session.execute(
            select(MeetingSubscription.meeting_id, MeetingSubscription.reminders)
            .where(MeetingSubscription.meeting_id.in_(ids))
            .distinct()
        )
    ).all():
        subscriber[meeting_id].update(offsets_of(raw))
    await ledger.cancel_many(session, [REMINDER_KIND, END_KIND], ids)
    planned: list[ledger.Planned] = []
    for meeting in meetings:
        occurrence = await _next(session, meeting, now, None, frozenset(cancelled[meeting.id]))
        meeting.planned_start = occurrence
        if occurrence is None:
            continue
        planned += _work(meeting, occurrence, subscriber[meeting.id], now)
    await ledger.schedule_many(session, planned)
    if mirror:
        await mirror_all(session, meetings, now)


async def mirror_all(session: AsyncSession, meetings: Sequence[Meeting], now: datetime) -> None:
    """Make each meeting's Discord event show its planned occurrence."""
    for meeting in meetings:
        await events.mirror(session, meeting, meeting.planned_start, now)


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
    await outbox.enqueue_many(
        session,
        [
            outbox.Queued(
                Target("dm", subscription.user_id),
                message,
                DM_PURPOSE,
                subject_id=meeting.id,
                guild_id=meeting.guild_id,
            )
            for subscription in subscriptions.all()
            if offset in offsets_of(subscription.reminders)
        ],
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
