"""Mentor and sponsor matching: applications, vetting, requests, offers, pairs, the batch.

`MentoringService` holds the parts; cogs call them directly (`services.mentoring.requests…`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.delivery.outbox import on_undeliverable
from bot.scheduling.kinds import WorkKind
from bot.security.notes import NotesCipher
from bot.services.mentoring import privacy, spaces
from bot.services.mentoring.answers import OfferAnswers
from bot.services.mentoring.applications import ApplicationService
from bot.services.mentoring.batch import BatchService
from bot.services.mentoring.candidates import bump_pool
from bot.services.mentoring.notes import RequestNotes
from bot.services.mentoring.offers import OFFER_PURPOSE, OfferFlow
from bot.services.mentoring.pauses import PauseService
from bot.services.mentoring.requests import RequestService
from bot.services.mentoring.settings import MentoringSettingsService
from bot.services.mentoring.vetting import VettingService
from bot.services.privacy.registry import MemberData
from bot.services.settings import ZoneListener


@dataclass(frozen=True, slots=True)
class MentoringService:
    settings: MentoringSettingsService
    offers: OfferFlow
    answers: OfferAnswers
    applications: ApplicationService
    vetting: VettingService
    pauses: PauseService
    requests: RequestService
    batch: BatchService
    notes: RequestNotes

    def work_kinds(self) -> list[WorkKind[Any]]:
        return [*self.offers.work_kinds(), *self.pauses.work_kinds()]

    def member_data(self) -> list[MemberData]:
        return [privacy.member_data(self.notes, self.offers)]


def build_mentoring(
    database: Database,
    clock: Clock,
    default_zone: str,
    zone_listeners: list[ZoneListener],
    cipher: NotesCipher,
) -> MentoringService:
    settings = MentoringSettingsService(database, clock)
    notes = RequestNotes(database, cipher)
    offers = OfferFlow(database, clock, settings, default_zone, notes)
    applications = ApplicationService(database, clock, settings, offers, default_zone)
    requests = RequestService(database, clock, settings, offers, applications)
    # An offer DM that cannot reach the mentor passes the request on to the next candidate.
    on_undeliverable(OFFER_PURPOSE, offers.offer_undeliverable)
    # Pairs' threads: their ids come back to the pair, or the introductions go by DM.
    spaces.install()

    async def zone_changed(session: AsyncSession, guild_id: int, _user_id: int | None) -> None:
        # A mentor's weekly hours are read in their zone (or the server's).
        await bump_pool(session, guild_id, clock.now())

    zone_listeners.append(zone_changed)
    return MentoringService(
        settings=settings,
        offers=offers,
        answers=OfferAnswers(database, clock, offers),
        applications=applications,
        vetting=VettingService(database, clock, offers),
        pauses=PauseService(database, clock, offers, default_zone),
        requests=requests,
        batch=BatchService(database, clock, offers, default_zone),
        notes=notes,
    )
