"""All ORM models, one module per feature; importing this registers every table with alembic.

Every schema change also needs an alembic migration (`migrations/versions/`).
"""

from bot.db.models.audit import AuditLog
from bot.db.models.mentoring import (
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentoringSettings,
    MentorProfile,
)
from bot.db.models.outbox import OutboxMessage
from bot.db.models.scheduling import DueWork
from bot.db.models.settings import GuildSettings, MemberSettings
from bot.db.models.sobriety import MilestoneCelebration, SobrietyCounter, SobrietyStreak

__all__ = [
    "AuditLog",
    "DueWork",
    "GuildSettings",
    "MemberSettings",
    "MentorProfile",
    "MentoringOffer",
    "MentoringPair",
    "MentoringRequest",
    "MentoringSettings",
    "MilestoneCelebration",
    "OutboxMessage",
    "SobrietyCounter",
    "SobrietyStreak",
]
