"""The access log and the audit log as member data.

The access log about a member is theirs: exported, and erased with them. Where they were the
one who looked (a mentor, a moderator), the row stays for its owner with the viewer anonymised
(`FORMER_MEMBER`). Audit rows naming the erased member (as the moderator who acted, or the
member acted on) stay with those ids anonymised: the log keeps that an action happened, never
who an erased member was.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.audit import AuditLog
from bot.db.models.privacy import AccessLogEntry
from bot.services.privacy.registry import FORMER_MEMBER, MemberData, MemberRef

__all__ = ["FORMER_MEMBER", "access_log_data", "audit_data"]


def access_log_data() -> MemberData:
    return MemberData(
        feature="access_log",
        tables=("access_log",),
        export=export_access_log,
        erase=erase_access_log,
    )


def audit_data() -> MemberData:
    return MemberData(
        feature="audit",
        tables=("audit_log",),
        export=export_audit,
        erase=anonymise_audit,
    )


async def export_access_log(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
    rows = (
        await session.scalars(
            select(AccessLogEntry)
            .where(
                AccessLogEntry.guild_id == member.guild_id,
                AccessLogEntry.owner_id == member.user_id,
            )
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
        )
    ).all()
    return {
        "who_saw_your_data": [
            {"viewer_member_id": row.viewer_id, "what": row.what, "at": row.at.isoformat()}
            for row in rows
        ]
    }


async def erase_access_log(session: AsyncSession, member: MemberRef) -> int:
    own = await session.execute(
        delete(AccessLogEntry).where(
            AccessLogEntry.guild_id == member.guild_id, AccessLogEntry.owner_id == member.user_id
        )
    )
    viewed = await session.execute(
        update(AccessLogEntry)
        .where(
            AccessLogEntry.guild_id == member.guild_id, AccessLogEntry.viewer_id == member.user_id
        )
        .values(viewer_id=FORMER_MEMBER)
        .execution_options(synchronize_session=False)
    )
    return _count(own) + _count(viewed)


async def export_audit(session: AsyncSession, member: MemberRef) -> dict[str, Any]:
    rows = (
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.guild_id == member.guild_id, AuditLog.target_id == member.user_id)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        )
    ).all()
    return {
        "moderator_actions_about_you": [
            {"action": row.action, "moderator_member_id": row.actor_id, "at": row.at.isoformat()}
            for row in rows
        ]
    }


async def anonymise_audit(session: AsyncSession, member: MemberRef) -> int:
    targeted = await session.execute(
        update(AuditLog)
        .where(AuditLog.guild_id == member.guild_id, AuditLog.target_id == member.user_id)
        .values(target_id=None)
        .execution_options(synchronize_session=False)
    )
    acted = await session.execute(
        update(AuditLog)
        .where(AuditLog.guild_id == member.guild_id, AuditLog.actor_id == member.user_id)
        .values(actor_id=FORMER_MEMBER)
        .execution_options(synchronize_session=False)
    )
    return _count(targeted) + _count(acted)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
