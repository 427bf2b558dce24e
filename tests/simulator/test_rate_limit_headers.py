"""Which answers carry rate-limit headers: every route but the interaction callback."""

from __future__ import annotations

from bot.simulator.ratelimit import RateLimiter

CALLBACK = "POST /interactions/{webhook_id}/{webhook_token}/callback"
FOLLOW_UP = "POST /webhooks/{webhook_id}/{webhook_token}"


def limiter() -> RateLimiter:
    return RateLimiter(global_limit=(50, 1.0), channel_messages=(5, 5.0), time_source=lambda: 0.0)


def test_the_interaction_callback_answers_without_a_bucket() -> None:
    # Discord sends none there; hikari warns "unexpected bucket header" when one comes.
    assert limiter().check(CALLBACK, "1+token", counts_globally=False) == {}


def test_the_callback_is_never_refused_however_often_it_is_called() -> None:
    rates = limiter()
    for _ in range(200):
        assert rates.check(CALLBACK, "1+token", counts_globally=False) == {}


def test_follow_ups_and_bot_routes_still_carry_their_bucket() -> None:
    rates = limiter()
    assert rates.check(FOLLOW_UP, "1+token", counts_globally=False)["X-RateLimit-Bucket"]
    headers = rates.check("GET /users/@me", "", counts_globally=True)
    assert headers["X-RateLimit-Remaining"] == "49"
