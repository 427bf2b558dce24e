"""Personal DM reminders, cancelling one session, moving a meeting, deleting it, and reminders
across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.simulator import Simulator
from tests.e2e.conftest import START, World, url_text
from tests.e2e.meeting_steps import dm_texts, live_events, reminder_posts, stamps

# Europe/London is on GMT (UTC+0) in early March 2026: 18:00 London is 18:00 UTC.
TODAY_18 = datetime(2026, 3, 1, 18, tzinfo=UTC)


async def create_daily(sim: Simulator, world: World, **extra: Any) -> None:
    reply = await sim.slash(
        world.mo,
        "meeting create",
        title="Evening peer meeting",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        location="Online, link pinned",
        **extra,
    )
    assert "is scheduled" in reply.content


async def test_subscribers_get_dms_at_their_own_offsets(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await create_daily(sim, world)
    alice = await sim.slash(
        world.alice, "meeting subscribe", meeting="evening peer meeting", before="30m"
    )
    assert "30m before" in alice.content
    await sim.slash(world.bob, "meeting subscribe", meeting="Evening peer meeting", before="2h,30m")
    mine = await sim.slash(world.bob, "meeting mine")
    assert "**Evening peer meeting**: 2h,30m before" in mine.content

    await sim.advance(hours=3, minutes=59)  # 15:59
    assert (sim.dms(world.alice), sim.dms(world.bob)) == ([], [])
    await sim.advance(minutes=1)  # 16:00: two hours ahead
    assert len(sim.dms(world.bob)) == 1
    assert sim.dms(world.alice) == []
    await sim.advance(hours=1, minutes=30)  # 17:30
    assert len(sim.dms(world.alice)) == 1
    assert len(sim.dms(world.bob)) == 2
    [text] = dm_texts(sim, world.alice)
    assert "Evening peer meeting" in text
    assert f"<t:{int(TODAY_18.timestamp())}:R>" in text

    await sim.slash(world.alice, "meeting unsubscribe", meeting="Evening peer meeting")
    await sim.advance(days=1)
    assert len(sim.dms(world.alice)) == 1  # no more after unsubscribing
    assert len(sim.dms(world.bob)) == 4


async def test_cancelling_one_session_tells_people_and_sends_no_reminders(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await create_daily(sim, world, channel=world.general, reminders="1h")
    await sim.slash(world.alice, "meeting subscribe", meeting="Evening peer meeting", before="1h")
    await sim.advance()
    [event] = live_events(world.guild)
    assert event.starts_at == TODAY_18

    reply = await sim.slash(
        world.mo,
        "meeting cancel",
        meeting="Evening peer meeting",
        date="2026-03-01",
        reason="Facilitator is unwell",
    )
    assert reply.ephemeral
    assert "1 subscriber will be told" in reply.content
    await sim.advance()
    notices = [m.text() for m in sim.messages(world.general) if "cancelled" in m.text()]
    assert len(notices) == 1
    assert "Facilitator is unwell" in notices[0]
    assert "cancelled" in dm_texts(sim, world.alice)[0]
    [event] = live_events(world.guild)
    assert event.starts_at == TODAY_18 + timedelta(days=1)  # moved to the next session

    await sim.advance(hours=8)  # through the cancelled session
    assert reminder_posts(sim, world.general, "Evening peer meeting") == []
    assert len(sim.dms(world.alice)) == 1  # only the notice
    await sim.advance(hours=22)  # 18:00 the next day
    assert len(reminder_posts(sim, world.general, "Evening peer meeting")) == 1
    assert len(sim.dms(world.alice)) == 2


async def test_moving_the_time_moves_the_event_and_tells_subscribers(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await create_daily(sim, world)
    await sim.slash(world.alice, "meeting subscribe", meeting="Evening peer meeting")
    await sim.advance()
    [event] = live_events(world.guild)

    reply = await sim.slash(world.mo, "meeting edit", meeting="Evening peer meeting", time="19:30")
    assert "moved" in reply.content
    await sim.advance()
    [moved] = live_events(world.guild)
    assert moved.id == event.id  # the same event, edited
    assert moved.starts_at == TODAY_18 + timedelta(hours=1, minutes=30)
    [notice] = dm_texts(sim, world.alice)
    assert "has moved" in notice
    assert stamps(notice)[0] == TODAY_18 + timedelta(hours=1, minutes=30)


async def test_deleting_a_meeting_removes_its_event_after_a_confirm(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    await create_daily(sim, world, channel=world.general)
    await sim.advance()
    [event] = live_events(world.guild)
    prompt = await sim.slash(world.mo, "meeting delete", meeting="Evening peer meeting")
    assert live_events(world.guild) == [event]  # nothing changes before the confirm
    done = await sim.click(world.mo, prompt, label="Delete")
    assert "is deleted" in done.content
    await sim.advance()
    assert event.deleted
    assert live_events(world.guild) == []
    listed = await sim.slash(world.alice, "meeting list")
    assert "No meetings" in listed.content
    await sim.advance(days=2)
    assert reminder_posts(sim, world.general, "Evening peer meeting") == []


async def test_a_restart_drops_stale_reminders_and_sends_due_ones_once(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    async with sim.run_bot(database_url=url, now=START):
        await create_daily(sim, world, channel=world.general, reminders="3h,1h")
        await sim.slash(
            world.mo,
            "meeting create",
            title="Late group",
            weekdays="daily",
            time="21:00",
            timezone="Europe/London",
            channel=world.general,
            location="Room 2",
            reminders="4h",
        )
        await sim.advance()
    # Down from noon until 18:10: the 18:00 session has started (its reminders are stale);
    # the 21:00 group's 17:00 reminder is late but its session is still ahead.
    async with sim.run_bot(database_url=url, now=TODAY_18 + timedelta(minutes=10)):
        await sim.advance(minutes=1)
        assert reminder_posts(sim, world.general, "Evening peer meeting") == []
        assert len(reminder_posts(sim, world.general, "Late group")) == 1
        await sim.advance(hours=2)
        assert len(reminder_posts(sim, world.general, "Late group")) == 1
        # The next day's 15:00 reminder of the 18:00 meeting goes out as usual.
        await sim.advance(hours=19)
        assert len(reminder_posts(sim, world.general, "Evening peer meeting")) == 1
