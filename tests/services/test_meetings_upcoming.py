"""`/meeting list`'s sessions of the next 7 days: every zone's local dates at the window's
edges, with the cancelled ones left out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.services.container import build_services
from bot.services.meetings import MeetingOptions

GUILD, MO = 10, 20
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
# The zones furthest ahead of and behind UTC: their local dates are a day off UTC's.
KIRITIMATI, PAGO_PAGO = "Pacific/Kiritimati", "Pacific/Pago_Pago"


def at(zone: str, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def test_the_week_ahead_in_every_zone_leaves_out_cancelled_sessions(
    database: Database,
) -> None:
    meetings = build_services(database, ManualClock(NOW), Settings()).meetings
    for title, zone, clock in [("Dawn", KIRITIMATI, "08:00"), ("Dusk", PAGO_PAGO, "20:00")]:
        await meetings.create(
            GUILD,
            MO,
            MeetingOptions(
                title=title, weekdays="daily", time=clock, timezone=zone, location="Hall"
            ),
        )
    # Each zone's session at an edge of the week: the last one in Kiritimati (local March 8,
    # UTC March 7), the first one in Pago Pago (local March 1, UTC March 2).
    await meetings.cancel(GUILD, MO, "Dawn", "2026-03-08", None)
    await meetings.cancel(GUILD, MO, "Dusk", "2026-03-01", None)
    await meetings.cancel(GUILD, MO, "Dusk", "2026-04-01", None)  # far ahead: no difference

    listed = [(up.title, up.start) for up in await meetings.upcoming(GUILD)]

    days = [date(2026, 3, 2) + timedelta(days=n) for n in range(6)]  # March 2 to 7
    expected = [("Dawn", at(KIRITIMATI, day, time(8))) for day in days] + [
        ("Dusk", at(PAGO_PAGO, day, time(20))) for day in days
    ]
    assert listed == sorted(expected, key=lambda pair: (pair[1], pair[0]))
    assert all(NOW < start < NOW + timedelta(days=7) for _, start in listed)
