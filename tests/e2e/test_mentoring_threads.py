"""Each pair's private thread: made on Accept and on `/mentors assign` with both members in
it and the introduction inside, archived and locked when the pairing ends; introductions by
DM when there is no channel or Steady may not make threads there (and `/setup status` says
why)."""

from __future__ import annotations

from typing import Any

from bot.simulator import SimChannel, SimMember, SimMessage, Simulator
from tests.e2e.conftest import World
from tests.e2e.test_setup_status import shown

PRIVATE_THREAD = 12


def _offers(sim: Simulator, member: SimMember) -> list[SimMessage]:
    return [m for m in sim.dms(member) if "Would you be" in m.content]


async def _mentor(world: World, member: SimMember, **options: Any) -> None:
    await world.sim.slash(member, "mentor apply", kind="mentor", **options)
    await world.sim.slash(world.mo, "mentors approve", member=member)


async def _pairs_channel(world: World) -> SimChannel:
    channel = world.guild.add_text_channel("mentoring")
    done = await world.sim.slash(world.mo, "setup mentoring", channel=channel)
    assert "pairs' channel" in done.content
    return channel


async def _paired(world: World, mentee: SimMember, mentor: SimMember) -> None:
    sim = world.sim
    await _mentor(world, mentor, about="Ten years sober, I like long walks.")
    await sim.slash(mentee, "mentor request", note="Evenings are hard for me")
    await sim.advance(seconds=1)
    await sim.click(mentor, _offers(sim, mentor)[-1], label="Accept")
    await sim.advance(seconds=1)


def _threads(channel: SimChannel) -> list[SimChannel]:
    return [t for t in channel.guild.threads if t.parent_id == channel.id] if channel.guild else []


async def test_accepting_opens_a_private_thread_for_the_two_which_closes_when_they_end(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    channel = await _pairs_channel(world)
    await _paired(world, alice, bob)

    [thread] = _threads(channel)
    assert thread.type == PRIVATE_THREAD
    assert {alice.id, bob.id} <= set(thread.thread_members)
    assert world.dana.id not in thread.thread_members
    assert "alice" not in thread.name
    assert "bob" not in thread.name
    [intro] = sim.messages(thread)
    assert f"<@{alice.id}>" in intro.content
    assert f"<@{bob.id}>" in intro.content
    assert "Ten years sober" in intro.content  # the mentor's own about
    assert "private" in intro.content
    # In the thread, not by DM: nobody gets the introduction twice.
    assert not any("Good news" in m.content for m in sim.dms(alice))
    status = await sim.slash(alice, "mentor status")
    assert f"<@{bob.id}>" in str(status.embeds)

    prompt = await sim.slash(alice, "mentor end")
    await sim.click(alice, prompt, label="End pairing")
    await sim.advance(seconds=1)
    assert (thread.archived, thread.locked) == (True, True)
    assert not thread.deleted
    assert len(sim.messages(thread)) == 1  # still there to read back


async def test_a_thread_archived_by_a_quiet_week_is_still_locked_when_the_pair_ends(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    channel = await _pairs_channel(world)
    await _paired(world, alice, bob)
    [thread] = _threads(channel)
    await sim.advance(days=8)
    assert thread.archived
    assert not thread.locked
    prompt = await sim.slash(bob, "mentor end", member=alice)
    await sim.click(bob, prompt, label="End pairing")
    await sim.advance(seconds=1)
    assert (thread.archived, thread.locked) == (True, True)


async def test_a_direct_assignment_gets_a_thread_and_removal_closes_it(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    channel = await _pairs_channel(world)
    await _mentor(world, bob)
    done = await sim.slash(world.mo, "mentors assign", mentee=alice, mentor=bob)
    assert "are paired" in done.content
    await sim.advance(seconds=1)
    [thread] = _threads(channel)
    assert {alice.id, bob.id} <= set(thread.thread_members)
    assert "is now" in sim.messages(thread)[0].content
    await sim.slash(world.mo, "mentors remove", member=bob)
    await sim.advance(seconds=1)
    assert (thread.archived, thread.locked) == (True, True)


async def test_without_a_channel_both_are_introduced_by_dm_and_status_says_why(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await _paired(world, alice, bob)
    assert world.guild.threads == []
    assert any("Good news" in m.content for m in sim.dms(alice))
    assert any("You're now" in m.content for m in sim.dms(bob))
    status = shown((await sim.slash(world.mo, "setup status")).embeds)
    assert "No mentoring channel is set" in status


async def test_a_channel_steady_cannot_make_threads_in_is_refused_when_set(
    world: World, bot: object
) -> None:
    channel = world.guild.add_text_channel("mentoring")
    channel.set_permissions(world.guild.bot_role, create_private_threads=False)
    refused = await world.sim.slash(world.mo, "setup mentoring", channel=channel)
    assert refused.ephemeral
    assert "Create Private Threads" in refused.content
    assert "Nothing was changed" in refused.content


async def test_losing_the_permission_later_falls_back_to_dms_and_status_says_why(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    channel = await _pairs_channel(world)
    channel.set_permissions(world.guild.bot_role, create_private_threads=False)
    await _paired(world, alice, bob)
    await sim.advance(minutes=1)
    assert _threads(channel) == []
    assert any("Good news" in m.content for m in sim.dms(alice))
    assert any("You're now" in m.content for m in sim.dms(bob))
    status = shown((await sim.slash(world.mo, "setup status")).embeds)
    assert "Create Private Threads" in status
    assert "mentoring.thread" in status  # the failed attempt, with Discord's reason


async def test_a_member_who_cannot_see_the_channel_gets_their_introduction_by_dm(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    channel = await _pairs_channel(world)
    channel.set_permissions(alice, view_channel=False)
    await _paired(world, alice, bob)
    await sim.advance(minutes=1)
    [thread] = _threads(channel)
    assert bob.id in thread.thread_members
    assert alice.id not in thread.thread_members
    assert any("Good news" in m.content for m in sim.dms(alice))
    assert not any("You're now" in m.content for m in sim.dms(bob))  # his is in the thread
