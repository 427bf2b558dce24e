"""Milestone celebrations: the timed work that notices milestones and delivers them as chosen.

A celebration goes by DM, to the guild's milestones channel, or nowhere (recorded quietly).
Nothing private ever falls back to a public place: a congratulation that cannot be delivered
is held and shown on the member's next /sobriety show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import (
    DueWork,
    GuildSettings,
    MemberSettings,
    MilestoneCelebration,
    SobrietyCounter,
)
from bot.delivery.outbox import Target, enqueue
from bot.domain import milestones as ms
from bot.errors import InvalidInput
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, Lateness, WorkKind
from bot.services.milestone_messages import Reached, channel_posts, private_congratulation
from bot.services.milestone_plans import MILESTONE_KIND, ladder_of, plan_next
from bot.services.settings import (
    DEFAULT_CELEBRATION_HOUR,
    GuildSettingsView,
    MemberContext,
    SettingsService,
)

# More members than this reaching milestones together get one grouped post.
HANDFUL = 5
ANNOUNCE_KIND = "milestone.announce"
DM_PURPOSE = "milestone.dm"
CHANNEL_PURPOSE = "milestone.channel"
REPLAN_BATCH = 2000  # counters checked, and re-planned in one transaction, at a time


def _in_default_zone(now: datetime) -> Select[int]:
    """Counters with an upcoming plan whose member and server chose no zone of their own."""
    return (
        select(SobrietyCounter.id)
        .outerjoin(GuildSettings, GuildSettings.guild_id == SobrietyCounter.guild_id)
        .outerjoin(
            MemberSettings,
            and_(
                MemberSettings.guild_id == SobrietyCounter.guild_id,
                MemberSettings.user_id == SobrietyCounter.user_id,
            ),
        )
        .where(
            SobrietyCounter.next_milestone_at > now,
            SobrietyCounter.next_milestone_days.is_not(None),
            MemberSettings.timezone.is_(None),
            GuildSettings.timezone.is_(None),
        )
    )


# The guild's celebrations still to be posted, each with its counter.
Unannounced = list[tuple[MilestoneCelebration, SobrietyCounter]]


class CelebrationService:
    def __init__(self, database: Database, clock: Clock, settings: SettingsService) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        settings.zone_listeners.append(self.replan)

    def work_kinds(self) -> list[WorkKind[SobrietyCounter] | WorkKind[Unannounced]]:
        milestone: WorkKind[SobrietyCounter] = WorkKind(
            name=MILESTONE_KIND,
            lock_subject=locks.row(SobrietyCounter),
            handle=self._celebrate,
            # A late celebration is still kind to receive; its text says it is belated.
            lateness=Lateness.REWRITE,
            on_failure=self._plan_past_failure,
            rebuild=self.rebuild_milestones,
        )
        announce: WorkKind[Unannounced] = WorkKind(
            name=ANNOUNCE_KIND,
            lock_subject=self._lock_unannounced,
            handle=self._announce,
            lateness=Lateness.DELIVER,
            rebuild=self.rebuild_announcements,
        )
        return [milestone, announce]

    async def configure_guild(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        hour: int | None = None,
        raw_ladder: str | None = None,
        actor_id: int | None = None,
    ) -> GuildSettingsView:
        values: dict[str, object] = {}
        if channel_id is not None:
            values["milestones_channel_id"] = channel_id
        if hour is not None:
            if not 0 <= hour <= 23:
                raise InvalidInput("The celebration hour is a whole hour from 0 to 23.")
            values["celebration_hour"] = hour
        if raw_ladder is not None:
            if raw_ladder.strip().casefold() == "default":
                values["milestone_ladder"] = None
            else:
                try:
                    values["milestone_ladder"] = ms.format_ladder(ms.parse_ladder(raw_ladder))
                except ValueError as exc:
                    raise InvalidInput(
                        f"I couldn't use that ladder: {exc}. Give day counts separated by commas, "
                        "for example `1, 7, 30, 90, 365`, or `default`."
                    ) from None
        if not values:
            raise InvalidInput(
                "Tell me what to change: a `channel`, an `hour` (0–23) or a `ladder`."
            )
        async with self._db.transaction() as session:
            await self._settings.update_guild_in(session, guild_id, **values)
            await self._settings.audit_in(session, guild_id, actor_id, "settings.milestones")
            if "celebration_hour" in values or "milestone_ladder" in values:
                await self.replan(session, guild_id, None)
            return await self._settings.guild_in(session, guild_id)

    async def replan(self, session: AsyncSession, guild_id: int, user_id: int | None) -> None:
        """Re-plan counters after a zone, hour or ladder change (one member, or the guild)."""
        query = (
            select(SobrietyCounter, MemberSettings.timezone)
            .outerjoin(
                MemberSettings,
                and_(
                    MemberSettings.guild_id == SobrietyCounter.guild_id,
                    MemberSettings.user_id == SobrietyCounter.user_id,
                ),
            )
            .where(SobrietyCounter.guild_id == guild_id)
            # Lock order (bot.scheduling.locks): every counter first, in id order, then their
            # due work; and the plans start from the counters as they are now.
            .order_by(SobrietyCounter.id)
            .with_for_update(of=SobrietyCounter)
        )
        if user_id is not None:
            query = query.where(SobrietyCounter.user_id == user_id)
        guild = await self._settings.guild_in(session, guild_id)
        now = self._clock.now()
        for counter, zone in (await session.execute(query)).all():
            context = MemberContext(ZoneInfo(zone or guild.effective_timezone), guild)
            await plan_next(session, counter, context, now, catch_up=True)

    async def replan_default_zone(self) -> int:
        """At start: re-plan the upcoming celebrations of members counted in the default zone
        (neither they nor their server chose one) that were planned in another zone, because
        `default_timezone` changed while the bot was stopped. Today's milestone is kept; an
        overdue plan is left to its handler, which counts in the current zone and celebrates it
        belatedly. Returns how many counters were re-planned."""
        now = self._clock.now()
        zone = ZoneInfo(self._settings.default_zone)
        replanned, after = 0, 0
        while True:
            # Plain columns, not ORM objects: this reads every such counter at every start.
            async with self._db.read() as session:
                rows = (
                    await session.execute(
                        _in_default_zone(now)
                        .add_columns(
                            SobrietyCounter.start_date,
                            SobrietyCounter.next_milestone_days,
                            SobrietyCounter.next_milestone_at,
                            GuildSettings.celebration_hour,
                        )
                        .where(SobrietyCounter.id > after)
                        .order_by(SobrietyCounter.id)
                        .limit(REPLAN_BATCH)
                    )
                ).all()
            moved = [
                counter_id
                for counter_id, start, days, planned, hour in rows
                if planned
                != ms.local_instant(
                    ms.milestone_date(start, days), hour or DEFAULT_CELEBRATION_HOUR, zone
                )
            ]
            if moved:
                replanned += await self._replan_in_default_zone(moved, now)
            if len(rows) < REPLAN_BATCH:
                return replanned
            after = rows[-1][0]

    async def _replan_in_default_zone(self, counter_ids: list[int], now: datetime) -> int:
        # One transaction for the batch; the rows are read again under the lock, so a counter
        # whose member or server chose a zone meanwhile is left to that change's own re-plan.
        async with self._db.transaction() as session:
            rows = (
                await session.execute(
                    _in_default_zone(now)
                    .with_only_columns(SobrietyCounter, GuildSettings)
                    .where(SobrietyCounter.id.in_(counter_ids))
                    .with_for_update(of=SobrietyCounter)
                )
            ).all()
            for counter, guild_row in rows:
                context = self._settings.context_from(counter.guild_id, guild_row, None)
                await plan_next(session, counter, context, now, catch_up=True)
            return len(rows)

    async def _celebrate(
        self, session: AsyncSession, item: DueItem, counter: SobrietyCounter
    ) -> None:
        # The counter is locked, so a reset committed at this moment is wholly before or after.
        if counter.next_milestone_days is None:
            return
        context = await self._settings.member_context_in(session, counter.guild_id, counter.user_id)
        days = ms.days_between(counter.start_date, ms.local_today(item.now, context.zone))
        target = counter.next_milestone_days
        reached = ms.highest_reached(counter.start_date, days, target, ladder_of(context.guild))
        if reached is None:
            # The plan changed underneath (a new timezone or date): plan again, celebrate nothing.
            await plan_next(session, counter, context, item.now, catch_up=True)
            return
        already = await session.scalar(
            select(MilestoneCelebration.id).where(
                MilestoneCelebration.counter_id == counter.id,
                MilestoneCelebration.streak_number == counter.streak_number,
                MilestoneCelebration.days == reached,
            )
        )
        if already is None:
            await self._record(session, counter, context, reached, item)
        await plan_next(session, counter, context, item.now, catch_up=False)

    async def _record(
        self,
        session: AsyncSession,
        counter: SobrietyCounter,
        context: MemberContext,
        reached: int,
        item: DueItem,
    ) -> None:
        # Belated: handled after the grace period, or several milestones were passed while the
        # bot was down and only the highest is named.
        belated = item.late or reached != counter.next_milestone_days
        route = counter.celebrate
        if route == "channel" and context.guild.milestones_channel_id is None:
            route = "dm"
        session.add(
            MilestoneCelebration(
                counter_id=counter.id,
                guild_id=counter.guild_id,
                streak_number=counter.streak_number,
                days=reached,
                belated=belated,
                route=route,
                announced=route != "channel",
                reached_at=item.now,
            )
        )
        if route == "dm":
            await self._send_privately(session, counter, reached, belated)
        elif route == "channel":
            # Collected and posted together a moment later, so a busy morning is one post.
            await ledger.schedule(
                session, ANNOUNCE_KIND, counter.guild_id, item.now, guild_id=counter.guild_id
            )

    async def _plan_past_failure(
        self, session: AsyncSession, item: DueItem, counter: SobrietyCounter
    ) -> None:
        """This celebration failed for good (its reason is in /setup status): the counter's
        later milestones must still come."""
        context = await self._settings.member_context_in(session, counter.guild_id, counter.user_id)
        await plan_next(session, counter, context, item.now, catch_up=False)

    async def rebuild_milestones(self, now: datetime) -> Mapping[int | None, int]:
        """Every counter has its next celebration pending: re-plan any that has none (a lost or
        failed row, a bug), one counter per transaction in the lock order."""
        missing = select(SobrietyCounter.id).where(
            ~exists().where(
                DueWork.kind == MILESTONE_KIND,
                DueWork.subject_id == SobrietyCounter.id,
                ledger.IS_PENDING,
            )
        )
        async with self._db.read() as session:
            candidates = list(await session.scalars(missing))
        repaired: Counter[int | None] = Counter()
        for counter_id in candidates:
            async with self._db.transaction() as session:
                counter = await locks.lock_row(session, SobrietyCounter, counter_id)
                if (
                    counter is None
                    or await session.scalar(missing.where(SobrietyCounter.id == counter_id)) is None
                ):
                    continue  # removed, or planned by a command since the read
                context = await self._settings.member_context_in(
                    session, counter.guild_id, counter.user_id
                )
                await plan_next(session, counter, context, now, catch_up=True)
                repaired[counter.guild_id] += 1
        return repaired

    async def rebuild_announcements(self, now: datetime) -> Mapping[int | None, int]:
        """A server with celebrations waiting for the channel post has its post pending."""
        async with self._db.read() as session:
            guilds = list(
                await session.scalars(
                    select(MilestoneCelebration.guild_id)
                    .where(
                        MilestoneCelebration.announced.is_(False),
                        ~exists().where(
                            DueWork.kind == ANNOUNCE_KIND,
                            DueWork.subject_id == MilestoneCelebration.guild_id,
                            ledger.IS_PENDING,
                        ),
                    )
                    .distinct()
                )
            )
        repaired: Counter[int | None] = Counter()
        for guild_id in guilds:
            async with self._db.transaction() as session:
                await ledger.schedule(session, ANNOUNCE_KIND, guild_id, now, guild_id=guild_id)
            repaired[guild_id] += 1
        return repaired

    async def _send_privately(
        self, session: AsyncSession, counter: SobrietyCounter, days: int, belated: bool
    ) -> None:
        await enqueue(
            session,
            target=Target("dm", counter.user_id),
            message=private_congratulation(
                ms.milestone_name(counter.start_date, days), counter.label, belated=belated
            ),
            purpose=DM_PURPOSE,
            subject_id=counter.id,
            guild_id=counter.guild_id,
        )

    async def _lock_unannounced(self, session: AsyncSession, item: DueItem) -> Unannounced:
        """The announcement's domain rows: the guild's celebrations not yet posted, locked."""
        found = await session.execute(
            select(MilestoneCelebration, SobrietyCounter)
            .join(SobrietyCounter, SobrietyCounter.id == MilestoneCelebration.counter_id)
            .where(
                MilestoneCelebration.guild_id == item.subject_id,
                MilestoneCelebration.announced.is_(False),
            )
            .order_by(MilestoneCelebration.id)
            .with_for_update(of=MilestoneCelebration)
        )
        return [(celebration, counter) for celebration, counter in found.all()]

    async def _announce(self, session: AsyncSession, item: DueItem, rows: Unannounced) -> None:
        guild_id = item.subject_id
        guild = await self._settings.guild_in(session, guild_id)
        for celebration, _counter in rows:
            celebration.announced = True
        if guild.milestones_channel_id is None:
            # The channel was unset after these were noticed: the members still hear of them.
            for celebration, counter in rows:
                await self._send_privately(session, counter, celebration.days, celebration.belated)
            return
        group = [
            Reached(c.id, counter.user_id, ms.milestone_name(counter.start_date, c.days), c.belated)
            for c, counter in rows
        ]
        by_id = {celebration.id: celebration for celebration, _counter in rows}
        for post, carried in channel_posts(group, HANDFUL):
            post_group = min(carried)
            for celebration_id in carried:
                by_id[celebration_id].post_group = post_group
            await enqueue(
                session,
                target=Target("channel", guild.milestones_channel_id),
                message=post,
                purpose=CHANNEL_PURPOSE,
                subject_id=post_group,
                guild_id=guild_id,
                public=True,
            )

    async def hold_undelivered_dm(
        self, session: AsyncSession, subject_id: int | None, _reason: str
    ) -> None:
        """A DM congratulation could not be delivered: keep it for /sobriety show."""
        if subject_id is None:
            return
        days = await session.scalar(
            select(MilestoneCelebration.days)
            .where(
                MilestoneCelebration.counter_id == subject_id,
                MilestoneCelebration.route == "dm",
            )
            .order_by(MilestoneCelebration.id.desc())
            .limit(1)
        )
        counter = await session.get(SobrietyCounter, subject_id)
        if counter is not None and days is not None:
            counter.held_milestone_days = max(counter.held_milestone_days or 0, days)

    async def hold_undelivered_post(
        self, session: AsyncSession, subject_id: int | None, _reason: str
    ) -> None:
        """A channel post could not be delivered (deleted channel, lost permission): each
        member it named gets their congratulation on their next /sobriety show instead."""
        if subject_id is None:
            return
        rows = (
            await session.execute(
                select(MilestoneCelebration, SobrietyCounter)
                .join(SobrietyCounter, SobrietyCounter.id == MilestoneCelebration.counter_id)
                .where(MilestoneCelebration.post_group == subject_id)
            )
        ).all()
        for celebration, counter in rows:
            counter.held_milestone_days = max(counter.held_milestone_days or 0, celebration.days)
