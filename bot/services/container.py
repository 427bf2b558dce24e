"""The services one bot process uses, built once in `create_bot` and handed to the cogs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery import sealing
from bot.delivery.outbox import on_undeliverable
from bot.scheduling.kinds import WorkKind
from bot.security.notes import NotesCipher, load_cipher
from bot.services.celebrations import CHANNEL_PURPOSE, DM_PURPOSE, CelebrationService
from bot.services.checkins import CheckinService
from bot.services.checkins.keys import LazyNotesCipher
from bot.services.meetings import MeetingService
from bot.services.mentoring import MentoringService, build_mentoring
from bot.services.privacy import delivery_data, log_data, stats
from bot.services.privacy.registry import MemberData
from bot.services.privacy.service import PrivacyService
from bot.services.settings import SettingsService
from bot.services.sobriety import SobrietyService


@dataclass(frozen=True, slots=True)
class Services:
    settings: SettingsService
    sobriety: SobrietyService
    celebrations: CelebrationService
    checkins: CheckinService
    meetings: MeetingService
    mentoring: MentoringService
    privacy: PrivacyService

    async def on_start(self) -> None:
        """Once per process start, before timed work runs: repairs plans that depend on
        settings which may have changed while the bot was stopped."""
        await self.celebrations.replan_default_zone()
        await self.checkins.upkeep.plan_retention()
        # Mentor request notes stored as text before they were encrypted (migration 0011).
        await self.mentoring.notes.seal_plain_notes()

    def work_kinds(self) -> list[WorkKind[Any]]:
        """Every kind of timed work the features handle; registered before the scheduler starts."""
        return [
            *self.celebrations.work_kinds(),
            *self.mentoring.work_kinds(),
            *self.meetings.work_kinds(),
            *self.checkins.work_kinds(),
            *self.privacy.work_kinds(),
        ]

    def member_data(self) -> list[MemberData]:
        """Every feature's exporter and eraser (`bot/services/privacy/registry.py`)."""
        return list(self.privacy.owners)


class OwnsMemberData(Protocol):
    def member_data(self) -> list[MemberData]: ...


def member_data_of(*features: OwnsMemberData) -> list[MemberData]:
    """Every feature's MemberData, in erasure order: the features' domain rows first (pass
    their services coarsest first, as the lock order asks), then the logs, then the outbox."""
    return [
        *(data for feature in features for data in feature.member_data()),
        log_data.access_log_data(),
        log_data.audit_data(),
        delivery_data.member_data(),
    ]


def build_services(
    database: Database, clock: Clock, settings: Settings, cipher: NotesCipher | None = None
) -> Services:
    if cipher is None:
        # `python -m bot run` checked the keys before connecting and passes its cipher; for
        # other callers (the simulator, the demo) it is loaded by the same rules when needed.
        keys = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
        cipher = LazyNotesCipher(lambda: load_cipher(keys=keys, database=settings.database))
    # Messages that show a member's note keep it encrypted in the outbox as well.
    sealing.use(cipher)
    settings_service = SettingsService(database, clock, settings)
    sobriety = SobrietyService(database, clock, settings_service)
    celebrations = CelebrationService(database, clock, settings_service)
    on_undeliverable(DM_PURPOSE, celebrations.hold_undelivered_dm)
    on_undeliverable(CHANNEL_PURPOSE, celebrations.hold_undelivered_post)
    meetings = MeetingService(database, clock, settings_service)
    meetings.install()
    checkins = CheckinService(database, clock, settings_service, cipher)
    mentoring = build_mentoring(
        database, clock, settings.default_timezone, settings_service.zone_listeners, cipher
    )
    privacy = PrivacyService(
        database,
        clock,
        # A new feature passes its service here.
        member_data_of(settings_service, sobriety, checkins, meetings, mentoring),
        # Features add their figures here (bot/services/privacy/stats.py).
        [*stats.main_sources(), *checkins.stats_sources(), *meetings.stats_sources()],
    )
    return Services(
        settings=settings_service,
        sobriety=sobriety,
        celebrations=celebrations,
        mentoring=mentoring,
        privacy=privacy,
        meetings=meetings,
        checkins=checkins,
    )
