"""Group meetings: recurring sessions in their own timezone, mirrored as Discord events, with
RSVPs, reminders, attendance and a calendar feed (see the README's "Meetings")."""

from bot.services.meetings.rules import MeetingOptions, VoiceChoice
from bot.services.meetings.service import (
    AttendanceView,
    CancelDone,
    EditDone,
    MeetingCard,
    MeetingService,
    Subscribed,
    Upcoming,
)

__all__ = [
    "AttendanceView",
    "CancelDone",
    "EditDone",
    "MeetingCard",
    "MeetingOptions",
    "MeetingService",
    "Subscribed",
    "Upcoming",
    "VoiceChoice",
]
