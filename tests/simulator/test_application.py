"""The current application: served where discord.py and discord.js each ask for it."""

from __future__ import annotations

import aiohttp
import pytest

from bot.simulator import Simulator


@pytest.mark.parametrize("path", ["/applications/@me", "/oauth2/applications/@me"])
async def test_the_current_application_is_on_both_documented_routes(
    sim: Simulator, path: str
) -> None:
    headers = {"Authorization": f"Bot {sim.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(sim.api_base + path, headers=headers) as response,
    ):
        assert response.status == 200
        application = await response.json()
    assert application["id"] == str(sim.application_id)
    assert application["bot"]["id"] == str(sim.bot_user.id)
    # The owner is a person of their own: a client caching users by id must not mistake it
    # for its bot user (discord.js did, and lost `bot: true` on its own user).
    assert application["owner"]["id"] != str(sim.bot_user.id)
    assert "bot" not in application["owner"]
    # Optional in the docs, always there for one's own application; hikari needs it.
    assert application["approximate_user_install_count"] == 0
