"""The check-in feature's services, built once per process and handed to the cog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.db import Database
from bot.db.models.audit import AuditLog
from bot.db.models.checkins import CheckinSettings
from bot.db.upsert import upsert
from bot.domain.checkins.escalation import parse_timings
from bot.domain.checkins.inputs import parse_keep_notes_days
from bot.domain.checkins.risk import parse_thresholds
from bot.scheduling.kinds import WorkKind
from bot.security.notes import NotesCipher
from bot.services.checkins import config as cfg
from bot.services.checkins.alerts import AlertService
from bot.services.checkins.insights import InsightService
from bot.services.checkins.privacy import member_data
from bot.services.checkins.prompts import PromptService
from bot.services.checkins.stats import checkin_figures
from bot.services.checkins.submissions import SubmissionService
from bot.services.checkins.upkeep import UpkeepService, rotate_notes
from bot.services.privacy.registry import MemberData
from bot.services.privacy.stats import StatsSource
from bot.services.settings import SettingsService


@dataclass(frozen=True, slots=True)
class SetupChange:
    alerts_channel_id: int | None = None
    on_call_role_id: int | None = None
    craving_alert: int | None = None
    mood_alert: int | None = None
    first_step_minutes: int | None = None
    second_step_minutes: int | None = None
    keep_notes_days: int | None = None


class CheckinService:
    def __init__(
        self, database: Database, clock: Clock, settings: SettingsService, cipher: NotesCipher
    ) -> None:
        self._db = database
        self._clock = clock
        self.cipher = cipher
        self.alerts = AlertService(database, clock, settings, cipher)
        self.submissions = SubmissionService(database, clock, settings, cipher, self.alerts)
        self.prompts = PromptService(database, clock, settings)
        self.insights = InsightService(database, clock, settings, cipher)
        self.upkeep = UpkeepService(database, clock)

    def work_kinds(self) -> list[WorkKind[Any]]:
        return [
            *self.alerts.work_kinds(),
            *self.prompts.work_kinds(),
            *self.upkeep.work_kinds(),
        ]

    def member_data(self) -> list[MemberData]:
        return [member_data(self.cipher)]

    def stats_sources(self) -> list[StatsSource]:
        return [checkin_figures]

    async def configure(
        self, guild_id: int, actor_id: int, change: SetupChange
    ) -> cfg.CheckinConfig:
        """`/setup checkins`: only the options given change; InvalidInput changes nothing."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            current = await cfg.load_config(session, guild_id)
            thresholds = parse_thresholds(
                change.craving_alert
                if change.craving_alert is not None
                else current.thresholds.craving_alert,
                change.mood_alert
                if change.mood_alert is not None
                else current.thresholds.mood_alert,
            )
            first = change.first_step_minutes or int(
                current.timings.first_step.total_seconds() // 60
            )
            second = change.second_step_minutes or int(
                current.timings.second_step.total_seconds() // 60
            )
            parse_timings(first, second)
            keep = parse_keep_notes_days(
                change.keep_notes_days
                if change.keep_notes_days is not None
                else current.keep_notes_days
            )
            await upsert(
                session,
                CheckinSettings,
                {"guild_id": guild_id},
                {
                    "alerts_channel_id": change.alerts_channel_id or current.alerts_channel_id,
                    "on_call_role_id": change.on_call_role_id or current.on_call_role_id,
                    "craving_alert": thresholds.craving_alert,
                    "mood_alert": thresholds.mood_alert,
                    "first_step_minutes": first,
                    "second_step_minutes": second,
                    "keep_notes_days": keep,
                    "updated_at": now,
                },
            )
            session.add(
                AuditLog(guild_id=guild_id, actor_id=actor_id, action="checkins.setup", at=now)
            )
            return await cfg.load_config(session, guild_id)

    async def config(self, guild_id: int) -> cfg.CheckinConfig:
        async with self._db.read() as session:
            return await cfg.load_config(session, guild_id)

    async def crisis_lines(self, guild_id: int) -> list[cfg.CrisisLineView]:
        async with self._db.read() as session:
            return await cfg.crisis_lines(session, guild_id)

    async def add_crisis_line(
        self, guild_id: int, actor_id: int, *, name: str, contact: str, note: str | None
    ) -> cfg.CrisisLineView:
        async with self._db.transaction() as session:
            return await cfg.add_crisis_line(
                session,
                guild_id=guild_id,
                actor_id=actor_id,
                name=name,
                contact=contact,
                note=note,
                at=self._clock.now(),
            )

    async def remove_crisis_line(self, guild_id: int, actor_id: int, *, name: str) -> str:
        async with self._db.transaction() as session:
            return await cfg.remove_crisis_line(
                session, guild_id=guild_id, actor_id=actor_id, name=name, at=self._clock.now()
            )

    async def rotate_keys(self) -> int:
        return await rotate_notes(self._db, self.cipher)
