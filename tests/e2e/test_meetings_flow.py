"""A weekly group from creation to its next week: Discord's event, reminders with RSVP buttons
whose counts update in place, and the event moving on when a session ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import SteadyBot
from bot.simulator import Simulator
from tests.e2e.conftest import World
from tests.e2e.meeting_steps import live_events, reminder_posts, rsvp_line, stamps

# START is Sunday 2026-03-01 12:00 UTC. Tuesday 19:00 in New York is 00:00 UTC on Wednesday
# while EST lasts; New York moves to EDT on 2026-03-08, so the next Tuesday is 23:00 UTC.
FIRST = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
SECOND = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


async def test_a_weekly_group_is_mirrored_reminded_and_moves_on(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    reply = await sim.slash(
        world.mo,
        "meeting create",
        title="Tuesday evening group",
        weekdays="tue",
        time="19:00",
        timezone="America/New_York",
        channel=world.general,
        location="Room 4, Community Centre",
        reminders="24h,1h",
    )
    assert reply.ephemeral
    assert stamps(reply.content) == [
        FIRST + timedelta(days=7 * i) - (timedelta(hours=1) if i else timedelta(0))
        for i in range(5)
    ]
    await sim.advance()
    [event] = live_events(world.guild)
    assert (event.name, event.starts_at, event.location) == (
        "Tuesday evening group",
        FIRST,
        "Room 4, Community Centre",
    )
    assert event.ends_at == FIRST + timedelta(hours=1)

    await sim.advance(hours=35, minutes=59)  # just before 24 hours ahead
    assert reminder_posts(sim, world.general, "Tuesday evening group") == []
    await sim.advance(minutes=1)
    [post] = reminder_posts(sim, world.general, "Tuesday evening group")
    assert f"<t:{int(FIRST.timestamp())}:R>" in post.embeds[0]["description"]
    assert "Room 4" in post.embeds[0]["description"]
    assert rsvp_line(post) == "Going: 0 · Can't make it: 0"

    going = await sim.click(world.alice, post, label="Going")
    assert going.ephemeral
    assert "going" in going.content
    await sim.click(world.bob, post, label="Can't make it")
    await sim.advance()
    assert rsvp_line(post) == "Going: 1 · Can't make it: 1"  # the same post, edited in place

    await sim.advance(hours=23)  # one hour ahead: the second reminder
    posts = reminder_posts(sim, world.general, "Tuesday evening group")
    assert len(posts) == 2
    assert rsvp_line(posts[1]) == "Going: 1 · Can't make it: 1"
    await sim.click(world.dana, posts[1], label="Going")
    await sim.advance()
    assert [rsvp_line(p) for p in posts] == ["Going: 2 · Can't make it: 1"] * 2

    await sim.advance(hours=2)  # the session has ended: the event moves to next week
    [event] = live_events(world.guild)
    assert event.starts_at == SECOND  # still 19:00 in New York, after the DST change
