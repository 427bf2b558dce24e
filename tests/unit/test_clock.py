from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.clock import ManualClock, SystemClock


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_manual_clock_moves_only_forward_and_reports_utc() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 3, 1, 10, tzinfo=UTC)
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2026, 3, 2, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 3, 1))
