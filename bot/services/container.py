"""The services one bot process uses, built once in `create_bot` and handed to the cogs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.scheduling.kinds import WorkKind
from bot.services.settings import SettingsService


@dataclass(frozen=True, slots=True)
class Services:
    settings: SettingsService

    def work_kinds(self) -> list[WorkKind]:
        """Every kind of timed work the features handle; registered before the scheduler starts."""
        return []


def build_services(database: Database, clock: Clock, settings: Settings) -> Services:
    return Services(settings=SettingsService(database, clock, settings))
