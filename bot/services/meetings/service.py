"""Meetings: what moderators and members do with them, each in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models.audit import AuditLog
from bot.db.models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingCancellation,
    MeetingRsvp,
    MeetingSubscription,
)
from bot.db.models.scheduling import DueWork
from bot.delivery import operations as ops
from bot.delivery import outbox
from bot.delivery.outbox import OutgoingMessage, Target
from bot.domain import meetings as rule
from bot.domain.local_time import local_date
from bot.domain.meeting_attendance import weeks_in_a_row
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import Lateness, WorkKind
from bot.services.meetings import attendance, events, messages, planning
from bot.services.meetings.privacy import meeting_member_data
from bot.services.meetings.rules import (
    MeetingOptions,
    apply_options,
    cancelled_days,
    meeting_day,
    recurrence_in,
    recurrence_of,
)
from bot.services.meetings.server_settings import MeetingServerSettings
from bot.services.meetings.stats import meeting_figures
from bot.services.privacy.access import record_access
from bot.services.privacy.registry import MemberData
from bot.services.privacy.stats import Figure, StatsSource
from bot.services.settings import SettingsService

UPCOMING_DAYS = 7
MAX_MEETINGS_PER_SERVER = 100
MAX_REASON = 200
REBUILD_BATCH = 200  # meetings re-planned per transaction


@dataclass(frozen=True, slots=True)
class MeetingCard:
    id: int
    title: str
    weekdays: str
    at: time
    zone: str
    duration_minutes: int
    starts: date
    ends: date | None
    where: str
    channel_id: int | None
    role_id: int | None
    reminders: str
    description: str | None
    next_five: tuple[datetime, ...]
    subscribers: int = 0


@dataclass(frozen=True, slots=True)
class EditDone:
    card: MeetingCard
    moved_from: datetime | None  # the planned session before, when the edit moved it
    told: int  # subscribers told of the move


@dataclass(frozen=True, slots=True)
class CancelDone:
    title: str
    occurrence: datetime
    told: int


@dataclass(frozen=True, slots=True)
class Upcoming:
    title: str
    start: datetime
    where: str


@dataclass(frozen=True, slots=True)
class Subscribed:
    title: str
    reminders: str
    next_start: datetime | None


@dataclass(frozen=True, slots=True)
class AttendanceView:
    member_id: int | None  # None: a meeting's attendance per session (moderators)
    days: int
    groups: int
    weeks_in_a_row: int
    recent: tuple[tuple[str, datetime], ...]  # (meeting title, start), newest first
    per_session: tuple[tuple[datetime, int], ...] = ()


class MeetingService:
    def __init__(self, database: Database, clock: Clock, settings: SettingsService) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self.server_settings = MeetingServerSettings(database, clock)

    # -- wiring -----------------------------------------------------------------------------

    def work_kinds(self) -> list[WorkKind[Meeting]]:
        return [
            WorkKind(
                name=planning.REMINDER_KIND,
                lock_subject=locks.row(Meeting),
                handle=planning.handle_reminder,
                # Late reminders still run their handler, which drops any whose occurrence
                # has started (a 24h reminder an hour late is still worth sending).
                lateness=Lateness.DELIVER,
            ),
            WorkKind(
                name=planning.END_KIND,
                lock_subject=locks.row(Meeting),
                handle=planning.handle_end,
                lateness=Lateness.DELIVER,  # the event move is always done
                on_failure=self._plan_after_failure,
                rebuild=self.rebuild,
            ),
        ]

    def install(self) -> None:
        ops.on_completed(events.EVENT_PURPOSE, events.event_made)
        outbox.on_undeliverable(events.EVENT_PURPOSE, events.event_failed)

    def member_data(self) -> list[MemberData]:
        return [meeting_member_data()]

    def stats_sources(self) -> list[StatsSource]:
        async def figures(session: AsyncSession, guild_id: int, since: datetime) -> list[Figure]:
            # Only sessions that have ended by now count as held.
            return await meeting_figures(session, guild_id, since, self._clock.now())

        return [figures]

    async def _plan_after_failure(self, session: AsyncSession, item: Any, meeting: Meeting) -> None:
        await planning.plan(session, meeting, item.now)

    async def rebuild(self, now: datetime) -> Mapping[int | None, int]:
        """Meetings with upcoming sessions whose end work went missing are planned again."""
        async with self._db.transaction() as session:
            ids = (
                await session.scalars(
                    select(Meeting.id).where(
                        Meeting.deleted_at.is_(None),
                        Meeting.planned_start.is_not(None),
                        ~select(DueWork.id)
                        .where(
                            DueWork.kind == planning.END_KIND,
                            DueWork.subject_id == Meeting.id,
                            ledger.IS_PENDING,
                        )
                        .exists(),
                    )
                )
            ).all()
        repaired: dict[int | None, int] = {}
        for start in range(0, len(ids), REBUILD_BATCH):
            async with self._db.transaction() as session:
                meetings = await planning.lock_many(session, ids[start : start + REBUILD_BATCH])
                await planning.plan_many(session, meetings, now)
            for meeting in meetings:
                repaired[meeting.guild_id] = repaired.get(meeting.guild_id, 0) + 1
        return repaired

    # -- finding meetings -------------------------------------------------------------------

    async def titles(self, guild_id: int, typed: str) -> list[str]:
        needle = typed.casefold()
        async with self._db.read() as session:
            found = await session.scalars(
                select(Meeting.title)
                .where(Meeting.guild_id == guild_id, Meeting.deleted_at.is_(None))
                .order_by(Meeting.title_key)
            )
            return [title for title in found.all() if needle in title.casefold()][:25]

    async def _find(self, session: AsyncSession, guild_id: int, raw: str) -> Meeting:
        key = " ".join(raw.split()).casefold()
        meeting = await session.scalar(
            select(Meeting).where(
                Meeting.guild_id == guild_id,
                Meeting.title_key == key,
                Meeting.deleted_at.is_(None),
            )
        )
        if meeting is None:
            shown = raw.strip()[:40].replace("`", "'")
            raise NotFound(
                f"I couldn't find a meeting called `{shown}` here. `/meeting list` shows them; "
                "pick one from the suggestions as you type."
            )
        return meeting

    async def _locked(self, session: AsyncSession, guild_id: int, raw: str) -> Meeting:
        meeting = await self._find(session, guild_id, raw)
        await locks.relock(session, meeting)
        return meeting

    async def _card(self, session: AsyncSession, meeting: Meeting) -> MeetingCard:
        recurrence = await recurrence_in(session, meeting)
        now = self._clock.now()
        subscribers = len(
            (
                await session.scalars(
                    select(MeetingSubscription.id).where(
                        MeetingSubscription.meeting_id == meeting.id
                    )
                )
            ).all()
        )
        return MeetingCard(
            id=meeting.id,
            title=meeting.title,
            weekdays=meeting.weekdays,
            at=meeting.at,
            zone=meeting.zone,
            duration_minutes=meeting.duration_minutes,
            starts=meeting.starts,
            ends=meeting.ends,
            where=messages.where(meeting),
            channel_id=meeting.channel_id,
            role_id=meeting.role_id,
            reminders=meeting.reminders,
            description=meeting.description,
            next_five=tuple(rule.occurrences_after(recurrence, now, 5)),
            subscribers=subscribers,
        )

    def _audit(
        self, session: AsyncSession, guild_id: int, actor: int, action: str, target: int
    ) -> None:
        session.add(
            AuditLog(
                guild_id=guild_id,
                actor_id=actor,
                action=action,
                target_id=target,
                at=self._clock.now(),
            )
        )

    # -- moderators -------------------------------------------------------------------------

    async def create(self, guild_id: int, actor_id: int, options: MeetingOptions) -> MeetingCard:
        if options.title is None or options.weekdays is None or options.time is None:
            raise InvalidInput("A meeting needs a `title`, `weekdays` and a `time`.")
        async with self._db.transaction() as session:
            now = self._clock.now()
            guild = await self._settings.guild_in(session, guild_id)
            zone = ZoneInfo(guild.effective_timezone)
            meeting = Meeting(
                guild_id=guild_id,
                zone=zone.key,
                duration_minutes=rule.DEFAULT_DURATION,
                reminders=rule.format_reminders(rule.DEFAULT_REMINDERS),
                created_by=actor_id,
                created_at=now,
            )
            apply_options(meeting, options, today=local_date(now, zone))
            if options.starts is None:
                meeting.starts = local_date(now, ZoneInfo(meeting.zone))
                rule.check_date_range(meeting.starts, meeting.ends)
            if await self._exists(session, guild_id, meeting.title_key):
                raise InvalidInput(
                    f"There is already a meeting called **{meeting.title}**; please choose "
                    "another title (or `/meeting edit` that one)."
                )
            count = len(
                (
                    await session.scalars(
                        select(Meeting.id).where(
                            Meeting.guild_id == guild_id, Meeting.deleted_at.is_(None)
                        )
                    )
                ).all()
            )
            if count >= MAX_MEETINGS_PER_SERVER:
                raise InvalidInput(f"A server can have up to {MAX_MEETINGS_PER_SERVER} meetings.")
            session.add(meeting)
            await session.flush()
            await planning.plan(session, meeting, now)
            self._audit(session, guild_id, actor_id, "meetings.create", meeting.id)
            return await self._card(session, meeting)

    async def _exists(self, session: AsyncSession, guild_id: int, key: str) -> bool:
        found = await session.scalar(
            select(Meeting.id).where(
                Meeting.guild_id == guild_id, Meeting.title_key == key, Meeting.deleted_at.is_(None)
            )
        )
        return found is not None

    async def edit(
        self, guild_id: int, actor_id: int, raw_meeting: str, options: MeetingOptions
    ) -> EditDone:
        if options == MeetingOptions():
            raise InvalidInput("Tell me what to change: give at least one option to edit.")
        async with self._db.transaction() as session:
            now = self._clock.now()
            meeting = await self._locked(session, guild_id, raw_meeting)
            old_key = meeting.title_key
            before = meeting.planned_start
            old_where = (meeting.voice_channel_id, meeting.voice_is_stage, meeting.location is None)
            apply_options(meeting, options, today=local_date(now, ZoneInfo(meeting.zone)))
            if meeting.title_key != old_key and await self._exists(
                session, guild_id, meeting.title_key
            ):
                raise InvalidInput(f"There is already a meeting called **{meeting.title}**.")
            new_where = (meeting.voice_channel_id, meeting.voice_is_stage, meeting.location is None)
            await session.flush()
            after = await planning.plan(
                session, meeting, now, recreate_event=new_where != old_where
            )
            told = 0
            moved = before is not None and after != before
            if moved and before is not None:
                told = await self._tell_subscribers(
                    session, meeting, messages.moved_notice(meeting, before, after)
                )
            self._audit(session, guild_id, actor_id, "meetings.edit", meeting.id)
            return EditDone(await self._card(session, meeting), before if moved else None, told)

    async def _tell_subscribers(
        self, session: AsyncSession, meeting: Meeting, message: OutgoingMessage
    ) -> int:
        users = (
            await session.scalars(
                select(MeetingSubscription.user_id)
                .where(MeetingSubscription.meeting_id == meeting.id)
                .order_by(MeetingSubscription.user_id)
            )
        ).all()
        for user_id in users:
            await outbox.enqueue(
                session,
                target=Target("dm", user_id),
                message=message,
                purpose=planning.NOTICE_PURPOSE,
                subject_id=meeting.id,
                guild_id=meeting.guild_id,
            )
        return len(users)

    async def cancel(
        self, guild_id: int, actor_id: int, raw_meeting: str, raw_date: str, reason: str | None
    ) -> CancelDone:
        day = rule.parse_meeting_date(raw_date, what="date")
        # Shown to members as typed; it pings nobody (no mention is allowed in the notice).
        text = " ".join((reason or "").split()) or None
        if text is not None and len(text) > MAX_REASON:
            raise InvalidInput(f"Please keep the reason to {MAX_REASON} characters.")
        async with self._db.transaction() as session:
            now = self._clock.now()
            meeting = await self._locked(session, guild_id, raw_meeting)
            recurrence = await recurrence_in(session, meeting)
            occurrence = rule.occurrence_on(recurrence, day)
            if occurrence is None:
                raise InvalidInput(
                    f"**{meeting.title}** has no session on {day:%A %Y-%m-%d} (or it is already "
                    "cancelled). `/meeting info` shows its next sessions."
                )
            if occurrence + timedelta(minutes=meeting.duration_minutes) <= now:
                raise InvalidInput(f"The session on {day:%Y-%m-%d} is already over.")
            session.add(
                MeetingCancellation(
                    meeting_id=meeting.id, day=day, created_by=actor_id, created_at=now
                )
            )
            await session.flush()
            if meeting.planned_start == occurrence:
                # Reminders of this session that are written but not sent yet go too.
                for purpose in (planning.DM_PURPOSE, planning.POST_PURPOSE):
                    await outbox.cancel_pending(session, purpose=purpose, subject_id=meeting.id)
                await planning.plan(session, meeting, now)
            notice = messages.cancelled_notice(meeting, occurrence, text)
            told = await self._tell_subscribers(session, meeting, notice)
            if meeting.channel_id is not None:
                await outbox.enqueue(
                    session,
                    target=Target("channel", meeting.channel_id),
                    message=notice,
                    purpose=planning.NOTICE_PURPOSE,
                    subject_id=meeting.id,
                    guild_id=guild_id,
                )
            self._audit(session, guild_id, actor_id, "meetings.cancel", meeting.id)
            return CancelDone(meeting.title, occurrence, told)

    async def find_for_delete(self, guild_id: int, raw_meeting: str) -> tuple[int, str]:
        async with self._db.read() as session:
            meeting = await self._find(session, guild_id, raw_meeting)
            return meeting.id, meeting.title

    async def delete(self, guild_id: int, actor_id: int, meeting_id: int) -> str | None:
        """Delete after the confirm: Discord's event goes, past attendance stays. The title, or
        None when it was already deleted."""
        async with self._db.transaction() as session:
            meeting = await locks.lock_row(session, Meeting, meeting_id)
            if meeting is None or meeting.guild_id != guild_id or meeting.deleted_at is not None:
                return None
            now = self._clock.now()
            meeting.deleted_at = now
            await planning.plan(session, meeting, now)
            for purpose in (planning.DM_PURPOSE, planning.POST_PURPOSE):
                await outbox.cancel_pending(session, purpose=purpose, subject_id=meeting.id)
            await session.execute(
                delete(MeetingSubscription).where(MeetingSubscription.meeting_id == meeting.id)
            )
            self._audit(session, guild_id, actor_id, "meetings.delete", meeting.id)
            return meeting.title

    # -- everyone ---------------------------------------------------------------------------

    async def info(self, guild_id: int, raw_meeting: str) -> MeetingCard:
        async with self._db.read() as session:
            return await self._card(session, await self._find(session, guild_id, raw_meeting))

    async def upcoming(self, guild_id: int) -> list[Upcoming]:
        """Every session in the next 7 days, in order."""
        now = self._clock.now()
        until = now + timedelta(days=UPCOMING_DAYS)
        # Local dates in any zone (UTC-12 to UTC+14) of the window, and the day before it
        # (where occurrences_between starts walking): only cancellations there matter.
        first_day, last_day = now.date() - timedelta(days=2), until.date() + timedelta(days=1)
        async with self._db.read() as session:
            # One statement: the meetings and their cancellations read from one snapshot (a
            # read runs in autocommit), and one round trip instead of two on the busiest
            # command.
            rows = await session.execute(
                select(Meeting, MeetingCancellation.day)
                .outerjoin(
                    MeetingCancellation,
                    (MeetingCancellation.meeting_id == Meeting.id)
                    & MeetingCancellation.day.between(first_day, last_day),
                )
                .where(Meeting.guild_id == guild_id, Meeting.deleted_at.is_(None))
            )
            cancelled: dict[Meeting, set[date]] = {}
            for meeting, day in rows.all():
                days = cancelled.setdefault(meeting, set())
                if day is not None:
                    days.add(day)
        found = [
            Upcoming(meeting.title, start, messages.where(meeting))
            for meeting, days in cancelled.items()
            for start in rule.occurrences_between(
                recurrence_of(meeting, frozenset(days)), now, until
            )
        ]
        return sorted(found, key=lambda up: (up.start, up.title))

    async def subscribe(
        self, guild_id: int, user_id: int, raw_meeting: str, raw_before: str | None
    ) -> Subscribed:
        offsets = rule.parse_reminders(raw_before)
        async with self._db.transaction() as session:
            meeting = await self._locked(session, guild_id, raw_meeting)
            row = await session.scalar(
                select(MeetingSubscription).where(
                    MeetingSubscription.meeting_id == meeting.id,
                    MeetingSubscription.user_id == user_id,
                )
            )
            if row is None:
                row = MeetingSubscription(
                    meeting_id=meeting.id,
                    guild_id=guild_id,
                    user_id=user_id,
                    created_at=self._clock.now(),
                )
                session.add(row)
            row.reminders = rule.format_reminders(offsets)
            await session.flush()
            await planning.plan(session, meeting, self._clock.now())
            return Subscribed(meeting.title, row.reminders, meeting.planned_start)

    async def unsubscribe(self, guild_id: int, user_id: int, raw_meeting: str) -> str | None:
        async with self._db.transaction() as session:
            meeting = await self._locked(session, guild_id, raw_meeting)
            removed = await session.execute(
                delete(MeetingSubscription).where(
                    MeetingSubscription.meeting_id == meeting.id,
                    MeetingSubscription.user_id == user_id,
                )
            )
            if not getattr(removed, "rowcount", 0):
                return None
            await planning.plan(session, meeting, self._clock.now())
            return meeting.title

    async def mine(self, guild_id: int, user_id: int) -> list[Subscribed]:
        async with self._db.read() as session:
            rows = await session.execute(
                select(MeetingSubscription, Meeting)
                .join(Meeting, Meeting.id == MeetingSubscription.meeting_id)
                .where(
                    MeetingSubscription.guild_id == guild_id,
                    MeetingSubscription.user_id == user_id,
                    Meeting.deleted_at.is_(None),
                )
                .order_by(Meeting.title_key)
            )
            return [
                Subscribed(meeting.title, sub.reminders, meeting.planned_start)
                for sub, meeting in rows.all()
            ]

    async def calendar(self, guild_id: int, raw_meeting: str | None) -> bytes:
        from bot.domain.calendar_feed import FeedMeeting, build_calendar

        async with self._db.read() as session:
            if raw_meeting is not None:
                chosen = [await self._find(session, guild_id, raw_meeting)]
            else:
                chosen = list(
                    (
                        await session.scalars(
                            select(Meeting)
                            .where(Meeting.guild_id == guild_id, Meeting.deleted_at.is_(None))
                            .order_by(Meeting.id)
                        )
                    ).all()
                )
            feed = [
                FeedMeeting(
                    uid=f"meeting-{meeting.id}-{guild_id}@steady",
                    title=meeting.title,
                    recurrence=recurrence_of(meeting, await cancelled_days(session, meeting.id)),
                    duration=timedelta(minutes=meeting.duration_minutes),
                    description=meeting.description,
                    location=meeting.location,
                )
                for meeting in chosen
            ]
        if not feed:
            raise NotFound("There are no meetings here yet, so there is nothing to add.")
        return build_calendar(feed, stamp=self._clock.now())

    # -- RSVPs ------------------------------------------------------------------------------

    async def rsvp(self, meeting_id: int, occurrence: datetime, user_id: int, answer: str) -> str:
        async with self._db.transaction() as session:
            now = self._clock.now()
            meeting = await locks.lock_row(session, Meeting, meeting_id)
            if meeting is None or meeting.deleted_at is not None:
                return "This meeting no longer exists."
            recurrence = await recurrence_in(session, meeting)
            day = meeting_day(meeting, occurrence)
            if rule.occurrence_on(recurrence, day) != occurrence:
                return "That session was cancelled or moved; `/meeting info` shows the next one."
            if occurrence + timedelta(minutes=meeting.duration_minutes) <= now:
                return "That session is over. Thank you for letting us know anyway."
            await self._answer(session, meeting, occurrence, user_id, answer, "button", now)
            await planning.refresh_posts(session, meeting, occurrence)
            if answer == messages.GOING:
                return f"Thanks. You're down as going to **{meeting.title}**."
            return "Thanks for letting the group know. You'll be missed."

    async def _answer(
        self,
        session: AsyncSession,
        meeting: Meeting,
        occurrence: datetime,
        user_id: int,
        answer: str,
        source: str,
        now: datetime,
    ) -> None:
        row = await session.scalar(
            select(MeetingRsvp).where(
                MeetingRsvp.meeting_id == meeting.id,
                MeetingRsvp.occurrence == occurrence,
                MeetingRsvp.user_id == user_id,
            )
        )
        if row is None:
            session.add(
                MeetingRsvp(
                    meeting_id=meeting.id,
                    guild_id=meeting.guild_id,
                    user_id=user_id,
                    occurrence=occurrence,
                    answer=answer,
                    source=source,
                    at=now,
                )
            )
        else:
            row.answer, row.source, row.at = answer, source, now
        await session.flush()

    async def event_interest(self, guild_id: int, event_id: int, user_id: int, added: bool) -> None:
        """Interested on Discord's event counts as Going for the session it mirrors."""
        async with self._db.transaction() as session:
            meeting_id = await session.scalar(
                select(Meeting.id).where(Meeting.guild_id == guild_id, Meeting.event_id == event_id)
            )
            if meeting_id is None:
                return
            meeting = await locks.lock_row(session, Meeting, meeting_id)
            if meeting is None or meeting.event_start is None or meeting.event_id != event_id:
                return
            occurrence = meeting.event_start
            if added:
                await self._answer(
                    session,
                    meeting,
                    occurrence,
                    user_id,
                    messages.GOING,
                    "event",
                    self._clock.now(),
                )
            else:
                await session.execute(
                    delete(MeetingRsvp).where(
                        MeetingRsvp.meeting_id == meeting.id,
                        MeetingRsvp.occurrence == occurrence,
                        MeetingRsvp.user_id == user_id,
                        MeetingRsvp.source == "event",
                    )
                )
            await planning.refresh_posts(session, meeting, occurrence)

    async def self_report(
        self, meeting_id: int, occurrence: datetime, user_id: int, attended: bool
    ) -> str:
        async with self._db.transaction() as session:
            meeting = await locks.lock_row(session, Meeting, meeting_id)
            if meeting is None:
                return "This meeting no longer exists."
            going = await session.scalar(
                select(MeetingRsvp.id).where(
                    MeetingRsvp.meeting_id == meeting.id,
                    MeetingRsvp.occurrence == occurrence,
                    MeetingRsvp.user_id == user_id,
                )
            )
            if going is None:
                return "I don't have an RSVP from you for that session, so nothing was recorded."
            await attendance.self_report(
                session, meeting, occurrence, user_id, attended, self._clock.now()
            )
        if attended:
            return "Thank you. Noted that you were there. Showing up matters."
        return "Thanks for telling me. Noted; there's always a next one."

    # -- attendance -------------------------------------------------------------------------

    async def voice_changed(
        self, guild_id: int, user_id: int, left: int | None, joined: int | None
    ) -> None:
        if left == joined:
            return  # muting, deafening, streaming: still in the same channel
        at = self._clock.now()  # when it happened, not when the database was free
        async with self._db.transaction() as session:
            await attendance.note_voice(
                session,
                guild_id=guild_id,
                user_id=user_id,
                left_channel=left,
                joined_channel=joined,
                at=at,
            )

    async def attendance(
        self,
        guild_id: int,
        viewer_id: int,
        *,
        moderator: bool,
        member_id: int | None,
        raw_meeting: str | None,
        days: int,
    ) -> AttendanceView:
        if not 1 <= days <= 366:
            raise InvalidInput("`days` is 1 to 366.")
        if member_id is not None and member_id != viewer_id and not moderator:
            raise NotAllowed(
                "Attendance is private: you can see your own, and moderators can see members'."
            )
        async with self._db.transaction() as session:
            now = self._clock.now()
            since = now - timedelta(days=days)
            meeting = await self._find(session, guild_id, raw_meeting) if raw_meeting else None
            if meeting is not None and member_id is None and moderator:
                return await self._per_session(session, meeting, since, days)
            owner = member_id if member_id is not None else viewer_id
            query = (
                select(MeetingAttendance, Meeting.title)
                .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
                .where(
                    MeetingAttendance.guild_id == guild_id,
                    MeetingAttendance.user_id == owner,
                    MeetingAttendance.attended.is_(True),
                )
                .order_by(MeetingAttendance.occurrence.desc())
            )
            if meeting is not None:
                query = query.where(MeetingAttendance.meeting_id == meeting.id)
            rows = (await session.execute(query)).all()
            await record_access(
                session,
                guild_id=guild_id,
                owner_id=owner,
                viewer_id=viewer_id,
                what="meetings.attendance",
                at=now,
            )
            zone = (await self._settings.member_context_in(session, guild_id, owner)).zone
        recent = [(title, row.occurrence) for row, title in rows if row.occurrence >= since]
        streak = weeks_in_a_row([row.local_day for row, _ in rows], local_date(now, zone))
        return AttendanceView(owner, days, len(recent), streak, tuple(recent[:10]))

    async def _per_session(
        self, session: AsyncSession, meeting: Meeting, since: datetime, days: int
    ) -> AttendanceView:
        rows = (
            await session.scalars(
                select(MeetingAttendance.occurrence).where(
                    MeetingAttendance.meeting_id == meeting.id,
                    MeetingAttendance.attended.is_(True),
                    MeetingAttendance.occurrence >= since,
                )
            )
        ).all()
        counts: dict[datetime, int] = {}
        for at in rows:
            counts[at] = counts.get(at, 0) + 1
        sessions = tuple(sorted(counts.items(), reverse=True))
        return AttendanceView(None, days, len(sessions), 0, (), sessions)

    async def export(
        self,
        guild_id: int,
        actor_id: int,
        raw_meeting: str,
        raw_from: str | None,
        raw_to: str | None,
    ) -> tuple[str, bytes]:
        async with self._db.transaction() as session:
            now = self._clock.now()
            meeting = await self._find(session, guild_id, raw_meeting)
            today = local_date(now, ZoneInfo(meeting.zone))
            to = rule.parse_meeting_date(raw_to, what="to") if raw_to else today
            start = (
                rule.parse_meeting_date(raw_from, what="from")
                if raw_from
                else to - timedelta(days=30)
            )
            if to < start:
                raise InvalidInput(f"`to` ({to}) is before `from` ({start}); please swap them.")
            rows = (
                await session.scalars(
                    select(MeetingAttendance)
                    .where(
                        MeetingAttendance.meeting_id == meeting.id,
                        MeetingAttendance.local_day >= start,
                        MeetingAttendance.local_day <= to,
                    )
                    .order_by(MeetingAttendance.occurrence, MeetingAttendance.user_id)
                )
            ).all()
            for owner in sorted({row.user_id for row in rows}):
                await record_access(
                    session,
                    guild_id=guild_id,
                    owner_id=owner,
                    viewer_id=actor_id,
                    what="meetings.attendance_export",
                    at=now,
                )
            self._audit(session, guild_id, actor_id, "meetings.export", meeting.id)
            name = f"attendance-{start}-{to}.csv"
            return name, attendance.export_csv([(row, meeting.title) for row in rows])
