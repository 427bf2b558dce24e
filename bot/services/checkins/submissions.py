"""Recording a check-in or an /sos: the scores, the encrypted note, the trend, the alert it
raises and the quiet mood-drop nudge, all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database, Urgency
from bot.db.models import MentoringPair
from bot.db.models.checkins import Checkin, CheckinMember
from bot.db.models.mentoring import ACTIVE as PAIR_ACTIVE
from bot.delivery import outbox
from bot.delivery.outbox import Target
from bot.domain.checkins import inputs, risk, signals, trend
from bot.domain.crisis import mentions_crisis
from bot.security.notes import NotesCipher
from bot.services.checkins import rendering
from bot.services.checkins.alerts import AlertService, Known, Raised, Told
from bot.services.checkins.config import CrisisLineView, crisis_lines, load_config
from bot.services.checkins.members import locked_member
from bot.services.settings import SettingsService

NUDGE_PURPOSE = "checkins.nudge"
_MOOD_WINDOW = signals.MOOD_DROP_BASELINE + timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Submitted:
    mood: int | None
    craving: int | None
    trend: str | None
    raised: Raised | None
    # Crisis language, or an /sos: the reply shows the crisis card first.
    crisis: bool
    crisis_lines: tuple[CrisisLineView, ...]

    @property
    def told(self) -> Told | None:
        return self.raised.told if self.raised else None


async def mentor_only(session: AsyncSession, guild_id: int, member_id: int) -> int | None:
    """The member's mentor (not sponsor): quiet nudges go to them alone."""
    return await session.scalar(
        select(MentoringPair.mentor_id).where(
            MentoringPair.guild_id == guild_id,
            MentoringPair.mentee_id == member_id,
            MentoringPair.state == PAIR_ACTIVE,
            MentoringPair.kind == "mentor",
        )
    )


class SubmissionService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: SettingsService,
        cipher: NotesCipher,
        alerts: AlertService,
    ) -> None:
        self._db = database
        self._clock = clock
        self._settings = settings
        self._cipher = cipher
        self._alerts = alerts

    async def submit(
        self,
        guild_id: int,
        user_id: int,
        *,
        mood: str | int,
        craving: str | int,
        note: str | None,
        support: str | bool | None,
    ) -> Submitted:
        """A check-in from the form or the direct command; InvalidInput changes nothing."""
        score = inputs.parse_mood(mood)
        crave = inputs.parse_craving(craving)
        text = inputs.parse_note(note)
        wants_support = inputs.parse_support(support)
        # Asking for support, or words of crisis, reach a human: the transaction goes ahead of
        # ordinary writers (bot/db/write_turns.py). Known from the check-in alone; a score past
        # the server's thresholds is known only once its settings are read, inside the turn,
        # so such a check-in queues as an ordinary one (its alert is still sent urgently). A
        # read first would cost every check-in of a crowd CPU while the crowd's interactions
        # still wait to be answered.
        urgent = wants_support or mentions_crisis(text)
        now = self._clock.now()
        async with self._db.transaction(Urgency.REQUEST if urgent else Urgency.NORMAL) as session:
            member = await locked_member(session, guild_id, user_id, now)
            config = await load_config(session, guild_id)
            context = await self._settings.member_context_in(session, guild_id, user_id)
            recent = (
                await session.execute(
                    select(Checkin.at, Checkin.mood)
                    .where(
                        Checkin.guild_id == guild_id,
                        Checkin.user_id == user_id,
                        Checkin.at >= now - _MOOD_WINDOW,
                    )
                    .order_by(Checkin.at)
                )
            ).all()
            previous = (recent[-1][0], recent[-1][1]) if recent else None
            token = self._cipher.encrypt(text) if text else None
            session.add(
                Checkin(
                    guild_id=guild_id,
                    user_id=user_id,
                    at=now,
                    mood=score,
                    craving=crave,
                    support=wants_support,
                    note=token,
                )
            )
            # Any check-in ends a spell of silence.
            member.missed_in_a_row, member.silence_nudged = 0, False
            assessment = risk.assess_checkin(
                mood=score,
                craving=crave,
                support=wants_support,
                note=text,
                thresholds=config.thresholds,
            )
            raised = None
            if assessment.alert:
                raised = await self._alerts.raise_in(
                    session,
                    guild_id=guild_id,
                    member_id=user_id,
                    reasons=assessment.reasons,
                    at=now,
                    note=token,
                    mood=score,
                    craving=crave,
                    known=Known(config=config, zone=context.zone, sharing=member.sharing),
                )
            points = [signals.MoodPoint(at, m) for at, m in recent]
            points.append(signals.MoodPoint(now, score))
            await self._maybe_mood_nudge(session, member, points)
            lines = await self._lines_if(session, guild_id, assessment.urgent, raised)
        return Submitted(
            mood=score,
            craving=crave,
            # A first check-in has nothing to compare with; the reply then names the scores only.
            trend=trend.mood_trend(score, previous, now=now, zone=context.zone)
            if previous
            else None,
            raised=raised,
            crisis=assessment.urgent,
            crisis_lines=lines,
        )

    async def sos(self, guild_id: int, user_id: int, *, note: str | None) -> Submitted:
        """An urgent alert now, whatever the schedule or the scores."""
        text = inputs.parse_note(note)
        now = self._clock.now()
        async with self._db.transaction(Urgency.REQUEST) as session:
            await locked_member(session, guild_id, user_id, now)
            raised = await self._alerts.raise_in(
                session,
                guild_id=guild_id,
                member_id=user_id,
                reasons=risk.assess_sos().reasons,
                at=now,
                note=self._cipher.encrypt(text) if text else None,
                mood=None,
                craving=None,
            )
            lines = tuple(await crisis_lines(session, guild_id))
        return Submitted(None, None, None, raised, crisis=True, crisis_lines=lines)

    async def _lines_if(
        self, session: AsyncSession, guild_id: int, urgent: bool, raised: Raised | None
    ) -> tuple[CrisisLineView, ...]:
        if urgent or (raised is not None and raised.told is Told.NOBODY):
            return tuple(await crisis_lines(session, guild_id))
        return ()

    async def _maybe_mood_nudge(
        self, session: AsyncSession, member: CheckinMember, points: list[signals.MoodPoint]
    ) -> None:
        now = self._clock.now()
        if not signals.mood_nudge_due(points, now=now, last_nudged=member.mood_nudged_at):
            return
        mentor = await mentor_only(session, member.guild_id, member.user_id)
        if mentor is None:
            return  # without a mentor, nothing is sent to anyone
        member.mood_nudged_at = now
        await outbox.enqueue(
            session,
            target=Target("dm", mentor),
            message=rendering.mood_nudge(member.user_id),
            purpose=NUDGE_PURPOSE,
            subject_id=member.id,
            guild_id=member.guild_id,
        )
