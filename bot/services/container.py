"""The services one bot process uses, built once in `create_bot` and handed to the cogs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery.outbox import on_undeliverable
from bot.scheduling.kinds import WorkKind
from bot.security.notes import NotesCipher, load_cipher
from bot.services.celebrations import CHANNEL_PURPOSE, DM_PURPOSE, CelebrationService
from bot.services.checkins import CheckinService
from bot.services.checkins.keys import LazyNotesCipher
from bot.services.privacy.registry import MemberData
from bot.services.settings import SettingsService
from bot.services.sobriety import SobrietyService


@dataclass(frozen=True, slots=True)
class Services:
    settings: SettingsService
    sobriety: SobrietyService
    celebrations: CelebrationService
    checkins: CheckinService

    async def on_start(self) -> None:
        """Once per process start, before timed work runs: repairs plans that depend on
        settings which may have changed while the bot was stopped."""
        await self.celebrations.replan_default_zone()
        await self.checkins.upkeep.plan_retention()

    def work_kinds(self) -> list[WorkKind[Any]]:
        """Every kind of timed work the features handle; registered before the scheduler starts."""
        return [*self.celebrations.work_kinds(), *self.checkins.work_kinds()]

    def member_data(self) -> list[MemberData]:
        """Every feature's exporter and eraser of member data (bot.services.privacy)."""
        return [*self.checkins.member_data()]


def build_services(
    database: Database, clock: Clock, settings: Settings, cipher: NotesCipher | None = None
) -> Services:
    if cipher is None:
        # `python -m bot run` checked the keys before connecting and passes its cipher; for
        # other callers (the simulator, the demo) it is loaded by the same rules when needed.
        keys = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
        cipher = LazyNotesCipher(lambda: load_cipher(keys=keys, database=settings.database))
    settings_service = SettingsService(database, clock, settings)
    celebrations = CelebrationService(database, clock, settings_service)
    on_undeliverable(DM_PURPOSE, celebrations.hold_undelivered_dm)
    on_undeliverable(CHANNEL_PURPOSE, celebrations.hold_undelivered_post)
    return Services(
        settings=settings_service,
        sobriety=SobrietyService(database, clock, settings_service),
        celebrations=celebrations,
        checkins=CheckinService(database, clock, settings_service, cipher),
    )
