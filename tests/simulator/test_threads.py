"""Threads: archiving after inactivity, locked and archived threads, durations, thread members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
import pytest

from bot.simulator import SimChannel, Simulator, SimulatorError
from bot.simulator import permissions as perms
from tests.simulator.conftest import ProbeClient, World


def _text(client: discord.Client, channel: SimChannel) -> discord.TextChannel:
    found = client.get_channel(channel.id)
    assert isinstance(found, discord.TextChannel)
    return found


def _sim_thread(world: World, thread: discord.Thread) -> SimChannel:
    return next(t for t in world.guild.threads if t.id == thread.id)


async def test_threads_archive_after_their_auto_archive_duration_of_inactivity(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    thread = await _text(running, world.general).create_thread(
        name="Tuesday check-in", type=discord.ChannelType.public_thread, auto_archive_duration=60
    )
    sim_thread = _sim_thread(world, thread)
    await sim.advance(minutes=59)
    sim.post(world.alice, sim_thread, "still here")  # activity: the hour starts over
    await sim.advance(minutes=59)
    assert not sim_thread.archived
    archived = running.wait_for("thread_update", timeout=5)
    await sim.advance(minutes=1)
    _, after = await archived
    assert after.archived
    assert sim_thread.archived
    sim.post(world.alice, sim_thread, "back again")  # posting reopens an unlocked thread
    assert not sim_thread.archived


async def test_a_locked_archived_thread_takes_no_posts_until_a_moderator_unarchives_it(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    thread = await _text(running, world.general).create_thread(
        name="alice & mo", type=discord.ChannelType.private_thread
    )
    await thread.add_user(discord.Object(world.alice.id))
    await thread.edit(archived=True, locked=True)
    sim_thread = _sim_thread(world, thread)
    with pytest.raises(discord.HTTPException) as archived:
        await thread.send("hello?")
    assert archived.value.code == 50083
    with pytest.raises(discord.HTTPException) as renamed:
        await thread.edit(name="renamed while archived")
    assert renamed.value.code == 50083
    with pytest.raises(SimulatorError, match="locked"):
        sim.post(world.alice, sim_thread, "hello?")
    world.guild.bot_role.permissions &= ~perms.MANAGE_THREADS
    with pytest.raises(discord.Forbidden):
        await thread.edit(archived=False)  # locked: Manage Threads, even for its creator
    assert sim_thread.archived
    world.guild.bot_role.permissions |= perms.MANAGE_THREADS
    await thread.edit(archived=False)
    await thread.send("Reopened by a moderator")
    with pytest.raises(SimulatorError, match="locked"):
        sim.post(world.alice, sim_thread, "still locked for members")
    world.guild.bot_role.permissions &= ~perms.MANAGE_THREADS
    with pytest.raises(discord.HTTPException) as locked:
        await thread.send("no longer a moderator")
    assert locked.value.code == 160005


@pytest.mark.parametrize("duration", [30, 1441, 0])
async def test_auto_archive_duration_is_one_of_discords_four(
    sim: Simulator, world: World, http: Callable[..., Any], duration: int
) -> None:
    status, _, error = await http(
        "POST",
        f"/channels/{world.general.id}/threads",
        {"name": "x", "type": 11, "auto_archive_duration": duration},
    )
    assert (status, error["code"]) == (400, 50035)
    assert "auto_archive_duration" in error["errors"]
    assert world.guild.threads == []
    status, _, thread = await http(
        "POST",
        f"/channels/{world.general.id}/threads",
        {"name": "x", "type": 11, "auto_archive_duration": 4320},
    )
    assert status == 201
    status, _, error = await http(
        "PATCH", f"/channels/{thread['id']}", {"auto_archive_duration": duration}
    )
    assert (status, error["code"]) == (400, 50035)


async def test_a_thread_from_a_message_takes_its_id_and_updates_the_message(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"message_content"}
    client = make_client(message_content=True)
    async with sim.run_client(client):
        message = await _text(client, world.general).send("Check-in thread")
        edited = client.wait_for("raw_message_edit", timeout=5)
        thread = await message.create_thread(name="Today")
        update = await edited
    assert thread.id == message.id
    assert update.message_id == message.id
    assert update.data["thread"]["id"] == str(thread.id)


def _member_updates(sim: Simulator) -> list[dict[str, Any]]:
    (session,) = sim.gateway.sessions.values()
    return [f["d"] for f in session.frames if f["t"] == "THREAD_MEMBERS_UPDATE"]


async def test_the_bots_own_thread_membership_arrives_with_guilds_alone(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    client = make_client(members=False)
    async with sim.run_client(client):
        thread = await _text(client, world.general).create_thread(
            name="open", type=discord.ChannelType.public_thread
        )
        await thread.add_user(discord.Object(world.alice.id))  # someone else: not sent
        assert _member_updates(sim) == []
        await thread.leave()
        await thread.join()
    me = str(sim.bot_user.id)
    left, joined = _member_updates(sim)
    assert left["removed_member_ids"] == [me]
    assert [m["user_id"] for m in joined["added_members"]] == [me]


async def test_adding_a_member_needs_the_right_to_send_in_the_thread(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    text = _text(running, world.general)
    thread = await text.create_thread(name="open", type=discord.ChannelType.public_thread)
    world.general.set_permissions(world.guild.me, send_messages_in_threads=False)
    with pytest.raises(discord.Forbidden):
        await thread.add_user(discord.Object(world.alice.id))
    world.general.set_permissions(world.guild.me, send_messages_in_threads=None)
    world.guild.bot_role.permissions &= ~perms.MANAGE_THREADS
    private = await text.create_thread(
        name="pair", type=discord.ChannelType.private_thread, invitable=False
    )
    with pytest.raises(discord.Forbidden):
        await private.add_user(discord.Object(world.alice.id))  # not invitable, no moderator
    assert world.alice.id not in _sim_thread(world, private).thread_members
    world.guild.bot_role.permissions |= perms.MANAGE_THREADS
    await private.add_user(discord.Object(world.alice.id))
    assert world.alice.id in _sim_thread(world, private).thread_members


async def test_members_leave_threads_and_the_bot_hears_it(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"members"}
    client = make_client(members=True)
    async with sim.run_client(client):
        thread = await _text(client, world.general).create_thread(
            name="open", type=discord.ChannelType.public_thread
        )
        sim_thread = _sim_thread(world, thread)
        joined = client.wait_for("thread_member_join", timeout=5)
        sim.join_thread(world.alice, sim_thread)
        assert (await joined).id == world.alice.id
        removed = client.wait_for("raw_thread_member_remove", timeout=5)
        sim.leave_thread(world.alice, sim_thread)
        assert (await removed).data["removed_member_ids"] == [str(world.alice.id)]
    assert world.alice.id not in sim_thread.thread_members
    with pytest.raises(SimulatorError, match="not in the thread"):
        sim.leave_thread(world.alice, sim_thread)


async def test_thread_members_page_by_user_id(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    status, _, thread = await http(
        "POST", f"/channels/{world.general.id}/threads", {"name": "open", "type": 11}
    )
    assert status == 201
    members = f"/channels/{thread['id']}/thread-members"
    for member in (world.carol, world.alice, world.mo):
        status, _, _ = await http("PUT", f"{members}/{member.id}")
        assert status == 204
    everyone = sorted([sim.bot_user.id, world.alice.id, world.mo.id, world.carol.id])

    async def page(query: str) -> list[int]:
        status, _, found = await http("GET", f"{members}?{query}")
        assert status == 200
        return [int(m["user_id"]) for m in found]

    assert await page("") == everyone
    assert await page("limit=2") == everyone[:2]
    assert await page(f"after={everyone[1]}&limit=1") == everyone[2:3]
    _, _, plain = await http("GET", members)
    _, _, detailed = await http("GET", f"{members}?with_member=true")
    assert "member" not in plain[0]
    assert detailed[0]["member"]["user"]["id"] == str(everyone[0])
    status, _, error = await http("GET", f"{members}?limit=0")
    assert (status, error["code"]) == (400, 50035)
