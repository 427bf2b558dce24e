"""All ORM models, one module per feature; importing this registers every table with alembic.

Every schema change also needs an alembic migration (`migrations/versions/`).
"""

from bot.db.models.audit import AuditLog
from bot.db.models.checkins import (
    AlertCopy,
    Checkin,
    CheckinAlert,
    CheckinMember,
    CheckinSettings,
    CrisisLine,
)
from bot.db.models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingCancellation,
    MeetingPost,
    MeetingRsvp,
    MeetingSettings,
    MeetingSubscription,
    MeetingVoiceStay,
)
from bot.db.models.mentoring import (
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentoringSettings,
    MentorProfile,
)
from bot.db.models.outbox import DmChannel, OutboxMessage, RequestBudget, RequestTokens
from bot.db.models.privacy import AccessLogEntry
from bot.db.models.scheduling import DueWork, DueWorkRepair
from bot.db.models.settings import GuildSettings, MemberSettings
from bot.db.models.sobriety import MilestoneCelebration, SobrietyCounter, SobrietyStreak

__all__ = [
    "AccessLogEntry",
    "AlertCopy",
    "AuditLog",
    "Checkin",
    "CheckinAlert",
    "CheckinMember",
    "CheckinSettings",
    "CrisisLine",
    "DmChannel",
    "DueWork",
    "DueWorkRepair",
    "GuildSettings",
    "Meeting",
    "MeetingAttendance",
    "MeetingCancellation",
    "MeetingPost",
    "MeetingRsvp",
    "MeetingSettings",
    "MeetingSubscription",
    "MeetingVoiceStay",
    "MemberSettings",
    "MentorProfile",
    "MentoringOffer",
    "MentoringPair",
    "MentoringRequest",
    "MentoringSettings",
    "MilestoneCelebration",
    "OutboxMessage",
    "RequestBudget",
    "RequestTokens",
    "SobrietyCounter",
    "SobrietyStreak",
]
