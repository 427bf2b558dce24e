from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.errors import InvalidInput
from bot.services.settings import SettingsService

GUILD, ALICE = 10, 20


@pytest.fixture
def service(database: Database) -> SettingsService:
    clock = ManualClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    return SettingsService(database, clock, Settings(default_timezone="America/Chicago"))


async def test_member_timezone_falls_back_from_member_to_server_to_default(
    service: SettingsService,
) -> None:
    assert (await service.member_timezone(GUILD, ALICE)).source == "default"
    assert (await service.member_timezone(GUILD, ALICE)).zone == "America/Chicago"
    await service.set_guild_timezone(GUILD, "Europe/London")
    assert (await service.member_timezone(GUILD, ALICE)).zone == "Europe/London"
    await service.set_member_timezone(GUILD, ALICE, "asia/tokyo")
    current = await service.member_timezone(GUILD, ALICE)
    assert (current.zone, current.source) == ("Asia/Tokyo", "member")
    assert (await service.member_timezone(GUILD + 1, ALICE)).zone == "America/Chicago"


async def test_a_bad_zone_changes_nothing(service: SettingsService) -> None:
    await service.set_member_timezone(GUILD, ALICE, "Europe/Paris")
    with pytest.raises(InvalidInput):
        await service.set_member_timezone(GUILD, ALICE, "EST")
    assert (await service.member_timezone(GUILD, ALICE)).zone == "Europe/Paris"


async def test_moderators_are_manage_server_or_the_configured_role(
    service: SettingsService,
) -> None:
    mods = 99
    assert await service.is_moderator(GUILD, frozenset(), can_manage_guild=True)
    assert not await service.is_moderator(GUILD, frozenset({mods}), can_manage_guild=False)
    await service.set_moderator_role(GUILD, mods)
    assert await service.is_moderator(GUILD, frozenset({mods}), can_manage_guild=False)
    assert not await service.is_moderator(GUILD, frozenset({1, 2}), can_manage_guild=False)
    assert not await service.is_moderator(GUILD + 1, frozenset({mods}), can_manage_guild=False)


async def test_concurrent_first_writes_for_one_member_do_not_collide(
    service: SettingsService,
) -> None:
    zones = ["Europe/Paris", "Asia/Tokyo", "America/Denver"] * 5
    await asyncio.gather(*(service.set_member_timezone(GUILD, ALICE, z) for z in zones))
    assert (await service.member_timezone(GUILD, ALICE)).zone in zones
