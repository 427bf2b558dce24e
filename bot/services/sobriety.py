"""Sobriety counters: setting, showing, resetting, history, privacy and milestone celebrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import (
    GuildSettings,
    MemberSettings,
    MilestoneCelebration,
    SobrietyCounter,
    SobrietyStreak,
)
from bot.delivery import outbox
from bot.domain import milestones as ms
from bot.domain.sobriety_input import (
    DEFAULT_LABEL,
    label_key,
    parse_date,
    parse_label,
    parse_time,
)
from bot.errors import InvalidInput, NotFound
from bot.scheduling import ledger, locks
from bot.services import held_congratulations, sobriety_data
from bot.services.celebrations import DM_PURPOSE
from bot.services.milestone_plans import MILESTONE_KIND, ladder_of, plan_next
from bot.services.privacy.access import record_access
from bot.services.privacy.registry import MemberData
from bot.services.settings import MemberContext, SettingsService

MAX_COUNTERS = 10
VISIBILITIES = ("private", "members")
NO_COUNTER = "You don't have a counter yet. Start one with `/sobriety set date:YYYY-MM-DD`."
CELEBRATIONS = ("channel", "dm", "off")


@dataclass(frozen=True, slots=True)
class CounterCard:
    label: str
    days: int
    span: ms.Span
    start_date: date
    start_time: time | None
    next_milestone: int
    next_milestone_date: date
    journey_days: int
    visibility: str
    celebrate: str
    zone: str
    next_milestone_name: str = ""  # "60 days", "18 months", "2 years"
    counter_id: int = 0
    # A congratulation that could not reach the member, shown with their next /sobriety show.
    held_milestone: int | None = None
    held_name: str | None = None
    held_because: str | None = None  # "dms_closed" or "post_failed": why it could not reach them
    # The last congratulation Steady tried to DM was refused (DMs closed), and none got through
    # since: the card says so, and how to open DMs.
    dms_closed: bool = False


@dataclass(frozen=True, slots=True)
class StreakLine:
    start_date: date
    end_date: date | None  # None: the current streak
    days: int


@dataclass(frozen=True, slots=True)
class History:
    label: str
    streaks: list[StreakLine]  # oldest first, the current one last
    longest: int
    journey_days: int


@dataclass(frozen=True, slots=True)
class ResetPlan:
    """What a reset will do, shown on the confirmation prompt before anything changes."""

    label: str
    new_start: date
    ending_days: int
    streak_number: int
    start_time: time | None = None


@dataclass(frozen=True, slots=True)
class SetDone:
    """A counter started, or the current streak corrected (`corrected_from` is its old start)."""

    card: CounterCard
    corrected_from: date | None = None
    previous_days: int | None = None


@dataclass(frozen=True, slots=True)
class RemovePlan:
    label: str
    journey_days: int
    streaks: int


@dataclass(frozen=True, slots=True)
class ResetDone:
    label: str
    new_start: date
    previous_days: int
    journey_days: int


class SobrietyService:
    def __init__(self, database: Database, clock: Clock, settings: SettingsService) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings

    def member_data(self) -> list[MemberData]:
        return [sobriety_data.member_data()]

    # -- member commands ------------------------------------------------------------------

    async def set_counter(
        self,
        guild_id: int,
        user_id: int,
        raw_date: str,
        raw_label: str | None = None,
        raw_time: str | None = None,
    ) -> SetDone | ResetPlan:
        """Start a counter, or correct the current streak's start to an earlier date or another
        time (backdating is not a relapse). A later date on an existing counter is a restart:
        nothing changes here, and the returned plan is confirmed through `reset`."""
        label = parse_label(raw_label)
        start_time = parse_time(raw_time) if raw_time is not None else None
        async with self._db.transaction() as session:
            context = await self._settings.member_context_in(session, guild_id, user_id)
            now = self._clock.now()
            today = ms.local_today(now, context.zone)
            start = parse_date(raw_date, today=today, what="start date")
            local_now = now.astimezone(context.zone).time().replace(tzinfo=None)
            if start == today and start_time is not None and start_time > local_now:
                raise InvalidInput(
                    f"It's only {local_now:%H:%M} where you are, so a streak can't have started "
                    f"at {start_time:%H:%M} today. Give a time that has passed, or leave `time` "
                    "out."
                )
            counter = await self._find(session, guild_id, user_id, label)
            if counter is not None:
                await locks.relock(session, counter)  # lock order: the counter, then its work
            corrected_from: date | None = None
            previous_days: int | None = None
            if counter is None:
                count = await session.scalar(
                    select(func.count())
                    .select_from(SobrietyCounter)
                    .where(SobrietyCounter.guild_id == guild_id, SobrietyCounter.user_id == user_id)
                )
                if (count or 0) >= MAX_COUNTERS:
                    raise InvalidInput(
                        f"You already have {MAX_COUNTERS} counters, the most Steady keeps. "
                        "Remove one with `/sobriety remove` to start another."
                    )
                counter = SobrietyCounter(
                    guild_id=guild_id,
                    user_id=user_id,
                    label=label,
                    label_key=label_key(label),
                    visibility="private",
                    celebrate="dm",
                    created_at=now,
                )
                session.add(counter)
            elif start > counter.start_date:
                # A later start ends the current streak: that is a restart, and a streak is
                # never lost without the member confirming it.
                plan = self._validate_reset(counter, context.zone, start.isoformat())
                return replace(plan, start_time=start_time)
            else:
                earliest_allowed = await session.scalar(
                    select(func.max(SobrietyStreak.end_date)).where(
                        SobrietyStreak.counter_id == counter.id
                    )
                )
                if earliest_allowed is not None and start < earliest_allowed:
                    raise InvalidInput(
                        f"Your previous streak ended on {earliest_allowed:%Y-%m-%d}, so this "
                        "streak can't start before that. `/sobriety history` shows your streaks."
                    )
                corrected_from = counter.start_date
                previous_days = ms.days_between(counter.start_date, today)
            # Backdating or correcting the date is not a relapse: history stays as it is.
            counter.start_date = start
            counter.start_time = start_time
            counter.updated_at = now
            await session.flush()
            # Milestones already passed are not celebrated; the next one is planned.
            await plan_next(session, counter, context, now, catch_up=False)
            return SetDone(self._card(counter, context), corrected_from, previous_days)

    async def show_own(
        self, guild_id: int, user_id: int, raw_label: str | None
    ) -> list[CounterCard]:
        """The member's counter named by `raw_label`, or all of them."""
        # One read-only query in the common case: the busiest command stays fast and never
        # waits behind a writer.
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    select(
                        SobrietyCounter,
                        GuildSettings,
                        MemberSettings.timezone,
                        held_congratulations.refused_dm(guild_id, user_id),
                    )
                    .outerjoin(GuildSettings, GuildSettings.guild_id == SobrietyCounter.guild_id)
                    .outerjoin(
                        MemberSettings,
                        and_(
                            MemberSettings.guild_id == SobrietyCounter.guild_id,
                            MemberSettings.user_id == SobrietyCounter.user_id,
                        ),
                    )
                    .where(SobrietyCounter.guild_id == guild_id, SobrietyCounter.user_id == user_id)
                    .order_by(SobrietyCounter.id)
                )
            ).all()
        if not rows:
            raise NotFound(NO_COUNTER)
        counters = [row[0] for row in rows]
        if raw_label is not None:
            named = parse_label(raw_label)
            wanted = {label_key(named), named.casefold()}
            counters = [c for c in counters if c.label_key in wanted]
            if not counters:
                names = ", ".join(row[0].label for row in rows)
                raise NotFound(
                    f"You don't have a counter called “{parse_label(raw_label)}”. "
                    f"Your counters: {names}."
                )
        context = self._settings.context_from(guild_id, rows[0][1], rows[0][2])
        refused_dm = rows[0][3]
        held: dict[int, held_congratulations.Held] = {}
        dms_closed = False
        if refused_dm is not None or any(c.held_milestone_days for c in counters):
            async with self._db.read() as session:
                if refused_dm is not None:
                    dms_closed = await held_congratulations.dms_still_closed(
                        session, guild_id, user_id, refused_dm
                    )
                held = await held_congratulations.details(session, counters)
        cards = [
            replace(self._card(counter, context), dms_closed=dms_closed) for counter in counters
        ]
        return [
            replace(
                card,
                held_because=held[card.counter_id].because,
                held_name=held[card.counter_id].name,
            )
            if card.counter_id in held
            else card
            for card in cards
        ]

    async def clear_held(self, shown: Sequence[CounterCard]) -> None:
        """Forget the congratulations a member has now seen. Called only after the reply that
        showed them was delivered, so a failed reply keeps them for the next /sobriety show."""
        held = [(card.counter_id, card.held_milestone) for card in shown if card.held_milestone]
        if not held:
            return
        async with self._db.transaction() as session:
            for counter_id, days in held:
                # Only the congratulation shown is cleared; one held since stays held.
                await session.execute(
                    update(SobrietyCounter)
                    .where(
                        SobrietyCounter.id == counter_id,
                        SobrietyCounter.held_milestone_days == days,
                    )
                    .values(held_milestone_days=None)
                )

    async def show_other(
        self, guild_id: int, owner_id: int, raw_label: str | None, *, viewer_id: int
    ) -> CounterCard | None:
        """Another member's counter, or None when it is private (or does not exist: the asker
        must not learn which). A counter shown is written to its owner's access log, in the
        transaction that read it."""
        async with self._db.transaction() as session:
            query = select(SobrietyCounter).where(
                SobrietyCounter.guild_id == guild_id,
                SobrietyCounter.user_id == owner_id,
                SobrietyCounter.visibility == "members",
            )
            if raw_label is not None:
                try:
                    named = parse_label(raw_label)
                    query = query.where(
                        SobrietyCounter.label_key.in_({label_key(named), named.casefold()})
                    )
                except InvalidInput:
                    return None
            visible = (await session.scalars(query.order_by(SobrietyCounter.id))).all()
            if not visible:
                return None
            counter = next((c for c in visible if c.label_key == DEFAULT_LABEL), visible[0])
            context = await self._settings.member_context_in(session, guild_id, owner_id)
            await record_access(
                session,
                guild_id=guild_id,
                owner_id=owner_id,
                viewer_id=viewer_id,
                what="sobriety.shared",
                at=self._clock.now(),
            )
        return replace(
            self._card(counter, context), held_milestone=None, held_name=None, counter_id=0
        )

    async def plan_reset(
        self, guild_id: int, user_id: int, raw_label: str | None, raw_date: str | None
    ) -> ResetPlan:
        """Validate a reset and describe it for the confirmation prompt; changes nothing."""
        async with self._db.read() as session:
            counter = await self._resolve(session, guild_id, user_id, raw_label)
            context = await self._settings.member_context_in(session, guild_id, user_id)
            return self._validate_reset(counter, context.zone, raw_date)

    async def reset(
        self,
        guild_id: int,
        user_id: int,
        raw_label: str | None,
        raw_date: str | None,
        *,
        streak_number: int | None = None,
        start_time: time | None = None,
    ) -> ResetDone:
        """Start a new streak, keeping the ended one. With `streak_number` (from the prompt the
        member confirmed), a second click or a stale prompt changes nothing."""
        async with self._db.transaction() as session:
            counter = await self._resolve(session, guild_id, user_id, raw_label)
            await locks.relock(session, counter)  # lock order: the counter, then its work
            if streak_number is not None and counter.streak_number != streak_number:
                raise InvalidInput("This streak was already restarted; nothing more was changed.")
            context = await self._settings.member_context_in(session, guild_id, user_id)
            plan = self._validate_reset(counter, context.zone, raw_date)
            session.add(
                SobrietyStreak(
                    counter_id=counter.id,
                    start_date=counter.start_date,
                    end_date=plan.new_start,
                    days=plan.ending_days,
                )
            )
            counter.start_date = plan.new_start
            counter.start_time = start_time
            counter.past_days += plan.ending_days
            counter.streak_number += 1
            counter.updated_at = self._clock.now()
            await session.flush()
            await plan_next(session, counter, context, self._clock.now(), catch_up=False)
            card = self._card(counter, context)
            return ResetDone(counter.label, plan.new_start, plan.ending_days, card.journey_days)

    async def history(self, guild_id: int, user_id: int, raw_label: str | None) -> History:
        async with self._db.read() as session:
            counter = await self._resolve(session, guild_id, user_id, raw_label)
            zone = (await self._settings.member_context_in(session, guild_id, user_id)).zone
            past = (
                await session.scalars(
                    select(SobrietyStreak)
                    .where(SobrietyStreak.counter_id == counter.id)
                    .order_by(SobrietyStreak.start_date, SobrietyStreak.id)
                )
            ).all()
        today = ms.local_today(self._clock.now(), zone)
        lines = [StreakLine(s.start_date, s.end_date, s.days) for s in past]
        lines.append(
            StreakLine(counter.start_date, None, ms.days_between(counter.start_date, today))
        )
        return History(
            label=counter.label,
            streaks=lines,
            longest=max(line.days for line in lines),
            journey_days=sum(line.days for line in lines),
        )

    async def set_privacy(
        self,
        guild_id: int,
        user_id: int,
        raw_label: str | None,
        visibility: str | None,
        celebrate: str | None,
    ) -> CounterCard:
        if visibility is not None and visibility not in VISIBILITIES:
            raise InvalidInput("Visibility can be `private` or `members`.")
        if celebrate is not None and celebrate not in CELEBRATIONS:
            raise InvalidInput("Celebrations can go to `channel`, `dm`, or be `off`.")
        async with self._db.transaction() as session:
            counter = await self._resolve(session, guild_id, user_id, raw_label)
            if visibility is not None:
                counter.visibility = visibility
            if celebrate is not None:
                counter.celebrate = celebrate
            counter.updated_at = self._clock.now()
            context = await self._settings.member_context_in(session, guild_id, user_id)
            return self._card(counter, context)

    async def plan_remove(self, guild_id: int, user_id: int, raw_label: str) -> RemovePlan:
        """What removing a counter deletes, for the confirmation prompt; changes nothing."""
        history = await self.history(guild_id, user_id, raw_label)
        return RemovePlan(history.label, history.journey_days, len(history.streaks))

    async def remove(self, guild_id: int, user_id: int, raw_label: str) -> str:
        async with self._db.transaction() as session:
            counter = await self._resolve(session, guild_id, user_id, raw_label)
            # Lock order (bot.scheduling.locks): the counter and its rows, then its due work.
            await locks.relock(session, counter)
            label = counter.label
            # Deleted explicitly as well as by ON DELETE CASCADE: SQLite only cascades when
            # foreign keys are on, and nothing of a removed counter may linger.
            await session.execute(
                delete(SobrietyStreak).where(SobrietyStreak.counter_id == counter.id)
            )
            await session.execute(
                delete(MilestoneCelebration).where(MilestoneCelebration.counter_id == counter.id)
            )
            await session.delete(counter)
            await ledger.cancel(session, MILESTONE_KIND, counter.id)
            await outbox.cancel_pending(session, purpose=DM_PURPOSE, subject_id=counter.id)
            return label

    async def labels(self, guild_id: int, user_id: int) -> list[str]:
        async with self._db.read() as session:
            rows = await session.scalars(
                select(SobrietyCounter.label)
                .where(SobrietyCounter.guild_id == guild_id, SobrietyCounter.user_id == user_id)
                .order_by(SobrietyCounter.label_key)
            )
            return list(rows)

    async def due_between(self, start: datetime, end: datetime) -> list[int]:
        """Counters whose next milestone falls in [start, end); an index range scan."""
        async with self._db.read() as session:
            rows = await session.scalars(
                select(SobrietyCounter.id).where(
                    SobrietyCounter.next_milestone_at >= start,
                    SobrietyCounter.next_milestone_at < end,
                )
            )
            return list(rows)

    # -- helpers --------------------------------------------------------------------------

    def _card(self, counter: SobrietyCounter, context: MemberContext) -> CounterCard:
        today = ms.local_today(self._clock.now(), context.zone)
        days = ms.days_between(counter.start_date, today)
        upcoming = ms.next_milestone(counter.start_date, days, ladder_of(context.guild))
        held = counter.held_milestone_days
        return CounterCard(
            label=counter.label,
            days=days,
            span=ms.span(counter.start_date, today),
            start_date=counter.start_date,
            start_time=counter.start_time,
            next_milestone=upcoming,
            next_milestone_date=ms.milestone_date(counter.start_date, upcoming),
            journey_days=counter.past_days + days,
            visibility=counter.visibility,
            celebrate=counter.celebrate,
            zone=context.zone.key,
            next_milestone_name=ms.milestone_name(counter.start_date, upcoming),
            counter_id=counter.id,
            held_milestone=held,
            held_name=ms.milestone_name(counter.start_date, held) if held else None,
        )

    def _validate_reset(
        self, counter: SobrietyCounter, zone: ZoneInfo, raw_date: str | None
    ) -> ResetPlan:
        today = ms.local_today(self._clock.now(), zone)
        new_start = (
            parse_date(raw_date, today=today, what="new start date")
            if raw_date is not None
            else today
        )
        if new_start < counter.start_date:
            raise InvalidInput(
                f"Your current streak started on {counter.start_date:%Y-%m-%d}, so a reset "
                "can't be dated before that. To correct the start date itself, use "
                "`/sobriety set`."
            )
        if new_start == counter.start_date:
            raise InvalidInput(
                f"Your current streak already starts on {new_start:%A %-d %B %Y}, so there's "
                "nothing to restart: it would end a streak of 0 days. Nothing was changed. "
                "If today is hard, your mentor is there for you, and `/crisis` lists people "
                "you can reach right now."
            )
        return ResetPlan(
            counter.label,
            new_start,
            ms.days_between(counter.start_date, new_start),
            counter.streak_number,
        )

    async def _find(
        self, session: AsyncSession, guild_id: int, user_id: int, label: str
    ) -> SobrietyCounter | None:
        # Counters saved before labels were normalised carry their case-folded label as key.
        keys = {label_key(label), label.casefold()}
        found: SobrietyCounter | None = await session.scalar(
            select(SobrietyCounter)
            .where(
                SobrietyCounter.guild_id == guild_id,
                SobrietyCounter.user_id == user_id,
                SobrietyCounter.label_key.in_(keys),
            )
            .limit(1)
        )
        return found

    async def _resolve(
        self, session: AsyncSession, guild_id: int, user_id: int, raw_label: str | None
    ) -> SobrietyCounter:
        """The member's counter named, or the only one, or the default one; else a kind error."""
        if raw_label is not None:
            label = parse_label(raw_label)
            counter = await self._find(session, guild_id, user_id, label)
            if counter is None:
                names = await self._label_list(session, guild_id, user_id)
                hint = f" Your counters: {names}." if names else ""
                raise NotFound(f"You don't have a counter called “{label}”.{hint}")
            return counter
        counters = await self._all(session, guild_id, user_id)
        if not counters:
            raise NotFound(NO_COUNTER)
        if len(counters) == 1:
            return counters[0]
        for counter in counters:
            if counter.label_key == DEFAULT_LABEL:
                return counter
        names = ", ".join(c.label for c in counters)
        raise InvalidInput(f"You have several counters ({names}); pick one with `label:`.")

    async def _all(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> list[SobrietyCounter]:
        rows = await session.scalars(
            select(SobrietyCounter)
            .where(SobrietyCounter.guild_id == guild_id, SobrietyCounter.user_id == user_id)
            .order_by(SobrietyCounter.id)
        )
        return list(rows)

    async def _label_list(self, session: AsyncSession, guild_id: int, user_id: int) -> str:
        rows = await session.scalars(
            select(SobrietyCounter.label).where(
                SobrietyCounter.guild_id == guild_id, SobrietyCounter.user_id == user_id
            )
        )
        return ", ".join(rows)
