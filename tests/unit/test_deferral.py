"""A check-in or /sos is recorded while its interaction is being deferred
(cogs/checkins/deferral.py): an alert never waits for the deferral's round trip, and a deferral
Discord refused loses nothing the member sent."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from cogs.checkins.deferral import deferred_while


class _Response:
    def __init__(self, recorded: asyncio.Event, *, fails: bool = False) -> None:
        self.recorded = recorded
        self.fails = fails
        self.deferred_with: dict[str, Any] | None = None

    async def defer(self, **options: Any) -> None:
        # Discord answers only once the recording has begun: were the two one after the
        # other, this would never return.
        await asyncio.wait_for(self.recorded.wait(), 5)
        if self.fails:
            raise RuntimeError("Unknown interaction")
        self.deferred_with = options


async def test_the_recording_runs_while_the_interaction_is_deferred() -> None:
    began = asyncio.Event()
    response = _Response(began)

    async def record() -> str:
        began.set()
        return "stored"

    interaction: Any = SimpleNamespace(response=response)
    assert await deferred_while(interaction, record()) == "stored"
    assert response.deferred_with == {"ephemeral": True, "thinking": True}


async def test_a_refused_deferral_still_keeps_what_the_member_sent() -> None:
    began = asyncio.Event()
    stored: list[str] = []

    async def record() -> None:
        began.set()
        await asyncio.sleep(0)  # still running when the deferral fails
        stored.append("check-in")

    interaction: Any = SimpleNamespace(response=_Response(began, fails=True))
    with pytest.raises(RuntimeError, match="Unknown interaction"):
        await deferred_while(interaction, record())
    assert stored == ["check-in"]


async def test_a_bad_value_is_raised_after_the_deferral() -> None:
    began = asyncio.Event()
    response = _Response(began)

    async def record() -> None:
        began.set()
        raise ValueError("mood must be 1 to 5")

    interaction: Any = SimpleNamespace(response=response)
    with pytest.raises(ValueError, match="mood"):
        await deferred_while(interaction, record())
    # Deferred first: the error is explained in the follow-up, as before.
    assert response.deferred_with is not None
