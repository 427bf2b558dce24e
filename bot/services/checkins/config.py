"""A server's check-in settings (`/setup checkins`) and its extra crisis lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.audit import AuditLog
from bot.db.models.checkins import CheckinSettings, CrisisLine
from bot.domain.checkins.escalation import Timings
from bot.domain.checkins.inputs import KEEP_NOTES_DEFAULT_DAYS
from bot.domain.checkins.risk import Thresholds
from bot.errors import InvalidInput, NotFound

MAX_CRISIS_LINES = 10


@dataclass(frozen=True, slots=True)
class CheckinConfig:
    guild_id: int
    alerts_channel_id: int | None
    on_call_role_id: int | None
    thresholds: Thresholds
    timings: Timings
    keep_notes_days: int


@dataclass(frozen=True, slots=True)
class CrisisLineView:
    name: str
    contact: str
    note: str | None


def config_of(guild_id: int, row: CheckinSettings | None) -> CheckinConfig:
    if row is None:
        return CheckinConfig(guild_id, None, None, Thresholds(), Timings(), KEEP_NOTES_DEFAULT_DAYS)
    return CheckinConfig(
        guild_id=guild_id,
        alerts_channel_id=row.alerts_channel_id,
        on_call_role_id=row.on_call_role_id,
        thresholds=Thresholds(craving_alert=row.craving_alert, mood_alert=row.mood_alert),
        timings=Timings(
            timedelta(minutes=row.first_step_minutes), timedelta(minutes=row.second_step_minutes)
        ),
        keep_notes_days=row.keep_notes_days,
    )


async def load_config(session: AsyncSession, guild_id: int) -> CheckinConfig:
    return config_of(guild_id, await session.get(CheckinSettings, guild_id))


async def crisis_lines(session: AsyncSession, guild_id: int) -> list[CrisisLineView]:
    rows = await session.scalars(
        select(CrisisLine).where(CrisisLine.guild_id == guild_id).order_by(CrisisLine.name)
    )
    return [CrisisLineView(r.name, r.contact, r.note) for r in rows.all()]


def _clean(raw: str, what: str, limit: int) -> str:
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput(f"Please give the line's {what}.")
    if len(text) > limit:
        raise InvalidInput(f"The {what} can be up to {limit} characters.")
    return text


async def add_crisis_line(
    session: AsyncSession,
    *,
    guild_id: int,
    actor_id: int,
    name: str,
    contact: str,
    note: str | None,
    at: datetime,
) -> CrisisLineView:
    clean_name = _clean(name, "name", 100)
    clean_contact = _clean(contact, "contact", 200)
    clean_note = _clean(note, "note", 300) if note and note.strip() else None
    existing = await crisis_lines(session, guild_id)
    if any(line.name.casefold() == clean_name.casefold() for line in existing):
        raise InvalidInput(
            f"There is already a line named **{clean_name}**. Remove it first to change it."
        )
    if len(existing) >= MAX_CRISIS_LINES:
        raise InvalidInput(
            f"A server can add up to {MAX_CRISIS_LINES} lines; remove one to add another."
        )
    session.add(
        CrisisLine(
            guild_id=guild_id, name=clean_name, contact=clean_contact, note=clean_note, added_at=at
        )
    )
    session.add(
        AuditLog(guild_id=guild_id, actor_id=actor_id, action="checkins.crisis_line.add", at=at)
    )
    return CrisisLineView(clean_name, clean_contact, clean_note)


async def remove_crisis_line(
    session: AsyncSession, *, guild_id: int, actor_id: int, name: str, at: datetime
) -> str:
    for line in await crisis_lines(session, guild_id):
        if line.name.casefold() == " ".join(name.split()).casefold():
            await session.execute(
                delete(CrisisLine).where(
                    CrisisLine.guild_id == guild_id, CrisisLine.name == line.name
                )
            )
            session.add(
                AuditLog(
                    guild_id=guild_id,
                    actor_id=actor_id,
                    action="checkins.crisis_line.remove",
                    at=at,
                )
            )
            return line.name
    raise NotFound(f"This server has no crisis line named **{name}**. Nothing was changed.")
