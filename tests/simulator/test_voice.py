"""Voice: who may join which channel, leaving with the server, voice states over REST, toggles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.simulator import Simulator, SimulatorError
from bot.simulator import permissions as perms
from tests.simulator.conftest import ProbeClient, World


async def test_members_join_only_voice_channels_of_their_server_they_may_connect_to(
    sim: Simulator, world: World
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    stage = world.guild.add_voice_channel("Town hall", stage=True)
    elsewhere = sim.add_guild("Elsewhere").add_voice_channel("Lobby")
    with pytest.raises(SimulatorError, match="not a voice or stage channel"):
        sim.join_voice(world.alice, world.general)
    with pytest.raises(SimulatorError, match="not a voice or stage channel"):
        sim.join_voice(world.alice, elsewhere)
    room.set_permissions(world.guild.everyone, connect=False)
    with pytest.raises(SimulatorError, match="may not connect"):
        sim.join_voice(world.alice, room)
    room.set_permissions(world.guild.everyone, connect=None, view_channel=False)
    with pytest.raises(SimulatorError, match="may not connect"):
        sim.join_voice(world.alice, room)
    assert world.guild.voice_states == {}
    sim.join_voice(world.alice, stage)
    assert world.guild.members_in(stage) == [world.alice]


async def test_leaving_the_server_while_in_voice_ends_the_voice_state(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    sim.privileged_intents = {"members"}
    client = make_client(members=True, voice_states=True)
    async with sim.run_client(client):
        joined = client.wait_for("voice_state_update", timeout=5)
        sim.join_voice(world.alice, room)
        await joined
        left = client.wait_for("voice_state_update", timeout=5)
        world.guild.remove_member(world.alice)
        member, before, after = await left
        assert member.id == world.alice.id
        assert before.channel is not None
        assert after.channel is None
    assert world.guild.voice_states == {}
    (visit,) = world.guild.voice_visits
    assert visit.left_at is not None


async def test_voice_states_over_rest(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    states = f"/guilds/{world.guild.id}/voice-states"
    status, _, error = await http("GET", f"{states}/@me")
    assert (status, error["code"]) == (404, 10065)
    status, _, error = await http("GET", f"{states}/{world.alice.id}")
    assert (status, error["code"]) == (404, 10065)
    sim.join_voice(world.alice, room)
    sim.set_voice(world.alice, self_mute=True)
    status, _, state = await http("GET", f"{states}/{world.alice.id}")
    assert status == 200
    assert state["channel_id"] == str(room.id)
    assert state["self_mute"] is True
    room.set_permissions(world.guild.me, connect=False)
    status, _, error = await http("GET", f"{states}/{world.alice.id}")
    assert (status, error["code"]) == (403, 50013)


async def test_mute_deafen_and_camera_toggles_reach_the_bot(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    sim.privileged_intents = {"members"}
    client = make_client(members=True, voice_states=True)
    async with sim.run_client(client):
        joined = client.wait_for("voice_state_update", timeout=5)
        sim.join_voice(world.alice, room)
        await joined
        for flag in ("self_mute", "self_deaf", "self_video", "mute", "deaf"):
            toggled = client.wait_for("voice_state_update", timeout=5)
            sim.set_voice(world.alice, **{flag: True})
            _, before, after = await toggled
            assert (getattr(before, flag), getattr(after, flag)) == (False, True)
            assert after.channel is not None
            assert after.channel.id == room.id
    with pytest.raises(SimulatorError, match="not in a voice channel"):
        sim.set_voice(world.mo, self_mute=True)


async def test_voice_visits_follow_the_simulator_clock(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    async with sim.run_client(make_client(voice_states=True)):
        await sim.advance(seconds=1)  # the simulator's clock is now a manual one
        arrived = sim.now()
        sim.join_voice(world.alice, room)
        await sim.advance(minutes=45)
        sim.leave_voice(world.alice)
    (visit,) = world.guild.voice_visits
    assert visit.joined_at == arrived
    assert visit.left_at == arrived + timedelta(minutes=45)


async def test_kicking_a_member_in_voice_disconnects_them_first(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    sim.join_voice(world.alice, room)
    sim.privileged_intents = {"members"}
    client = make_client(members=True, voice_states=True)
    async with sim.run_client(client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        member = await guild.fetch_member(world.alice.id)
        with pytest.raises(discord.Forbidden):
            await member.kick()  # the bot's role lacks Kick Members
        world.guild.bot_role.permissions |= perms.KICK_MEMBERS
        left = client.wait_for("voice_state_update", timeout=5)
        removed = client.wait_for("raw_member_remove", timeout=5)
        await member.kick()
        _, before, after = await left
        assert (await removed).user.id == world.alice.id
    assert before.channel is not None
    assert after.channel is None
    assert world.alice.id not in world.guild.members_by_id
    (session,) = sim.gateway.sessions.values()
    order = [
        f["t"] for f in session.frames if f["t"] in ("VOICE_STATE_UPDATE", "GUILD_MEMBER_REMOVE")
    ]
    assert order == ["VOICE_STATE_UPDATE", "GUILD_MEMBER_REMOVE"]
