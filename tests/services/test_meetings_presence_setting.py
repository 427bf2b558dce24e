"""The server's presence minutes: refused kindly out of range with nothing changed, and a
change touches nothing else the server's meeting settings remember."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import AuditLog
from bot.db.models.meetings import MeetingSettings
from bot.errors import InvalidInput
from bot.services.container import build_services

GUILD, MO = 10, 20
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("minutes", [0, -5, 481])
async def test_minutes_out_of_range_are_refused_and_nothing_changes(
    database: Database, minutes: int
) -> None:
    settings = build_services(database, ManualClock(NOW), Settings()).meetings.server_settings
    with pytest.raises(InvalidInput, match="from 1 to 480") as refused:
        await settings.set_presence_minutes(GUILD, MO, minutes)
    assert "Nothing was changed" in str(refused.value)
    view = await settings.view(GUILD)
    assert (view.presence_minutes, view.is_default) == (10, True)
    async with database.read() as session:
        assert (await session.scalars(select(AuditLog))).all() == []


async def test_changing_minutes_keeps_the_server_told_about_create_events(
    database: Database,
) -> None:
    async with database.transaction() as session:
        session.add(
            MeetingSettings(guild_id=GUILD, min_presence_minutes=10, event_permission_told=True)
        )
    settings = build_services(database, ManualClock(NOW), Settings()).meetings.server_settings
    view = await settings.set_presence_minutes(GUILD, MO, 480)
    assert (view.presence_minutes, view.is_default) == (480, False)
    async with database.read() as session:
        row = await session.get(MeetingSettings, GUILD)
        assert row is not None
        assert (row.min_presence_minutes, row.event_permission_told) == (480, True)
