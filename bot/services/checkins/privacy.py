"""The check-in feature's part of /privacy: a member's check-ins, choices and alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.checkins import AlertCopy, Checkin, CheckinAlert, CheckinMember
from bot.db.models.outbox import OutboxMessage
from bot.delivery import outbox
from bot.scheduling import ledger
from bot.security.notes import NotesCipher, NoteUnreadable
from bot.services.checkins.alerts import MEMBER_DM, STEP_KIND
from bot.services.checkins.prompts import PROMPT_KIND, PROMPT_PURPOSE
from bot.services.checkins.submissions import NUDGE_PURPOSE
from bot.services.privacy.registry import MemberData, MemberRef

TABLES = ("checkin_members", "checkins", "checkin_alerts")
# What a copy of an erased member's alert becomes: nothing of theirs, nobody named.
CLOSED_COPY = outbox.OutgoingMessage(content="This alert was closed.")
WITHDRAWN_NUDGE = outbox.OutgoingMessage(content="This message was withdrawn.")


def member_data(cipher: NotesCipher) -> MemberData:
    def note(token: bytes | None) -> str | None:
        if token is None:
            return None
        try:
            return cipher.decrypt(token)
        except NoteUnreadable:
            return None

    async def export(session: AsyncSession, who: MemberRef) -> dict[str, Any]:
        member = await _member(session, who)
        checkins = await session.scalars(
            select(Checkin)
            .where(Checkin.guild_id == who.guild_id, Checkin.user_id == who.user_id)
            .order_by(Checkin.at)
        )
        alerts = await session.scalars(
            select(CheckinAlert)
            .where(CheckinAlert.guild_id == who.guild_id, CheckinAlert.user_id == who.user_id)
            .order_by(CheckinAlert.opened_at)
        )
        return {
            "choices": None
            if member is None
            else {
                "sharing": member.sharing,
                "prompt_time": member.prompt_time,
                "prompt_days": member.prompt_days,
                "paused_through": member.paused_through.isoformat()
                if member.paused_through
                else None,
            },
            "checkins": [
                {
                    "at": c.at.isoformat(),
                    "mood": c.mood,
                    "craving": c.craving,
                    "support": c.support,
                    "note": note(c.note),
                }
                for c in checkins.all()
            ],
            "alerts": [
                {
                    "opened_at": a.opened_at.isoformat(),
                    "status": a.status,
                    "reasons": list(a.reasons),
                    "note": note(a.note),
                }
                for a in alerts.all()
            ],
        }

    async def erase(session: AsyncSession, who: MemberRef) -> int:
        # Lock order: the rows (held since `lock`), then their due work, then the outbox.
        removed = 0
        member = await _member(session, who)
        alert_ids = await _alert_ids(session, who)
        # Due work before outbox rows (the lock order). Subject ids are unique only within a
        # purpose: alert ids and member-row ids overlap.
        for alert_id in alert_ids:
            await ledger.cancel(session, STEP_KIND, alert_id)
        if member is not None:
            await ledger.cancel(session, PROMPT_KIND, member.id)
        # Every copy of their alerts (mentors' DMs, alerts-channel posts) is taken back: one not
        # sent yet never goes; one sent is edited to a line naming nobody, without buttons.
        copies = (
            await session.scalars(
                select(AlertCopy.outbox_id)
                .where(AlertCopy.alert_id.in_(alert_ids))
                .order_by(AlertCopy.outbox_id)
            )
        ).all()
        # So is every notice about them to someone else (a claimer told they asked again, the
        # alerted told they are OK now); one to them not sent yet is withdrawn, and what was
        # sent to them goes with their own DMs (the delivery eraser).
        notices = (
            await session.execute(
                select(OutboxMessage.id, OutboxMessage.target_id)
                .where(
                    OutboxMessage.purpose == MEMBER_DM,
                    OutboxMessage.subject_id.in_(alert_ids),
                    OutboxMessage.operation == "send",
                )
                .order_by(OutboxMessage.id)
            )
        ).all()
        to_them = {outbox_id for outbox_id, target in notices if target == who.user_id}
        for outbox_id in sorted({*copies, *(outbox_id for outbox_id, _ in notices)}):
            if outbox_id in to_them:
                await outbox.cancel(session, outbox_id)
            else:
                await outbox.retract(session, outbox_id, CLOSED_COPY)
        if member is not None:
            await outbox.cancel_pending(session, purpose=PROMPT_PURPOSE, subject_id=member.id)
            # A nudge to their mentor names them: withdrawn, or edited to name nobody.
            nudges = (
                await session.scalars(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.purpose == NUDGE_PURPOSE,
                        OutboxMessage.subject_id == member.id,
                        OutboxMessage.operation == "send",
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()
            for outbox_id in nudges:
                await outbox.retract(session, outbox_id, WITHDRAWN_NUDGE)
        if alert_ids:
            await session.execute(delete(AlertCopy).where(AlertCopy.alert_id.in_(alert_ids)))
            result = await session.execute(
                delete(CheckinAlert).where(CheckinAlert.id.in_(alert_ids))
            )
            removed += int(getattr(result, "rowcount", 0) or 0)
        result = await session.execute(
            delete(Checkin).where(Checkin.guild_id == who.guild_id, Checkin.user_id == who.user_id)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
        if member is not None:
            await session.delete(member)
            await session.flush()
            removed += 1
        return removed

    return MemberData(feature="checkins", tables=TABLES, export=export, erase=erase, lock=lock)


async def lock(session: AsyncSession, who: MemberRef) -> None:
    """The member's check-in row, then their alerts in id order: a prompt's handler locks the
    row, an escalation step its alert, each before its due work."""
    await session.scalar(
        select(CheckinMember)
        .where(CheckinMember.guild_id == who.guild_id, CheckinMember.user_id == who.user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    await session.scalars(
        select(CheckinAlert.id)
        .where(CheckinAlert.guild_id == who.guild_id, CheckinAlert.user_id == who.user_id)
        .order_by(CheckinAlert.id)
        .with_for_update()
    )


async def _alert_ids(session: AsyncSession, who: MemberRef) -> list[int]:
    return list(
        (
            await session.scalars(
                select(CheckinAlert.id)
                .where(CheckinAlert.guild_id == who.guild_id, CheckinAlert.user_id == who.user_id)
                .order_by(CheckinAlert.id)
            )
        ).all()
    )


async def _member(
    session: AsyncSession, who: MemberRef, *, lock: bool = False
) -> CheckinMember | None:
    query = select(CheckinMember).where(
        CheckinMember.guild_id == who.guild_id, CheckinMember.user_id == who.user_id
    )
    return await session.scalar(query.with_for_update() if lock else query)
