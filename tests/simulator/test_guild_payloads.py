"""Guild, application and callback answers shaped as Discord's (what other clients rely on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.simulator import Simulator
from tests.simulator.conftest import ProbeClient, World

GATEWAY_ONLY = (
    "members",
    "channels",
    "threads",
    "voice_states",
    "presences",
    "joined_at",
    "large",
    "unavailable",
    "member_count",
    "stage_instances",
    "guild_scheduled_events",
    "soundboard_sounds",
)


async def _get(sim: Simulator, path: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {sim.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(sim.api_base + path) as response,
    ):
        return response.status, await response.json()


async def test_the_rest_guild_has_the_guild_fields_and_none_of_guild_create_s(
    sim: Simulator, world: World
) -> None:
    status, guild = await _get(sim, f"/guilds/{world.guild.id}")
    assert status == 200
    for key in ("application_id", "safety_alerts_channel_id", "incidents_data"):
        assert key in guild
        assert guild[key] is None
    assert [k for k in GATEWAY_ONLY if k in guild] == []
    assert "approximate_member_count" not in guild


async def test_with_counts_adds_the_approximate_counts(sim: Simulator, world: World) -> None:
    _, guild = await _get(sim, f"/guilds/{world.guild.id}?with_counts=true")
    assert guild["approximate_member_count"] == len(world.guild.members)
    assert guild["approximate_presence_count"] == 0


async def test_guild_create_carries_the_required_nullable_fields(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    payload = world.guild.payload(with_presences=False)
    assert {"application_id", "safety_alerts_channel_id", "incidents_data"} <= payload.keys()
    assert running.get_guild(world.guild.id) is not None


async def test_applications_me_answers_like_the_oauth2_route(sim: Simulator) -> None:
    status, app = await _get(sim, "/applications/@me")
    assert status == 200
    assert app["id"] == str(sim.application_id)
    assert (await _get(sim, "/oauth2/applications/@me"))[1] == app


@pytest.fixture
async def seen() -> dict[str, Any]:
    return {}


@pytest.fixture
async def bot(
    sim: Simulator, world: World, client: ProbeClient, seen: dict[str, Any]
) -> AsyncIterator[ProbeClient]:
    @client.tree.command(description="Answers through a raw callback")
    async def raw(interaction: discord.Interaction) -> None:
        url = f"{sim.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
        body = {"type": 4, "data": {"content": "hello"}}
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
            seen["status"] = response.status
            seen["headers"] = dict(response.headers)

    async with sim.run_client(client):
        yield client


async def test_interaction_callbacks_answer_without_rate_limit_headers(
    sim: Simulator, world: World, bot: ProbeClient, seen: dict[str, Any]
) -> None:
    r = await sim.slash(world.alice, "raw")
    assert r.content == "hello"
    assert seen["status"] == 204
    assert not [h for h in seen["headers"] if h.lower().startswith("x-ratelimit")]


async def test_a_role_placed_below_the_bot_s_own_can_be_assigned_by_the_bot(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    peer = world.guild.add_role("Peer", position=1)
    assert peer.position < world.guild.bot_role.position < world.mods.position
    await running.http.add_role(world.guild.id, world.alice.id, peer.id)
    assert peer in world.alice.roles
    with pytest.raises(discord.Forbidden):
        await running.http.add_role(world.guild.id, world.alice.id, world.mods.id)
    on_top = world.guild.add_role("Later")
    assert on_top.position > world.mods.position
