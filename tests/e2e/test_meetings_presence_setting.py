"""/setup meetings presence-minutes: moderators choose how long in a meeting's voice channel
counts as attending; sessions counted afterwards use it, and nothing else changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app import SteadyBot
from bot.db.models import AuditLog
from bot.simulator import SimChannel, SimMember, Simulator, SimulatorError
from tests.e2e.conftest import World
from tests.e2e.meeting_steps import settle


def _minutes(value: int) -> dict[str, Any]:
    """The option as Discord names it (a hyphen, so not a Python keyword argument)."""
    return {"presence-minutes": value}


async def _voice_group(sim: Simulator, world: World) -> SimChannel:
    room = world.guild.add_voice_channel("Group room")
    await sim.slash(
        world.mo,
        "meeting create",
        title="Voice group",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        voice=room,
    )
    return room


async def _five_minutes_in(
    sim: Simulator, bot: SteadyBot, world: World, member: SimMember, room: SimChannel
) -> None:
    """From 18:05 to 18:10 in the room, then on to 20:00, after the session was counted."""
    await sim.advance(minutes=5)
    sim.join_voice(member, room)
    await settle(sim, bot, world.mo)
    await sim.advance(minutes=5)
    sim.leave_voice(member)
    await settle(sim, bot, world.mo)
    await sim.advance(hours=1, minutes=50)


async def test_five_minutes_count_after_the_moderator_sets_five_and_not_before(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    room = await _voice_group(sim, world)
    await sim.advance(hours=6)  # 18:00, Sunday's session
    await _five_minutes_in(sim, bot, world, world.alice, room)
    before = await sim.slash(world.alice, "meeting attendance")
    assert "You attended 0 groups" in before.content  # 5 minutes of the default 10

    reply = await sim.slash(world.mo, "setup meetings", **_minutes(5))
    assert reply.ephemeral
    assert "at least **5 minutes** of a session count as attending" in reply.content
    assert "attendance already recorded stays as it was" in reply.content

    await sim.advance(hours=22)  # 18:00, Monday's session
    await _five_minutes_in(sim, bot, world, world.alice, room)
    after = await sim.slash(world.alice, "meeting attendance")
    assert "You attended 1 group in the last 30 days" in after.content

    async with bot.database.read() as session:
        actions = (await session.scalars(select(AuditLog))).all()
    assert [(a.actor_id, a.action, a.target_id) for a in actions][-1] == (
        world.mo.id,
        "meetings.presence_minutes",
        None,
    )
    log = await sim.slash(world.mo, "audit")
    assert "changed the voice minutes that count as attending a meeting" in log.content


async def test_setup_show_lists_the_presence_minutes(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    shown = await sim.slash(world.mo, "setup show")
    [meetings] = [f for f in shown.embeds[0]["fields"] if f["name"] == "Meetings"]
    assert "at least **10 minutes** (the default)" in meetings["value"]
    assert "/setup meetings presence-minutes:" in meetings["value"]

    await sim.slash(world.mo, "setup meetings", **_minutes(1))
    shown = await sim.slash(world.mo, "setup show")
    [meetings] = [f for f in shown.embeds[0]["fields"] if f["name"] == "Meetings"]
    assert "at least **1 minute** of a session" in meetings["value"]
    assert "default" not in meetings["value"]


async def test_without_an_option_it_says_what_is_set_and_changes_nothing(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    reply = await sim.slash(world.mo, "setup meetings")
    assert reply.ephemeral
    assert "at least **10 minutes** (the default)" in reply.content
    assert "To change it: `/setup meetings presence-minutes:`" in reply.content
    async with bot.database.read() as session:
        assert (await session.scalars(select(AuditLog))).all() == []


async def test_a_member_who_is_not_a_moderator_is_refused_and_nothing_changes(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    refused = await sim.slash(world.alice, "setup meetings", bypass_permissions=True, **_minutes(2))
    assert refused.ephemeral
    assert "This command is for moderators" in refused.content
    shown = await sim.slash(world.mo, "setup meetings")
    assert "at least **10 minutes** (the default)" in shown.content
    async with bot.database.read() as session:
        assert (await session.scalars(select(AuditLog))).all() == []


@pytest.mark.parametrize("minutes", [0, 481])
async def test_discord_refuses_minutes_out_of_range_before_steady_sees_them(
    sim: Simulator, world: World, bot: SteadyBot, minutes: int
) -> None:
    # The option carries its range, so Discord's client will not send 0 or 481 (the service
    # refuses them too: tests/services/test_meetings_presence_setting.py).
    with pytest.raises(SimulatorError, match="between 1 and 480"):
        await sim.slash(world.mo, "setup meetings", **_minutes(minutes))
    shown = await sim.slash(world.mo, "setup meetings")
    assert "at least **10 minutes** (the default)" in shown.content
