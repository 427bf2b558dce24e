"""Alerts: opening or joining one, the escalation steps as due work, claims and stand-downs.

Every change goes through the pure state machine (`bot.domain.checkins.escalation`): the row is
locked, turned into the domain `Alert`, the transition computed, and its effects applied in the
same transaction (outbox rows, due-work rows, copies). A step's handler re-reads the alert under
its lock, so a step never fires after a claim committed. Lock order: the member's check-in row
(when a member acts), then the alert, then due work, then outbox rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database, Urgency
from bot.db.models import AuditLog, DueWork, GuildSettings, MentoringPair, OutboxMessage
from bot.db.models.checkins import SHARE_NONE, AlertCopy, CheckinAlert, CheckinMember
from bot.db.models.mentoring import ACTIVE as PAIR_ACTIVE
from bot.db.models.outbox import DEAD, FAILED, URGENT
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain.checkins import escalation as esc
from bot.domain.checkins.escalation import Alert, Status, Step
from bot.domain.checkins.risk import Reason
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, Lateness, WorkKind
from bot.security.notes import NotesCipher, NoteUnreadable
from bot.services.checkins import rendering
from bot.services.checkins.config import CheckinConfig, load_config
from bot.services.settings import SettingsService

STEP_KIND = "checkins.step"
ALERT_DM = "checkins.alert.dm"
ALERT_POST = "checkins.alert.post"
MEMBER_DM = "checkins.member.dm"


class Told(StrEnum):
    """Who a member is told has been alerted."""

    MENTOR = "mentor"
    ON_CALL = "on_call"
    NOBODY = "nobody"  # no mentor and no alerts channel: nobody could be reached here


@dataclass(frozen=True, slots=True)
class Raised:
    alert_id: int
    joined: bool
    told: Told


@dataclass(frozen=True, slots=True)
class Known:
    """What the caller of `raise_in` has already read in its transaction (a check-in reads
    all of it): passed on, so an alert raised in a crowd costs fewer round trips."""

    config: CheckinConfig
    zone: ZoneInfo
    sharing: str


class Answer(StrEnum):
    """What pressing an alert button did."""

    DONE = "done"
    NOT_ALLOWED = "not_allowed"
    ALREADY_CLAIMED = "already_claimed"
    ALREADY_CLOSED = "already_closed"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class Answered:
    answer: Answer
    member_id: int | None = None
    claimed_by: int | None = None


def to_domain(row: CheckinAlert) -> Alert:
    return Alert(
        status=Status(row.status),
        urgent=row.urgent,
        reasons=tuple(Reason(r) for r in row.reasons),
        opened_at=row.opened_at,
        fired=frozenset(Step(s) for s in row.fired),
        pending=tuple((Step(s), datetime.fromisoformat(due)) for s, due in row.pending),
        asked_again=tuple(datetime.fromisoformat(at) for at in row.asked_again),
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
    )


def store(row: CheckinAlert, alert: Alert) -> None:
    row.status = alert.status.value
    row.urgent = alert.urgent
    row.reasons = [r.value for r in alert.reasons]
    row.fired = sorted(int(s) for s in alert.fired)
    row.pending = [[int(s), due.isoformat()] for s, due in alert.pending]
    row.asked_again = [at.isoformat() for at in alert.asked_again]
    row.claimed_by = alert.claimed_by
    row.claimed_at = alert.claimed_at
    row.closed_by = alert.closed_by
    row.closed_at = alert.closed_at


async def mentors_of(session: AsyncSession, guild_id: int, member_id: int) -> list[int]:
    """The member's active mentor and sponsor (from the mentoring feature's pairs)."""
    rows = await session.scalars(
        select(MentoringPair.mentor_id)
        .where(
            MentoringPair.guild_id == guild_id,
            MentoringPair.mentee_id == member_id,
            MentoringPair.state == PAIR_ACTIVE,
        )
        .order_by(MentoringPair.id)
    )
    return list(dict.fromkeys(rows.all()))


class AlertService:
    def __init__(
        self, database: Database, clock: Clock, settings: SettingsService, cipher: NotesCipher
    ) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self._cipher = cipher
        outbox.on_undeliverable(ALERT_DM, self._dm_undeliverable)

    def work_kinds(self) -> list[WorkKind[CheckinAlert]]:
        # An unanswered request stays unanswered until a human answers: late steps still fire.
        return [
            WorkKind(
                name=STEP_KIND,
                lock_subject=locks.row(CheckinAlert),
                handle=self._step_due,
                lateness=Lateness.DELIVER,
                rebuild=self.rebuild_steps,
                # Claimed before bulk work due earlier (a morning's prompt wave).
                urgent=True,
            )
        ]

    async def rebuild_steps(self, now: datetime) -> Mapping[int | None, int]:
        """Every pending step of an open alert has its due-work row (re-created if lost)."""
        repairs: Counter[int | None] = Counter()
        async with self._db.read() as session:
            open_ids = (
                await session.scalars(
                    select(CheckinAlert.id)
                    .where(CheckinAlert.status == Status.OPEN.value)
                    .order_by(CheckinAlert.id)
                )
            ).all()
        for alert_id in open_ids:
            async with self._db.transaction() as session:
                row = await locks.lock_row(session, CheckinAlert, alert_id)
                if row is None or row.status != Status.OPEN.value:
                    continue
                planned = set(
                    (
                        await session.scalars(
                            select(DueWork.key).where(
                                DueWork.kind == STEP_KIND,
                                DueWork.subject_id == row.id,
                                ledger.IS_PENDING,
                            )
                        )
                    ).all()
                )
                for step, due in to_domain(row).pending:
                    if str(int(step)) not in planned:
                        await ledger.schedule(
                            session,
                            STEP_KIND,
                            row.id,
                            due,
                            key=str(int(step)),
                            guild_id=row.guild_id,
                        )
                        repairs[row.guild_id] += 1
        return repairs

    # -- opening and joining --------------------------------------------------------------------

    async def raise_in(
        self,
        session: AsyncSession,
        *,
        guild_id: int,
        member_id: int,
        reasons: tuple[Reason, ...],
        at: datetime,
        note: bytes | None,
        mood: int | None,
        craving: int | None,
        known: Known | None = None,
    ) -> Raised:
        """Open an alert, or join the member's active one. The caller holds the member's
        check-in row locked, so two requests of one member never race to open two."""
        config = known.config if known else await load_config(session, guild_id)
        mentors = await mentors_of(session, guild_id, member_id)
        row = await session.scalar(
            select(CheckinAlert)
            .where(
                CheckinAlert.guild_id == guild_id,
                CheckinAlert.user_id == member_id,
                CheckinAlert.status.in_([s.value for s in esc.ACTIVE]),
            )
            .with_for_update()
        )
        if row is not None:
            transition = esc.ask_again(
                to_domain(row), at=at, reasons=reasons, timings=config.timings
            )
            joined = True
        else:
            transition = esc.open_alert(
                at=at, reasons=reasons, timings=config.timings, has_mentor=bool(mentors)
            )
            row = CheckinAlert(
                guild_id=guild_id, user_id=member_id, opened_at=at, status="open", urgent=False
            )
            store(row, transition.alert)
            session.add(row)
            joined = False
        if note is not None:
            row.note = note
        if mood is not None:
            row.mood, row.craving = mood, craving
        if not joined:
            await session.flush()  # one INSERT, scores included: its id names the copies
        await self._apply(session, row, transition, config, mentors, known)
        if Step.MENTOR in transition.alert.fired and mentors:
            told = Told.MENTOR
        elif config.alerts_channel_id is not None:
            told = Told.ON_CALL
        else:
            told = Told.NOBODY
        return Raised(row.id, joined, told)

    # -- the state machine's effects ------------------------------------------------------------

    async def _apply(
        self,
        session: AsyncSession,
        row: CheckinAlert,
        transition: esc.Transition,
        config: CheckinConfig,
        mentors: Sequence[int] | None = None,
        known: Known | None = None,
    ) -> None:
        before = to_domain(row)
        alert = transition.alert
        store(row, alert)
        view = await self._view(session, row, known)
        # Steps planned one after another go in one statement (a new alert plans two).
        planned: list[ledger.Planned] = []
        for effect in [*transition.effects, None]:
            if isinstance(effect, esc.ScheduleStep):
                planned.append(
                    ledger.Planned(
                        STEP_KIND,
                        row.id,
                        effect.due,
                        key=str(int(effect.step)),
                        guild_id=row.guild_id,
                    )
                )
                continue
            if planned:
                await ledger.schedule_many(session, planned)
                planned = []
            if effect is None:
                break
            if isinstance(effect, esc.FireStep):
                if mentors is None:
                    mentors = await mentors_of(session, row.guild_id, row.user_id)
                await self._fire(session, row, alert, view, effect.step, config, mentors)
            elif isinstance(effect, esc.CancelStep):
                await ledger.cancel(session, STEP_KIND, row.id, key=str(int(effect.step)))
            elif isinstance(effect, esc.EditCopies):
                await self._edit_copies(session, row, alert, view, config)
            elif isinstance(effect, esc.TellMember) and alert.claimed_by is not None:
                await self._dm(
                    session,
                    row,
                    row.user_id,
                    rendering.claimed_for_member(alert.claimed_by),
                    MEMBER_DM,
                )
            elif isinstance(effect, esc.TellClaimer) and alert.claimed_by is not None:
                message = rendering.asked_again_for_claimer(
                    row.user_id, alert.asked_again[-1], alert.urgent and not before.urgent
                )
                await self._dm(session, row, alert.claimed_by, message, MEMBER_DM)
            elif isinstance(effect, esc.TellAlerted):
                for recipient in await self._dm_recipients(session, row.id):
                    await self._dm(
                        session,
                        row,
                        recipient,
                        rendering.stood_down_for_alerted(row.user_id),
                        MEMBER_DM,
                    )

    async def _view(
        self, session: AsyncSession, row: CheckinAlert, known: Known | None = None
    ) -> rendering.AlertView:
        if known is not None:
            sharing: str | None = known.sharing
            zone = known.zone
        else:
            sharing = await session.scalar(
                select(CheckinMember.sharing).where(
                    CheckinMember.guild_id == row.guild_id, CheckinMember.user_id == row.user_id
                )
            )
            context = await self._settings.member_context_in(session, row.guild_id, row.user_id)
            zone = context.zone
        note = None
        if row.note is not None:
            try:
                note = self._cipher.decrypt(row.note)
            except NoteUnreadable:
                note = None
        return rendering.AlertView(
            alert_id=row.id,
            member_id=row.user_id,
            zone=zone,
            sharing=sharing or SHARE_NONE,
            mood=row.mood,
            craving=row.craving,
            note=note,
        )

    async def _fire(
        self,
        session: AsyncSession,
        row: CheckinAlert,
        alert: Alert,
        view: rendering.AlertView,
        step: Step,
        config: CheckinConfig,
        mentors: Sequence[int],
    ) -> None:
        if step is Step.MENTOR:
            message = rendering.alert_copy(alert, view, step)
            for mentor in mentors:
                outbox_id = await outbox.enqueue(
                    session,
                    target=Target("dm", mentor),
                    message=message,
                    purpose=ALERT_DM,
                    subject_id=row.id,
                    guild_id=row.guild_id,
                    priority=URGENT,
                )
                session.add(
                    AlertCopy(
                        alert_id=row.id, step=int(step), recipient_id=mentor, outbox_id=outbox_id
                    )
                )
            return
        if config.alerts_channel_id is None:
            return  # nowhere to post; the member was told honestly, /setup checkins says so
        message = await self._post(session, row, alert, view, step, config, ping=True)
        outbox_id = await outbox.enqueue(
            session,
            target=Target("channel", config.alerts_channel_id),
            message=message,
            purpose=ALERT_POST,
            subject_id=row.id,
            guild_id=row.guild_id,
            priority=URGENT,
        )
        session.add(
            AlertCopy(alert_id=row.id, step=int(step), recipient_id=None, outbox_id=outbox_id)
        )
        await session.flush()

    async def _post(
        self,
        session: AsyncSession,
        row: CheckinAlert,
        alert: Alert,
        view: rendering.AlertView,
        step: Step,
        config: CheckinConfig,
        *,
        ping: bool,
    ) -> outbox.OutgoingMessage:
        role = config.on_call_role_id
        if step is Step.MODERATORS:
            role = await session.scalar(
                select(GuildSettings.moderator_role_id).where(
                    GuildSettings.guild_id == row.guild_id
                )
            )
        waited = config.timings.for_urgency(alert.urgent).second_step
        return rendering.escalation_post(
            alert, view, step, role_id=role, minutes=int(waited.total_seconds() // 60), ping=ping
        )

    async def _copies(self, session: AsyncSession, alert_id: int) -> list[AlertCopy]:
        await session.flush()
        rows = await session.scalars(
            select(AlertCopy).where(AlertCopy.alert_id == alert_id).order_by(AlertCopy.id)
        )
        return list(rows.all())

    async def _edit_copies(
        self,
        session: AsyncSession,
        row: CheckinAlert,
        alert: Alert,
        view: rendering.AlertView,
        config: CheckinConfig,
    ) -> None:
        for copy in await self._copies(session, row.id):
            step = Step(copy.step)
            if step is Step.MENTOR:
                message = rendering.alert_copy(alert, view, step)
            else:
                # The edit keeps the post's first line but pings nobody again.
                message = await self._post(session, row, alert, view, step, config, ping=False)
            try:
                await outbox.edit(session, copy.outbox_id, message, priority=URGENT)
            except LookupError:
                continue  # pruned long after it was sent: nothing left to edit

    async def _dm_recipients(self, session: AsyncSession, alert_id: int) -> list[int]:
        return [
            copy.recipient_id
            for copy in await self._copies(session, alert_id)
            if copy.recipient_id is not None
        ]

    async def _dm(
        self,
        session: AsyncSession,
        row: CheckinAlert,
        user_id: int,
        message: outbox.OutgoingMessage,
        purpose: str,
    ) -> None:
        await outbox.enqueue(
            session,
            target=Target("dm", user_id),
            message=message,
            purpose=purpose,
            subject_id=row.id,
            guild_id=row.guild_id,
            priority=URGENT,
        )

    # -- timed steps and failed DMs -------------------------------------------------------------

    async def _step_due(self, session: AsyncSession, item: DueItem, row: CheckinAlert) -> None:
        config = await load_config(session, row.guild_id)
        transition = esc.step_due(to_domain(row), Step(int(item.key)))
        if transition.effects:
            await self._apply(session, row, transition, config)

    async def _dm_undeliverable(
        self, session: AsyncSession, subject_id: int | None, _reason: str
    ) -> None:
        """A mentor's DM could not be delivered: when none of them reached anyone, step 1
        starts now rather than after first-step-minutes."""
        if subject_id is None:
            return
        row = await locks.lock_row(session, CheckinAlert, subject_id)
        if row is None:
            return
        copies = [c for c in await self._copies(session, row.id) if c.step == Step.MENTOR]
        states = (
            await session.scalars(
                select(OutboxMessage.state).where(
                    OutboxMessage.id.in_([c.outbox_id for c in copies])
                )
            )
        ).all()
        if len(states) < len(copies) or any(s not in (FAILED, DEAD) for s in states):
            return  # one reached its mentor, or may still
        config = await load_config(session, row.guild_id)
        transition = esc.mentor_unreachable(to_domain(row))
        if transition.effects:
            await self._apply(session, row, transition, config)

    # -- buttons --------------------------------------------------------------------------------

    async def answer(
        self,
        alert_id: int,
        *,
        action: str,
        copy_step: int,
        by: int,
        role_ids: frozenset[int],
        is_moderator: bool,
    ) -> Answered:
        """ "I'm reaching out" (`claim`) or "Resolved" (`resolve`) on one copy of an alert.
        Urgent: a claim stops the chain and tells the member someone is coming."""
        async with self._db.transaction(Urgency.REQUEST) as session:
            row = await locks.lock_row(session, CheckinAlert, alert_id)
            if row is None:
                return Answered(Answer.GONE)
            config = await load_config(session, row.guild_id)
            mentors = await mentors_of(session, row.guild_id, row.user_id)
            allowed = esc.may_answer(
                Step(copy_step),
                is_mentor=by in mentors,
                is_on_call=config.on_call_role_id is not None
                and config.on_call_role_id in role_ids,
                is_moderator=is_moderator,
            )
            if not allowed or by == row.user_id:
                return Answered(Answer.NOT_ALLOWED, row.user_id)
            now = self._clock.now()
            alert = to_domain(row)
            if action == "claim":
                transition = esc.claim(alert, by=by, at=now)
            else:
                transition = esc.resolve(alert, by=by, at=now)
            if transition.refused is esc.Refusal.ALREADY_CLAIMED:
                return Answered(Answer.ALREADY_CLAIMED, row.user_id, alert.claimed_by)
            if transition.refused is esc.Refusal.ALREADY_CLOSED:
                return Answered(Answer.ALREADY_CLOSED, row.user_id, alert.claimed_by)
            await self._apply(session, row, transition, config, mentors)
            if is_moderator and by not in mentors:
                # A moderator acting on a member's alert is a moderator action: audited.
                session.add(
                    AuditLog(
                        guild_id=row.guild_id,
                        actor_id=by,
                        action=f"checkins.alert.{action}",
                        target_id=row.user_id,
                        at=now,
                    )
                )
            return Answered(Answer.DONE, row.user_id, transition.alert.claimed_by)

    async def stand_down(self, alert_id: int, *, by: int) -> Answer:
        """The member's "I'm OK now"."""
        async with self._db.transaction(Urgency.REQUEST) as session:
            row = await locks.lock_row(session, CheckinAlert, alert_id)
            if row is None:
                return Answer.GONE
            if row.user_id != by:
                return Answer.NOT_ALLOWED
            transition = esc.stand_down(to_domain(row), at=self._clock.now())
            if transition.refused is not None:
                return Answer.ALREADY_CLOSED
            await self._apply(session, row, transition, await load_config(session, row.guild_id))
            return Answer.DONE
