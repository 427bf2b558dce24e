"""What one delivery attempt came to, and how Discord's errors map onto it."""

from __future__ import annotations

from dataclasses import dataclass

import discord

# After a 401 nothing is sent for this long (a bad token; too many 401s get the IP banned).
UNAUTHORIZED_HOLD_SECONDS = 300.0
DMS_CLOSED = 50007


@dataclass(frozen=True)
class Sent:
    delivered_to: str
    channel_id: int
    message_id: int
    # Found in the channel's history instead of being posted again (see `reconcile`).
    found: bool = False


@dataclass(frozen=True)
class Done:
    """An operation carried out: the thread's or event's id."""

    external_id: int
    found: bool = False  # an earlier attempt had made it (see bot/delivery/operations.py)


@dataclass(frozen=True)
class Retry:
    reason: str
    at_least: float = 0.0  # seconds, from a 429's Retry-After
    # Discord may have accepted the message (network error, timeout, 5xx): retry soon enough
    # for the nonce to de-duplicate it, and look for it once the nonce window is over.
    uncertain: bool = False
    # False when the message is not at fault (a rate limit, a bad token): the attempt is
    # given back and the row is tried again after `at_least`.
    counted: bool = True


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class Dead:
    reason: str


Outcome = Sent | Done | Retry | Refused | Dead


class Failure(Exception):
    def __init__(self, outcome: Retry | Refused | Dead) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def is_ban(exc: discord.HTTPException) -> bool:
    """A 429 that did not come from Discord's rate limiter (no `Via` header): a Cloudflare ban
    of the whole IP, which discord.py raises at once. Every request waits it out."""
    if exc.status != 429 or exc.response is None:
        return False
    return not exc.response.headers.get("Via")


def classify(exc: discord.HTTPException, *, dm: bool) -> Retry | Refused | Dead:
    reason = f"{exc.status}/{exc.code}" if exc.code else str(exc.status)
    if exc.status == 429:
        # Nothing was done (a 429 is answered before the request is handled): not the
        # message's fault, so no attempt is spent. discord.py raises it after sleeping
        # through four shorter limits, or at once for a ban.
        return Retry(reason, at_least=retry_after(exc), counted=False)
    if exc.status >= 500 or exc.status == 408:
        return Retry(reason, uncertain=True)
    if exc.status == 401:
        # The token, not the message: keep the row (see `Dispatcher._hold`).
        return Retry(reason, at_least=UNAUTHORIZED_HOLD_SECONDS, counted=False)
    if dm and exc.code == DMS_CLOSED:
        return Refused(f"DMs closed ({reason})")
    if exc.status in (403, 404):
        # The destination is gone or closed to the bot (on a DM route without 50007: the
        # bot lacks access, which is not the member's choice); a fallback may still take it.
        return Refused(f"target unavailable ({reason})")
    return Dead(reason)


def retry_after(exc: discord.HTTPException) -> float:
    raw = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(raw) if raw else 1.0
    except ValueError:
        return 1.0
