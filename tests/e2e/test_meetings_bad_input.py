"""Bad input to /meeting: a clear, kind, ephemeral error, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import SteadyBot
from bot.simulator import Simulator
from tests.e2e.conftest import World
from tests.e2e.meeting_steps import live_events

GOOD: dict[str, Any] = {
    "title": "Tuesday group",
    "weekdays": "tue",
    "time": "19:00",
    "timezone": "America/New_York",
    "location": "Room 4",
}


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"weekdays": "mon,funday"}, "`funday` isn't a day I know"),
        ({"time": "7pm"}, "HH:MM"),
        ({"time": "25:00"}, "HH:MM"),
        ({"timezone": "Mars/Olympus_Mons"}, "as a timezone"),
        ({"duration": 5}, "15 to 480 minutes"),
        ({"duration": 481}, "15 to 480 minutes"),
        ({"starts": "2026-05-01", "ends": "2026-04-01"}, "is before `starts`"),
        ({"starts": "2026-13-01"}, "YYYY-MM-DD"),
        ({"reminders": "5x"}, "isn't a reminder time"),
        ({"reminders": "8d"}, "more than 7 days"),
        ({"title": "Group with <@123456789012345678>"}, "can't contain mentions"),
        ({"title": "@everyone group"}, "can't contain mentions"),
        ({"title": "x" * 101}, "100 characters"),
    ],
)
async def test_bad_create_options_are_refused_and_nothing_is_made(
    sim: Simulator, world: World, bot: SteadyBot, changes: dict[str, Any], said: str
) -> None:
    reply = await sim.slash(world.mo, "meeting create", **{**GOOD, **changes})
    assert reply.ephemeral
    assert said in reply.content
    await sim.advance()
    listed = await sim.slash(world.alice, "meeting list")
    assert "No meetings" in listed.content
    assert live_events(world.guild) == []


async def test_where_it_happens_must_be_one_voice_channel_or_a_location(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    room = world.guild.add_voice_channel("Group room")
    both = await sim.slash(world.mo, "meeting create", **GOOD, voice=room)
    assert "not both" in both.content
    without_location = {k: v for k, v in GOOD.items() if k != "location"}
    text = await sim.slash(world.mo, "meeting create", **without_location, voice=world.general)
    assert text.ephemeral
    assert "voice or stage channel" in text.content
    listed = await sim.slash(world.alice, "meeting list")
    assert "No meetings" in listed.content


async def test_members_cannot_create_or_edit_even_past_discords_permissions(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    made = await sim.slash(world.alice, "meeting create", **GOOD, bypass_permissions=True)
    assert made.ephemeral
    assert "for moderators" in made.content
    await sim.slash(world.mo, "meeting create", **GOOD)
    edited = await sim.slash(
        world.alice, "meeting edit", meeting="Tuesday group", time="08:00", bypass_permissions=True
    )
    assert "for moderators" in edited.content
    cancelled = await sim.slash(
        world.alice,
        "meeting cancel",
        meeting="Tuesday group",
        date="2026-03-03",
        bypass_permissions=True,
    )
    assert "for moderators" in cancelled.content
    info = await sim.slash(world.alice, "meeting info", meeting="Tuesday group")
    assert "19:00" in str(info.embeds)


async def test_unknown_meetings_and_dates_without_a_session_are_refused(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await sim.slash(world.mo, "meeting create", **GOOD)
    before = await sim.slash(world.alice, "meeting info", meeting="Tuesday group")
    unknown: list[tuple[str, dict[str, Any]]] = [
        ("meeting info", {"meeting": "Thursday group"}),
        ("meeting subscribe", {"meeting": "Thursday group"}),
        ("meeting edit", {"meeting": "Thursday group", "time": "20:00"}),
        ("meeting delete", {"meeting": "Thursday group"}),
    ]
    for command, options in unknown:
        user = world.mo if command in ("meeting edit", "meeting delete") else world.alice
        reply = await sim.slash(user, command, **options)
        assert reply.ephemeral
        assert "couldn't find a meeting called `Thursday group`" in reply.content
    wednesday = await sim.slash(
        world.mo, "meeting cancel", meeting="Tuesday group", date="2026-03-04"
    )
    assert wednesday.ephemeral
    assert "has no session on Wednesday 2026-03-04" in wednesday.content
    bad_offset = await sim.slash(
        world.alice, "meeting subscribe", meeting="Tuesday group", before="soon"
    )
    assert "isn't a reminder time" in bad_offset.content
    assert (await sim.slash(world.alice, "meeting mine")).content.startswith("You haven't")
    after = await sim.slash(world.alice, "meeting info", meeting="Tuesday group")
    assert after.embeds == before.embeds  # the same sessions: nothing was cancelled


async def test_autocomplete_offers_meetings_by_title(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await sim.slash(world.mo, "meeting create", **GOOD)
    await sim.slash(world.mo, "meeting create", **{**GOOD, "title": "Family support circle"})
    choices = await sim.autocomplete(world.alice, "meeting info", "meeting", "circ")
    assert [c["name"] for c in choices] == ["Family support circle"]
