"""Discord's side: Interested on the event counts as Going, 19:00 local across DST in two zones,
the calendar file, and a server where Steady may not create events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.simulator import Simulator
from bot.simulator import permissions as perms
from tests.e2e.conftest import START, World, url_text
from tests.e2e.meeting_steps import dm_texts, live_events, reminder_posts, rsvp_line, settle, stamps


async def test_interest_in_the_event_counts_as_going(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await sim.slash(
        world.mo,
        "meeting create",
        title="Peer circle",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        location="Library",
        channel=world.general,
        reminders="2h",
    )
    await sim.advance()
    [event] = live_events(world.guild)
    sim.rsvp(world.alice, event)
    sim.rsvp(world.bob, event)
    await settle(sim, bot, world.mo)
    await sim.advance(hours=4)  # 16:00: the reminder counts them
    [post] = reminder_posts(sim, world.general, "Peer circle")
    assert rsvp_line(post) == "Going: 2 · Can't make it: 0"
    sim.unrsvp(world.bob, event)
    await settle(sim, bot, world.mo)
    await sim.advance()
    assert rsvp_line(post) == "Going: 1 · Can't make it: 0"  # edited in place


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # New York: EST (UTC-5) until 8 March 2026, then EDT (UTC-4).
        (
            "America/New_York",
            datetime(2026, 3, 7, 0, tzinfo=UTC),
            datetime(2026, 3, 8, 23, tzinfo=UTC),
        ),
        # London: GMT until 29 March 2026, then BST (UTC+1).
        (
            "Europe/London",
            datetime(2026, 3, 27, 19, tzinfo=UTC),
            datetime(2026, 3, 29, 18, tzinfo=UTC),
        ),
    ],
)
async def test_nineteen_hundred_stays_local_across_dst(
    sim: Simulator, world: World, bot: SteadyBot, zone: str, before: datetime, after: datetime
) -> None:
    starts = (before - timedelta(days=1)).date().isoformat()
    reply = await sim.slash(
        world.mo,
        "meeting create",
        title="Weekend group",
        weekdays="fri,sun",
        time="19:00",
        timezone=zone,
        location="Hall",
        starts=starts,
    )
    shown = stamps(reply.content)
    assert before in shown
    assert after in shown
    assert shown[shown.index(before) + 1] == after  # the next one, across the change


async def test_the_calendar_file_has_the_rule_its_zone_and_cancellations(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await sim.slash(
        world.mo,
        "meeting create",
        title="Tuesday group",
        weekdays="tue,thu",
        time="19:00",
        timezone="America/New_York",
        location="Room 4",
    )
    await sim.slash(world.mo, "meeting cancel", meeting="Tuesday group", date="2026-03-05")
    reply = await sim.slash(world.alice, "meeting calendar")
    [file] = reply.files
    assert file.filename == "meetings.ics"
    calendar = Calendar.from_ical(file.data)
    [found] = calendar.walk("VEVENT")
    event: Any = found  # icalendar's property values are a wide union
    assert str(event["summary"]) == "Tuesday group"
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (19, 0, "America/New_York")
    assert event["rrule"]["BYDAY"] == ["TU", "TH"]
    exdates = [d.dt for d in event["exdate"].dts]
    assert [(d.date().isoformat(), d.hour, str(d.tzinfo)) for d in exdates] == [
        ("2026-03-05", 19, "America/New_York")
    ]
    assert calendar.walk("VTIMEZONE")


@pytest.fixture
async def no_events_sim() -> AsyncIterator[Simulator]:
    granted = perms.BOT_DEFAULT & ~perms.CREATE_EVENTS & ~perms.MANAGE_EVENTS
    async with Simulator(bot_permissions=granted) as simulator:
        yield simulator


async def test_without_create_events_the_meeting_works_and_the_moderator_is_told_once(
    no_events_sim: Simulator, database_url: URL
) -> None:
    sim = no_events_sim
    guild = sim.add_guild("Recovery Circle")
    mods = guild.add_role("Moderators", manage_guild=True)
    mo = guild.add_member("mo", roles=[mods])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with sim.run_bot(database_url=url_text(database_url), now=START):
        for title in ("Group one", "Group two"):
            reply = await sim.slash(
                mo,
                "meeting create",
                title=title,
                weekdays="daily",
                time="18:00",
                timezone="Europe/London",
                location="Hall",
                channel=general,
                reminders="1h",
            )
            assert "is scheduled" in reply.content
        await sim.slash(alice, "meeting subscribe", meeting="Group one", before="30m")
        await sim.advance(hours=6)
        assert guild.scheduled_events == []
        [note] = dm_texts(sim, mo)  # once, not once per meeting or per session
        assert "Create Events" in note
        assert len(reminder_posts(sim, general, "Group one")) == 1  # everything else works
        assert len(sim.dms(alice)) == 1
        await sim.advance(days=1)
        assert len(sim.dms(mo)) == 1


async def test_a_stage_meeting_says_which_stage_permissions_are_missing(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    stage = world.guild.add_voice_channel("Stage", stage=True)
    reply = await sim.slash(
        world.mo,
        "meeting create",
        title="Speaker meeting",
        weekdays="sun",
        time="19:00",
        timezone="Europe/London",
        voice=stage,
    )
    assert "is scheduled" in reply.content
    await sim.advance()
    # The bot's default role has no Mute or Move Members, which a stage event needs.
    assert live_events(world.guild) == []
    [note] = dm_texts(sim, world.mo)
    assert "Mute Members" in note
    info = await sim.slash(world.alice, "meeting info", meeting="Speaker meeting")
    assert f"<#{stage.id}>" in str(info.embeds)


async def test_a_stage_meeting_is_a_stage_event_when_the_bot_may_make_one(
    database_url: URL,
) -> None:
    granted = perms.BOT_DEFAULT | perms.MUTE_MEMBERS | perms.MOVE_MEMBERS
    async with Simulator(bot_permissions=granted) as sim:
        guild = sim.add_guild("Recovery Circle")
        mo = guild.add_member("mo", roles=[guild.add_role("Moderators", manage_guild=True)])
        stage = guild.add_voice_channel("Stage", stage=True)
        async with sim.run_bot(database_url=url_text(database_url), now=START):
            await sim.slash(
                mo,
                "meeting create",
                title="Speaker meeting",
                weekdays="sun",
                time="19:00",
                timezone="Europe/London",
                voice=stage,
            )
            await sim.advance()
            [event] = live_events(guild)
            assert (event.entity_type, event.channel_id) == (1, stage.id)
            assert event.starts_at == datetime(2026, 3, 1, 19, tzinfo=UTC)
