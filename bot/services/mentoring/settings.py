"""A server's mentoring settings (`/setup mentoring`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import MentoringSettings
from bot.db.models.mentoring import DEFAULT_OFFER_HOURS, DEFAULT_SPONSOR_DAYS
from bot.db.upsert import upsert
from bot.domain.matching_input import DEFAULT_FOCUS_LIST, parse_focus_list
from bot.errors import InvalidInput
from bot.services import audit

MAX_SPONSOR_DAYS = 36_500
MAX_OFFER_HOURS = 168


@dataclass(frozen=True, slots=True)
class MentoringSettingsView:
    guild_id: int
    channel_id: int | None
    review_channel_id: int | None
    sponsor_days: int
    offer_hours: int
    focus_list: tuple[str, ...]
    custom_focus_list: bool
    # Whether the server has used mentoring at all (settings saved, someone applied to mentor
    # or asked for one: the matching lock's row is made then).
    in_use: bool = False


class MentoringSettingsService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def view(self, guild_id: int) -> MentoringSettingsView:
        async with self._db.read() as session:
            return await self.view_in(session, guild_id)

    async def view_in(self, session: AsyncSession, guild_id: int) -> MentoringSettingsView:
        return _view(guild_id, await session.get(MentoringSettings, guild_id))

    async def configure(
        self,
        guild_id: int,
        actor_id: int,
        *,
        channel_id: int | None = None,
        review_channel_id: int | None = None,
        sponsor_days: int | None = None,
        offer_hours: int | None = None,
        raw_focus_list: str | None = None,
    ) -> MentoringSettingsView:
        """Change what was given. The cog checks that `review_channel_id` is hidden from
        @everyone before calling, since only it can see channel permissions."""
        values: dict[str, Any] = {}
        if channel_id is not None:
            values["channel_id"] = channel_id
        if review_channel_id is not None:
            values["review_channel_id"] = review_channel_id
        if sponsor_days is not None:
            if not 0 <= sponsor_days <= MAX_SPONSOR_DAYS:
                raise InvalidInput(
                    f"The sponsor minimum is a number of sober days from 0 to {MAX_SPONSOR_DAYS}."
                )
            values["sponsor_days"] = sponsor_days
        if offer_hours is not None:
            if not 1 <= offer_hours <= MAX_OFFER_HOURS:
                raise InvalidInput(
                    f"An offer can wait from 1 to {MAX_OFFER_HOURS} hours (a week) for an answer."
                )
            values["offer_hours"] = offer_hours
        if raw_focus_list is not None:
            if raw_focus_list.strip().casefold() == "default":
                values["focus_list"] = None
            else:
                values["focus_list"] = list(parse_focus_list(raw_focus_list))
        if not values:
            raise InvalidInput(
                "Tell me what to change: a `channel`, a `review-channel`, `sponsor-days`, "
                "`offer-hours` or a `focus-list`."
            )
        now = self._clock.now()
        async with self._db.transaction() as session:
            await upsert(
                session, MentoringSettings, {"guild_id": guild_id}, {**values, "updated_at": now}
            )
            await audit.record_action(
                session, guild_id=guild_id, actor_id=actor_id, action="setup.mentoring", at=now
            )
            row = await session.get(MentoringSettings, guild_id, populate_existing=True)
            return _view(guild_id, row)


def _view(guild_id: int, row: MentoringSettings | None) -> MentoringSettingsView:
    custom = row is not None and row.focus_list is not None
    return MentoringSettingsView(
        guild_id=guild_id,
        channel_id=row.channel_id if row else None,
        review_channel_id=row.review_channel_id if row else None,
        sponsor_days=row.sponsor_days if row else DEFAULT_SPONSOR_DAYS,
        offer_hours=row.offer_hours if row else DEFAULT_OFFER_HOURS,
        focus_list=tuple(row.focus_list) if row and row.focus_list else DEFAULT_FOCUS_LIST,
        custom_focus_list=custom,
        in_use=row is not None,
    )
