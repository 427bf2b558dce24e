from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.checkins.inputs import parse_keep_notes_days
from bot.domain.checkins.risk import Thresholds, parse_thresholds
from bot.domain.checkins.trend import average, mood_trend
from bot.errors import InvalidInput

NEW_YORK = ZoneInfo("America/New_York")
# 20:00 in New York on Thursday 3 December 2026.
NOW = datetime(2026, 12, 4, 1, tzinfo=UTC)


def test_the_trend_names_the_previous_day_on_the_members_calendar() -> None:
    yesterday_evening = NOW - timedelta(days=1)
    assert mood_trend(3, (yesterday_evening, 2), now=NOW, zone=NEW_YORK) == (
        "mood 3, up from 2 yesterday"
    )
    # 23:30 UTC on the 3rd is still the 3rd in New York (18:30): earlier today, not yesterday.
    same_day = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert (
        mood_trend(2, (same_day, 4), now=NOW, zone=NEW_YORK) == "mood 2, down from 4 earlier today"
    )
    assert mood_trend(4, (NOW - timedelta(days=3), 4), now=NOW, zone=NEW_YORK) == (
        "mood 4, the same as on Monday"
    )
    assert mood_trend(4, (NOW - timedelta(days=20), 1), now=NOW, zone=NEW_YORK) == (
        "mood 4, up from 1 on 13 Nov"
    )
    assert mood_trend(5, None, now=NOW, zone=NEW_YORK) == "mood 5"


def test_average_of_nothing_is_none() -> None:
    assert average([]) is None
    assert average([2, 3, 4]) == 3


def test_setup_thresholds() -> None:
    assert parse_thresholds(None, None) == Thresholds(8, 1)
    assert parse_thresholds(0, 5) == Thresholds(0, 5)
    with pytest.raises(InvalidInput, match="0 to 10"):
        parse_thresholds(11, None)
    with pytest.raises(InvalidInput, match="1 to 5"):
        parse_thresholds(None, 0)


def test_keep_notes_days() -> None:
    assert parse_keep_notes_days(None) == 90
    assert parse_keep_notes_days(365) == 365
    with pytest.raises(InvalidInput, match="1 to 365"):
        parse_keep_notes_days(0)
