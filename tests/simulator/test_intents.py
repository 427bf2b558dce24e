"""Privileged intents: enabled per application, refused with 4014, and what they unlock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest

from bot.simulator import Simulator
from tests.simulator.conftest import ProbeClient, World


async def _identify(sim: Simulator, intents: int) -> tuple[list[dict[str, Any]], int | None]:
    """READY and GUILD_CREATE as a raw client sees them, or the close code."""
    url = sim.gateway_url + "?encoding=json&v=10"
    frames: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive()
        await ws.send_json(
            {"op": 2, "d": {"token": sim.token, "intents": intents, "properties": {}}}
        )
        while len(frames) < 1 + len(sim.world.guilds):
            message = await ws.receive(timeout=5)
            if message.type is not aiohttp.WSMsgType.TEXT:
                return frames, ws.close_code
            frames.append(json.loads(message.data))
    return frames, None


@pytest.mark.parametrize("intent", ["members", "presences", "message_content"])
async def test_a_privileged_intent_the_application_has_not_enabled_is_closed_with_4014(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient], intent: str
) -> None:
    client = make_client(**{intent: True})
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with sim.run_client(client):
            pass
    sim.privileged_intents = {intent}
    async with sim.run_client(make_client(**{intent: True})) as ready:
        assert ready.is_ready()


async def test_the_raw_close_code_is_4014_and_enabled_intents_show_in_the_application_flags(
    sim: Simulator, world: World
) -> None:
    members = discord.Intents(guilds=True, members=True).value
    _, code = await _identify(sim, members)
    assert code == 4014
    sim.privileged_intents = {"members"}
    (ready, _guild), code = await _identify(sim, members)
    assert code is None
    assert ready["d"]["application"]["flags"] & (1 << 14)
    assert ready["d"]["user"]["flags"] == 0


async def test_without_presences_guild_create_lists_only_the_bot_and_members_in_voice(
    sim: Simulator, world: World
) -> None:
    lounge = world.guild.add_voice_channel("lounge")
    sim.join_voice(world.mo, lounge)
    sim.privileged_intents = {"members", "presences"}
    guilds = discord.Intents(guilds=True, members=True).value
    (_, guild), _ = await _identify(sim, guilds)
    listed = {int(m["user"]["id"]) for m in guild["d"]["members"]}
    assert listed == {sim.bot_user.id, world.mo.id}
    (_, guild), _ = await _identify(sim, guilds | discord.Intents(presences=True).value)
    everyone = {int(m["user"]["id"]) for m in guild["d"]["members"]}
    assert everyone == {m.id for m in world.guild.members}


async def test_listing_guild_members_needs_the_members_intent_enabled(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    url = f"{sim.api_base}/guilds/{world.guild.id}/members?limit=100"
    headers = {"Authorization": f"Bot {sim.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(url) as refused:
            assert (refused.status, (await refused.json())["code"]) == (403, 50001)
        sim.privileged_intents = {"members"}
        async with session.get(url) as listed:
            assert listed.status == 200
            assert len(await listed.json()) == len(world.guild.members)


async def test_a_guild_joined_later_follows_the_same_rule_per_connection(
    sim: Simulator, world: World
) -> None:
    url = sim.gateway_url + "?encoding=json&v=10"
    identify = {"token": sim.token, "intents": discord.Intents(guilds=True).value}
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive()
        await ws.send_json({"op": 2, "d": identify | {"properties": {}}})
        for _ in range(1 + len(sim.world.guilds)):  # READY and the existing guilds
            await ws.receive(timeout=5)
        second = sim.add_guild("Second Circle")
        frame = json.loads((await ws.receive(timeout=5)).data)
    assert (frame["t"], frame["d"]["id"]) == ("GUILD_CREATE", str(second.id))
    assert [m["user"]["id"] for m in frame["d"]["members"]] == [str(sim.bot_user.id)]
