"""Daily prompts at each member's own local time, and silence as a signal to their mentor.

One due-work row per member with a schedule, at the next prompt instant. The handler judges the
prompt that just ended (answered or missed), sends the new one unless it is too late (a prompt
still unsent when the next is due is dropped, not sent late), and plans the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import DueWork
from bot.db.models.checkins import Checkin, CheckinMember
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain.checkins import inputs, schedule, signals
from bot.domain.local_time import local_date
from bot.domain.weekdays import format_weekdays
from bot.errors import InvalidInput
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, WorkKind
from bot.services.checkins import rendering
from bot.services.checkins.members import locked_member
from bot.services.checkins.submissions import NUDGE_PURPOSE, mentor_only
from bot.services.settings import SettingsService

PROMPT_KIND = "checkins.prompt"
PROMPT_PURPOSE = "checkins.prompt"


@dataclass(frozen=True, slots=True)
class ScheduleView:
    at: str | None
    days: str | None
    paused_through: date | None
    next_prompt: datetime | None
    zone: str


def _schedule_of(row: CheckinMember, zone: ZoneInfo) -> schedule.PromptSchedule | None:
    if row.prompt_time is None or not row.prompt_days:
        return None
    return schedule.PromptSchedule(
        at=inputs.parse_schedule_time(row.prompt_time),
        days=frozenset(row.prompt_days),
        zone=zone,
        paused_through=row.paused_through,
    )


class PromptService:
    def __init__(self, database: Database, clock: Clock, settings: SettingsService) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        settings.zone_listeners.append(self._zone_changed)

    def work_kinds(self) -> list[WorkKind[CheckinMember]]:
        return [
            WorkKind(
                name=PROMPT_KIND,
                lock_subject=locks.row(CheckinMember),
                handle=self._prompt_due,
                on_failure=self._plan_after_failure,
                rebuild=self.rebuild_prompts,
            )
        ]

    async def rebuild_prompts(self, now: datetime) -> Mapping[int | None, int]:
        """Every member with a schedule has their next prompt planned (re-planned if lost)."""
        planned = select(DueWork.id).where(
            DueWork.kind == PROMPT_KIND,
            DueWork.subject_id == CheckinMember.id,
            ledger.IS_PENDING,
        )
        async with self._db.read() as session:
            missing = (
                await session.scalars(
                    select(CheckinMember.id)
                    .where(CheckinMember.prompt_time.is_not(None), ~planned.exists())
                    .order_by(CheckinMember.id)
                )
            ).all()
        repairs: Counter[int | None] = Counter()
        for member_id in missing:
            async with self._db.transaction() as session:
                row = await locks.lock_row(session, CheckinMember, member_id)
                if row is None or row.prompt_time is None:
                    continue
                await self._plan(session, row, now)
                repairs[row.guild_id] += 1
        return repairs

    async def set_schedule(
        self, guild_id: int, user_id: int, *, time: str, days: str | None
    ) -> ScheduleView:
        at = inputs.parse_schedule_time(time)
        chosen = inputs.parse_schedule_days(days)
        return await self._change(
            guild_id,
            user_id,
            prompt_time=f"{at:%H:%M}",
            prompt_days=sorted(chosen),
            paused_through=None,
        )

    async def pause(self, guild_id: int, user_id: int, *, until: str) -> ScheduleView:
        zone = await self._settings.member_zone(guild_id, user_id)
        today = local_date(self._clock.now(), zone)
        last = inputs.parse_pause_until(until, today=today)
        return await self._change(guild_id, user_id, paused_through=last, needs_schedule=True)

    async def resume(self, guild_id: int, user_id: int) -> ScheduleView:
        return await self._change(guild_id, user_id, paused_through=None, needs_schedule=True)

    async def off(self, guild_id: int, user_id: int) -> ScheduleView:
        return await self._change(
            guild_id, user_id, prompt_time=None, prompt_days=None, paused_through=None
        )

    async def _change(
        self, guild_id: int, user_id: int, *, needs_schedule: bool = False, **values: object
    ) -> ScheduleView:
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await locked_member(session, guild_id, user_id, now)
            if needs_schedule and row.prompt_time is None:
                raise InvalidInput(
                    "You don't have a check-in reminder yet. Set one with "
                    "`/checkin schedule time:20:00`."
                )
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            # A new schedule starts a new count of missed prompts.
            row.last_prompt_at, row.missed_in_a_row, row.silence_nudged = None, 0, False
            return await self._plan(session, row, now)

    async def _plan(
        self,
        session: AsyncSession,
        row: CheckinMember,
        after: datetime,
        zone: ZoneInfo | None = None,
    ) -> ScheduleView:
        """Plan (or cancel) the member's next prompt; `zone` when the caller has just read it
        (a prompt wave's handler would otherwise read it twice per member)."""
        if zone is None:
            context = await self._settings.member_context_in(session, row.guild_id, row.user_id)
            zone = context.zone
        plan = _schedule_of(row, zone)
        upcoming = None
        if plan is None:
            await ledger.cancel(session, PROMPT_KIND, row.id)
        else:
            upcoming = schedule.next_prompt(plan, after)
            await ledger.schedule(session, PROMPT_KIND, row.id, upcoming, guild_id=row.guild_id)
        return ScheduleView(
            at=row.prompt_time,
            days=format_weekdays(frozenset(row.prompt_days)) if row.prompt_days else None,
            paused_through=row.paused_through,
            next_prompt=upcoming,
            zone=zone.key,
        )

    async def _zone_changed(
        self, session: AsyncSession, guild_id: int, user_id: int | None
    ) -> None:
        query = select(CheckinMember).where(
            CheckinMember.guild_id == guild_id, CheckinMember.prompt_time.is_not(None)
        )
        if user_id is not None:
            query = query.where(CheckinMember.user_id == user_id)
        for row in (
            await session.scalars(query.order_by(CheckinMember.id).with_for_update())
        ).all():
            await self._plan(session, row, self._clock.now())

    async def _prompt_due(self, session: AsyncSession, item: DueItem, row: CheckinMember) -> None:
        zone = (await self._settings.member_context_in(session, row.guild_id, row.user_id)).zone
        plan = _schedule_of(row, zone)
        if plan is None:
            return  # turned off since; nothing more to plan
        await self._judge_last_prompt(session, row, item.due_at)
        if schedule.prompt_is_stale(plan, item.due_at, item.now):
            row.last_prompt_at = None  # never sent, so it cannot be missed
        else:
            await outbox.enqueue(
                session,
                target=Target("dm", row.user_id),
                message=rendering.prompt_message(row.guild_id),
                purpose=PROMPT_PURPOSE,
                subject_id=row.id,
                guild_id=row.guild_id,
            )
            row.last_prompt_at = item.due_at
        await self._plan(session, row, max(item.now, item.due_at), zone)

    async def _judge_last_prompt(
        self, session: AsyncSession, row: CheckinMember, until: datetime
    ) -> None:
        if row.last_prompt_at is None:
            return
        answered = await session.scalar(
            select(
                exists().where(
                    Checkin.guild_id == row.guild_id,
                    Checkin.user_id == row.user_id,
                    Checkin.at >= row.last_prompt_at,
                    Checkin.at < until,
                )
            )
        )
        if answered:
            row.missed_in_a_row, row.silence_nudged = 0, False
            return
        state = signals.SilenceState(row.missed_in_a_row, row.silence_nudged)
        state, nudge = signals.after_missed_prompt(state)
        row.missed_in_a_row, row.silence_nudged = state.missed_in_a_row, state.nudged
        if not nudge:
            return
        mentor = await mentor_only(session, row.guild_id, row.user_id)
        if mentor is None:
            return  # without a mentor, nothing is sent to anyone
        await outbox.enqueue(
            session,
            target=Target("dm", mentor),
            message=rendering.silence_nudge(row.user_id),
            purpose=NUDGE_PURPOSE,
            subject_id=row.id,
            guild_id=row.guild_id,
        )

    async def _plan_after_failure(
        self, session: AsyncSession, item: DueItem, row: CheckinMember
    ) -> None:
        await self._plan(session, row, max(item.now, item.due_at))
