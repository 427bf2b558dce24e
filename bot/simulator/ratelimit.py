"""Rate limits with the response headers discord.py reads (it pre-emptively waits on them)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.simulator.errors import ApiError
from bot.simulator.ids import real_now

TimeSource = Callable[[], float]


@dataclass
class Window:
    """A fixed window that starts with the first request after the previous one ended."""

    limit: int
    per: float
    remaining: int = 0
    resets_at: float = 0.0

    def hit(self, now: float) -> bool:
        if now >= self.resets_at:
            self.remaining = self.limit
            self.resets_at = now + self.per
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def reset_after(self, now: float) -> float:
        return max(0.0, self.resets_at - now)


@dataclass
class Verdict:
    headers: dict[str, str] = field(default_factory=dict)


class RateLimited(ApiError):
    def __init__(self, retry_after: float, *, is_global: bool, headers: dict[str, str]) -> None:
        super().__init__(429, 0, "You are being rate limited.")
        self.retry_after = retry_after
        self.is_global = is_global
        self.headers = headers

    def body(self) -> dict[str, object]:
        return {
            "message": self.message,
            "retry_after": round(self.retry_after, 3),
            "global": self.is_global,
            "code": 0,
        }


# Answered without any rate-limit headers, as Discord does: hikari warns about a bucket header
# here ("unexpected bucket header") because real Discord never sends one.
UNLIMITED_ROUTES = frozenset({"POST /interactions/{webhook_id}/{webhook_token}/callback"})


class RateLimiter:
    """50 requests/s for the bot overall and 5 messages per 5 s per channel, like Discord.

    Other routes get a generous per-route bucket so that every answer carries the headers.
    Interaction callbacks and webhooks do not count against the global limit (as on Discord);
    interaction callbacks have no bucket at all.
    """

    def __init__(
        self,
        *,
        global_limit: tuple[int, float],
        channel_messages: tuple[int, float],
        time_source: TimeSource,
    ) -> None:
        self._global = Window(*global_limit)
        self._channel_messages = channel_messages
        self._buckets: dict[str, Window] = {}
        self._now = time_source

    def check(self, route: str, major: str, *, counts_globally: bool) -> dict[str, str]:
        """Headers for a request that may proceed, or `RateLimited` for one that may not."""
        if route in UNLIMITED_ROUTES:
            return {}
        now = self._now()
        if counts_globally and not self._global.hit(now):
            retry = self._global.reset_after(now)
            raise RateLimited(
                retry,
                is_global=True,
                headers={
                    "Retry-After": str(max(1, math.ceil(retry))),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                },
            )
        if route == "POST /channels/{channel_id}/messages":
            bucket_hash = "sim-message-create"
            limit, per = self._channel_messages
        else:
            bucket_hash = "sim-" + route.replace(" ", "-").replace("/", "-").strip("-")
            limit, per = 50, 1.0
        key = f"{bucket_hash}:{major}"
        window = self._buckets.get(key)
        if window is None:
            window = self._buckets[key] = Window(limit, per)
        allowed = window.hit(now)
        reset_after = window.reset_after(now)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": f"{real_now().timestamp() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
            headers["X-RateLimit-Scope"] = "user"
            raise RateLimited(reset_after, is_global=False, headers=headers)
        return headers
