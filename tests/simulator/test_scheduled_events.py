"""Scheduled events: automation over time, permissions, payloads, pagination, recurrence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.simulator import SimChannel, SimScheduledEvent, Simulator, SimulatorError
from bot.simulator import permissions as perms
from bot.simulator.state.scheduled_events import ACTIVE, CANCELED, COMPLETED
from tests.simulator.conftest import ProbeClient, World

EVENTS = "/guilds/{guild}/scheduled-events"


def _heard(sim: Simulator) -> list[int]:
    """The statuses the connected client was sent in GUILD_SCHEDULED_EVENT_UPDATE, in order."""
    (session,) = sim.gateway.sessions.values()
    return [f["d"]["status"] for f in session.frames if f["t"] == "GUILD_SCHEDULED_EVENT_UPDATE"]


def _voice_event(world: World, sim: Simulator) -> tuple[SimChannel, SimScheduledEvent]:
    room = world.guild.add_voice_channel("IOP room")
    event = world.guild.add_scheduled_event(
        "Tuesday group", start=sim.now() + timedelta(hours=1), channel=room
    )
    return room, event


async def test_external_events_start_and_end_by_themselves(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    start = sim.now() + timedelta(hours=2)
    event = world.guild.add_scheduled_event(
        "Walk in the park", start=start, end=start + timedelta(hours=1), location="Riverside"
    )
    client = make_client(guild_scheduled_events=True)
    async with sim.run_client(client):
        await sim.advance(hours=1, minutes=59)
        assert _heard(sim) == []
        updated = client.wait_for("scheduled_event_update", timeout=5)
        await sim.advance(minutes=1)
        _, after = await updated
        assert after.status is discord.EventStatus.active
        await sim.advance(minutes=59)
        assert _heard(sim) == [ACTIVE]
        await sim.advance(minutes=1)
        assert _heard(sim) == [ACTIVE, COMPLETED]
    assert event.status == COMPLETED


async def test_a_started_voice_event_completes_minutes_after_its_channel_empties(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room, event = _voice_event(world, sim)
    client = make_client(guild_scheduled_events=True, voice_states=True)
    grace = sim.automation.empty_channel_grace
    assert grace == timedelta(minutes=5)
    almost = (grace - timedelta(seconds=1)).total_seconds()
    async with sim.run_client(client):
        await sim.advance(hours=1)
        event.start()
        sim.join_voice(world.alice, room)
        await sim.advance(hours=2)
        sim.leave_voice(world.alice)
        await sim.advance(seconds=almost)
        assert _heard(sim) == [ACTIVE]
        sim.join_voice(world.mo, room)  # someone is back: the countdown starts over
        sim.leave_voice(world.mo)
        await sim.advance(seconds=almost)
        assert _heard(sim) == [ACTIVE]
        await sim.advance(seconds=1)
        assert _heard(sim) == [ACTIVE, COMPLETED]


async def test_a_started_event_nobody_joins_completes_after_the_grace(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    _, event = _voice_event(world, sim)
    client = make_client(guild_scheduled_events=True)
    async with sim.run_client(client):
        event.start()
        await sim.advance(seconds=sim.automation.empty_channel_grace.total_seconds())
        assert _heard(sim) == [ACTIVE, COMPLETED]


async def test_an_event_nobody_started_is_cancelled_hours_after_its_start(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    _, event = _voice_event(world, sim)
    client = make_client(guild_scheduled_events=True)
    assert sim.automation.unstarted_cancel_after == timedelta(hours=4)
    wait = timedelta(hours=1) + sim.automation.unstarted_cancel_after
    async with sim.run_client(client):
        await sim.advance(seconds=(wait - timedelta(seconds=1)).total_seconds())
        assert _heard(sim) == []
        updated = client.wait_for("scheduled_event_update", timeout=5)
        await sim.advance(seconds=1)
        _, after = await updated
        assert after.status is discord.EventStatus.cancelled
    assert event.status == CANCELED


async def test_moderators_create_start_and_end_events_by_hand(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    hosts = world.guild.add_role("Hosts", create_events=True)
    host = world.guild.add_member("hana", roles=[hosts])
    start = sim.now() + timedelta(days=1)
    with pytest.raises(SimulatorError, match="Create Events"):
        world.guild.add_scheduled_event("Mine", start=start, channel=room, creator=world.alice)
    room.set_permissions(hosts, connect=False)
    with pytest.raises(SimulatorError, match="cannot connect"):
        world.guild.add_scheduled_event("Mine", start=start, channel=room, creator=host)
    room.set_permissions(hosts, connect=None)
    client = make_client(guild_scheduled_events=True)
    async with sim.run_client(client):
        created = client.wait_for("scheduled_event_create", timeout=5)
        event = world.guild.add_scheduled_event("Group", start=start, channel=room, creator=host)
        seen = await created
        assert seen.creator_id == host.id
        assert seen.channel_id == room.id
        updated = client.wait_for("scheduled_event_update", timeout=5)
        event.start()
        assert (await updated)[1].status is discord.EventStatus.active
        updated = client.wait_for("scheduled_event_update", timeout=5)
        event.end()
        assert (await updated)[1].status is discord.EventStatus.completed
    with pytest.raises(SimulatorError, match="cannot go from"):
        event.start()
    with pytest.raises(SimulatorError, match="over"):
        sim.rsvp(world.alice, event)
    never = world.guild.add_scheduled_event("Later", start=start, channel=room, creator=host)
    room.set_permissions(world.guild.everyone, view_channel=False)
    with pytest.raises(SimulatorError, match="cannot see"):
        sim.rsvp(world.alice, never)  # the event is shown only to who can view its channel
    room.set_permissions(world.guild.everyone, view_channel=None)
    never.end()
    assert never.status == 4  # ending one that never started cancels it


async def test_creating_needs_create_events_and_for_voice_view_and_connect(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    body = {
        "name": "Group",
        "privacy_level": 2,
        "entity_type": 2,
        "channel_id": str(room.id),
        "scheduled_start_time": (sim.now() + timedelta(days=1)).isoformat(),
    }
    path = EVENTS.format(guild=world.guild.id)
    world.guild.bot_role.permissions &= ~perms.CREATE_EVENTS  # Manage Events alone
    status, _, error = await http("POST", path, body)
    assert (status, error["code"]) == (403, 50013)
    world.guild.bot_role.permissions |= perms.CREATE_EVENTS
    room.set_permissions(world.guild.me, connect=False)
    status, _, error = await http("POST", path, body)
    assert (status, error["code"]) == (403, 50013)
    room.set_permissions(world.guild.me, connect=None)
    status, _, created = await http("POST", path, body)
    assert status == 200
    assert created["creator_id"] == str(sim.bot_user.id)
    assert created["creator"]["id"] == str(sim.bot_user.id)


async def test_editing_needs_manage_events_unless_the_bot_created_the_event(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    world.guild.bot_role.permissions &= ~perms.MANAGE_EVENTS  # Create Events only
    start = sim.now() + timedelta(days=1)
    body = {
        "name": "Group",
        "privacy_level": 2,
        "entity_type": 2,
        "channel_id": str(room.id),
        "scheduled_start_time": start.isoformat(),
    }
    path = EVENTS.format(guild=world.guild.id)
    status, _, own = await http("POST", path, body)
    assert status == 200
    status, _, _ = await http("PATCH", f"{path}/{own['id']}", {"name": "Group (moved)"})
    assert status == 200
    theirs = world.guild.add_scheduled_event("Theirs", start=start, channel=room)
    status, _, error = await http("PATCH", f"{path}/{theirs.id}", {"name": "Mine now"})
    assert (status, error["code"]) == (403, 50013)
    status, _, error = await http("DELETE", f"{path}/{theirs.id}")
    assert (status, error["code"]) == (403, 50013)
    status, _, _ = await http("DELETE", f"{path}/{own['id']}")
    assert status == 204
    assert theirs.name == "Theirs"


async def test_a_finished_event_cannot_be_edited(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    event = world.guild.add_scheduled_event(
        "Group", start=sim.now() + timedelta(days=1), channel=room
    )
    event.cancel()
    path = f"{EVENTS.format(guild=world.guild.id)}/{event.id}"
    status, _, error = await http("PATCH", path, {"name": "Back on"})
    assert (status, error["code"]) == (400, 180000)
    assert event.name == "Group"


async def test_user_count_only_when_asked_for(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    event = world.guild.add_scheduled_event(
        "Group", start=sim.now() + timedelta(days=1), channel=room
    )
    sim.rsvp(world.alice, event)
    path = EVENTS.format(guild=world.guild.id)
    _, _, plain = await http("GET", path)
    _, _, counted = await http("GET", path + "?with_user_count=true")
    _, _, one = await http("GET", f"{path}/{event.id}?with_user_count=true")
    assert "user_count" not in plain[0]
    assert counted[0]["user_count"] == 1
    assert one["user_count"] == 1
    assert plain[0]["creator"]["id"] == str(world.guild.owner_id)


async def test_interested_users_page_by_user_id(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    room = world.guild.add_voice_channel("IOP room")
    event = world.guild.add_scheduled_event(
        "Group", start=sim.now() + timedelta(days=1), channel=room
    )
    for member in (world.carol, world.alice, world.mo):  # not in id order
        sim.rsvp(member, event)
    ids = sorted(m.id for m in (world.alice, world.mo, world.carol))
    path = f"{EVENTS.format(guild=world.guild.id)}/{event.id}/users"

    async def page(query: str) -> list[int]:
        status, _, users = await http("GET", f"{path}?{query}")
        assert status == 200
        return [int(u["user"]["id"]) for u in users]

    assert await page("") == ids
    assert await page("limit=2") == ids[:2]
    assert await page(f"after={ids[1]}") == ids[2:]
    assert await page(f"before={ids[2]}&limit=1") == [ids[1]]
    assert await page(f"before={ids[1]}&after={ids[1]}") == ids[:1]  # before wins
    _, _, with_member = await http("GET", f"{path}?with_member=true&limit=1")
    assert "member" in with_member[0]
    status, _, error = await http("GET", f"{path}?limit=101")
    assert (status, error["code"]) == (400, 50035)
    assert "limit" in error["errors"]


WEEKLY, DAILY = 2, 3
GUILD_ONLY = discord.PrivacyLevel.guild_only


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"count": 5}, ["count"]),
        ({"end": "2027-01-01T00:00:00+00:00"}, ["end"]),
        ({"by_year_day": [100]}, ["by_year_day"]),
        ({"frequency": DAILY, "by_weekday": [0, 2, 4]}, ["by_weekday"]),  # not a known set
        ({"by_weekday": [1, 3]}, ["by_weekday"]),  # weekly: one day only
        ({"interval": 3}, ["interval"]),
        ({"frequency": DAILY, "interval": 2, "by_weekday": [5, 6]}, ["interval"]),
        ({"by_n_weekday": [{"n": 2, "day": 1}]}, []),  # together with by_weekday
        (
            {"frequency": 1, "by_weekday": None, "by_n_weekday": [{"n": 6, "day": 1}]},
            ["by_n_weekday"],
        ),
        ({"frequency": 0, "by_weekday": None, "by_month": [7]}, ["by_month_day"]),
    ],
)
async def test_recurrence_rules_are_held_to_discords_limits(
    sim: Simulator,
    world: World,
    http: Callable[..., Any],
    changes: dict[str, Any],
    path: list[str],
) -> None:
    # discord.py 2.7.1 drops `recurrence_rule` from its payloads, so a raw request it is.
    start = sim.now() + timedelta(days=1)
    weekly = {"start": start.isoformat(), "frequency": WEEKLY, "interval": 1, "by_weekday": [1]}
    body = {
        "name": "Group",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "Community hall"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "recurrence_rule": weekly | changes,
    }
    status, _, error = await http("POST", EVENTS.format(guild=world.guild.id), body)
    assert (status, error["code"]) == (400, 50035)
    node = error["errors"]["recurrence_rule"]
    for key in path:
        node = node[key]
    assert node["_errors"]
    assert world.guild.scheduled_events == []


@pytest.mark.parametrize(
    "rule",
    [
        {"frequency": WEEKLY, "interval": 2, "by_weekday": [2]},  # every other Wednesday
        {"frequency": DAILY, "interval": 1, "by_weekday": [0, 1, 2, 3, 4]},  # weekdays
        {"frequency": 1, "interval": 1, "by_n_weekday": [{"n": 4, "day": 2}]},
        {"frequency": 0, "interval": 1, "by_month": [7], "by_month_day": [24]},
    ],
)
async def test_the_documented_recurrence_examples_are_accepted(
    sim: Simulator, world: World, http: Callable[..., Any], rule: dict[str, Any]
) -> None:
    start = sim.now() + timedelta(days=1)
    body = {
        "name": "Group",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "Community hall"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "recurrence_rule": {"start": start.isoformat(), **rule},
    }
    status, _, created = await http("POST", EVENTS.format(guild=world.guild.id), body)
    assert status == 200
    assert created["recurrence_rule"]["frequency"] == rule["frequency"]


async def test_stage_events_need_the_stage_moderator_permissions(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    stage = world.guild.add_voice_channel("Town hall", stage=True)
    client = make_client(guild_scheduled_events=True)
    async with sim.run_client(client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        channel = guild.get_channel(stage.id)
        assert isinstance(channel, discord.StageChannel)
        start = sim.now() + timedelta(days=1)
        with pytest.raises(discord.Forbidden):  # no Mute Members and Move Members
            await guild.create_scheduled_event(
                name="Town hall", start_time=start, channel=channel, privacy_level=GUILD_ONLY
            )
        world.guild.bot_role.permissions |= perms.MUTE_MEMBERS | perms.MOVE_MEMBERS
        event = await guild.create_scheduled_event(
            name="Town hall", start_time=start, channel=channel, privacy_level=GUILD_ONLY
        )
    assert event.entity_type is discord.EntityType.stage_instance


async def test_an_event_the_bot_starts_completes_once_its_channel_stays_empty(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    _, event = _voice_event(world, sim)
    client = make_client(guild_scheduled_events=True)
    async with sim.run_client(client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        cached = guild.get_scheduled_event(event.id)
        assert cached is not None
        await sim.advance(hours=1)
        await cached.start()
        await sim.advance(seconds=sim.automation.empty_channel_grace.total_seconds())
    assert _heard(sim) == [ACTIVE, COMPLETED]
