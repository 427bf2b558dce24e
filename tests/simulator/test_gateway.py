"""The gateway: login, READY/GUILD_CREATE, compression, intents, events and RESUME."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiohttp
import discord
import pytest

from bot.simulator import Simulator
from tests.simulator.conftest import ProbeClient, World


async def test_a_plain_client_logs_in_and_sees_the_guild(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    guild = running.get_guild(world.guild.id)
    assert guild is not None
    assert guild.name == "Recovery Circle"
    assert [c.name for c in guild.text_channels] == ["general"]
    assert guild.get_role(world.mods.id) is not None
    assert guild.get_role(world.mods.id).permissions.manage_guild  # type: ignore[union-attr]
    assert running.user is not None
    assert running.user.id == sim.application_id
    assert running.application_id == sim.application_id
    assert running.ready_count == 1
    routes = [r.route for r in sim.requests]
    assert routes[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]


async def test_discord_py_asks_for_zlib_stream_and_gets_it(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        url = sim.gateway_url + "?encoding=json&v=10&compress=zlib-stream"
        async with session.ws_connect(url) as ws:
            frame = await ws.receive()
            assert frame.type is aiohttp.WSMsgType.BINARY
            assert frame.data.endswith(b"\x00\x00\xff\xff")
            hello = json.loads(zlib.decompressobj().decompress(frame.data))
            assert hello["op"] == 10
        async with session.ws_connect(sim.gateway_url + "?encoding=json&v=10") as ws:
            frame = await ws.receive()
            assert frame.type is aiohttp.WSMsgType.TEXT
            assert json.loads(frame.data)["d"]["heartbeat_interval"] > 0


async def test_a_wrong_token_is_refused_with_4004(sim: Simulator) -> None:
    url = sim.gateway_url + "?encoding=json&v=10"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive()
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 1, "properties": {}}})
        closing = await ws.receive()
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == 4004


async def test_members_join_and_leave_reach_a_bot_with_the_members_intent(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"members"}
    client = make_client(members=True)
    async with sim.run_client(client):
        assert len(client.get_guild(world.guild.id).members) == 5  # type: ignore[union-attr]
        joined = client.wait_for("member_join", timeout=5)
        dave = world.guild.add_member("dave")
        assert (await joined).id == dave.id
        left = client.wait_for("member_remove", timeout=5)
        world.guild.remove_member(world.alice)
        assert (await left).id == world.alice.id


async def test_events_a_bot_has_no_intent_for_are_not_sent(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    world.guild.add_member("dave")
    (session,) = sim.gateway.sessions.values()
    assert "GUILD_MEMBER_ADD" not in [frame["t"] for frame in session.frames]
    assert "GUILD_CREATE" in [frame["t"] for frame in session.frames]


async def test_voice_state_updates(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    sim.privileged_intents = {"members"}
    client = make_client(members=True, voice_states=True)
    async with sim.run_client(client):
        update = client.wait_for("voice_state_update", timeout=5)
        sim.join_voice(world.alice, room)
        member, before, after = await update
        assert member.id == world.alice.id
        assert before.channel is None
        assert after.channel is not None
        assert after.channel.id == room.id
        update = client.wait_for("voice_state_update", timeout=5)
        sim.leave_voice(world.alice)
        member, before, after = await update
        assert before.channel is not None
        assert before.channel.id == room.id
        assert after.channel is None


async def test_disconnect_resumes_and_replays_what_was_missed(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"members"}
    client = make_client(members=True)
    async with sim.run_client(client):
        session_before = client.ws.session_id
        resumed = client.wait_for("resumed", timeout=5)
        joined = client.wait_for("member_join", timeout=5)
        await sim.disconnect(while_down=lambda: world.guild.add_member("dave"))
        await resumed
        assert (await joined).name == "dave"
        assert client.ws.session_id == session_before
        assert client.ready_count == 1
        resumes = [frame for frame in sim.gateway.log if frame[1] == 6]
        assert len(resumes) == 1


async def test_a_lost_session_is_identified_again(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    session_before = running.ws.session_id
    await sim.disconnect(resume=False)
    await running.wait_until_ready()
    assert running.ws.session_id != session_before
    identifies = [frame for frame in sim.gateway.log if frame[1] == 2]
    assert len(identifies) == 2


async def test_scheduled_event_subscriptions_reach_the_bot(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"members"}
    client = make_client(members=True, guild_scheduled_events=True)
    async with sim.run_client(client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        created = client.wait_for("scheduled_event_create", timeout=5)
        event = await guild.create_scheduled_event(
            name="Tuesday group",
            start_time=discord.utils.utcnow() + timedelta(days=1),
            end_time=discord.utils.utcnow() + timedelta(days=1, hours=1),
            entity_type=discord.EntityType.external,
            privacy_level=discord.PrivacyLevel.guild_only,
            location="Community hall",
        )
        assert (await created).id == event.id
        (sim_event,) = world.guild.scheduled_events
        subscribed = client.wait_for("scheduled_event_user_add", timeout=5)
        sim.rsvp(world.alice, sim_event)
        seen_event, user = await subscribed
        assert seen_event.id == event.id
        assert user.id == world.alice.id


@pytest.mark.parametrize("compress", [True, False])
async def test_gateway_frames_are_sequenced(sim: Simulator, world: World, compress: bool) -> None:
    async with aiohttp.ClientSession() as session:
        query = "?encoding=json&v=10" + ("&compress=zlib-stream" if compress else "")
        inflate = zlib.decompressobj()

        async def receive() -> dict[str, object]:
            frame = await ws.receive()
            text = inflate.decompress(frame.data) if compress else frame.data
            result: dict[str, object] = json.loads(text)
            return result

        async with session.ws_connect(sim.gateway_url + query) as ws:
            await receive()
            await ws.send_json({"op": 2, "d": {"token": sim.token, "intents": 1, "properties": {}}})
            ready = await receive()
            guild_create = await receive()
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert (guild_create["t"], guild_create["s"]) == ("GUILD_CREATE", 2)
            await ws.send_json({"op": 1, "d": 2})
            assert (await receive())["op"] == 11


async def test_sharded_sessions_get_their_servers_events_and_dms_go_to_shard_0(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    home = (world.guild.id >> 22) % 2  # Discord's sharding formula
    clients = [ProbeClient(discord.Intents.default(), shard_id=n, shard_count=2) for n in (0, 1)]
    async with sim.run_client(clients[0]), sim.run_client(clients[1]):
        assert clients[home].get_guild(world.guild.id) is not None
        assert clients[1 - home].get_guild(world.guild.id) is None  # not in its READY either
        status, _, _ = await http(
            "POST", f"/guilds/{world.guild.id}/channels", {"name": "check-ins", "type": 0}
        )
        assert status == 201
        status, _, dm = await http(
            "POST", "/users/@me/channels", {"recipient_id": str(world.alice.id)}
        )
        status, _, _ = await http("POST", f"/channels/{dm['id']}/messages", {"content": "hello"})
        assert status == 200
        sessions = {s.shard: s for s in sim.gateway.sessions.values()}
        events = {shard: [f["t"] for f in s.frames] for shard, s in sessions.items()}
        assert "CHANNEL_CREATE" in events[(home, 2)]
        assert "CHANNEL_CREATE" not in events[(1 - home, 2)]
        # Events without a server (a DM's) go to shard 0 only.
        assert "MESSAGE_CREATE" in events[(0, 2)]
        assert "MESSAGE_CREATE" not in events[(1, 2)]


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], [0]])
async def test_an_invalid_shard_is_refused_with_4010(sim: Simulator, shard: list[int]) -> None:
    url = sim.gateway_url + "?encoding=json&v=10"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive()
        identify = {"token": sim.token, "intents": 1, "properties": {}, "shard": shard}
        await ws.send_json({"op": 2, "d": identify})
        closing = await ws.receive()
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == 4010
