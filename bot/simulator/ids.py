"""Snowflakes and timestamps as Discord formats them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import SystemClock

DISCORD_EPOCH_MS = 1420070400000


class Snowflakes:
    """Strictly increasing ids whose time part is the real (wall clock) creation time.

    discord.py derives `created_at` from ids and checks interaction expiry with them, so they
    must carry a plausible real timestamp rather than the bot's business clock.
    """

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        stamp = (int(real_now().timestamp() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(stamp, self._last + 1)
        return self._last


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def real_now() -> datetime:
    # Discord's own timestamps are wall-clock time, not the bot's (possibly simulated) clock.
    return SystemClock().now()
