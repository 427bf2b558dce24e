"""The services one bot process uses, built once in `create_bot` and handed to the cogs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery.outbox import on_undeliverable
from bot.scheduling.kinds import WorkKind
from bot.services.celebrations import CHANNEL_PURPOSE, DM_PURPOSE, CelebrationService
from bot.services.meetings import MeetingService
from bot.services.settings import SettingsService
from bot.services.sobriety import SobrietyService


@dataclass(frozen=True, slots=True)
class Services:
    settings: SettingsService
    sobriety: SobrietyService
    celebrations: CelebrationService
    meetings: MeetingService

    async def on_start(self) -> None:
        """Once per process start, before timed work runs: repairs plans that depend on
        settings which may have changed while the bot was stopped."""
        await self.celebrations.replan_default_zone()

    def work_kinds(self) -> list[WorkKind[Any]]:
        """Every kind of timed work the features handle; registered before the scheduler starts."""
        return [*self.celebrations.work_kinds(), *self.meetings.work_kinds()]


def build_services(database: Database, clock: Clock, settings: Settings) -> Services:
    settings_service = SettingsService(database, clock, settings)
    celebrations = CelebrationService(database, clock, settings_service)
    on_undeliverable(DM_PURPOSE, celebrations.hold_undelivered_dm)
    on_undeliverable(CHANNEL_PURPOSE, celebrations.hold_undelivered_post)
    meetings = MeetingService(database, clock, settings_service)
    meetings.install()
    return Services(
        settings=settings_service,
        sobriety=SobrietyService(database, clock, settings_service),
        celebrations=celebrations,
        meetings=meetings,
    )
