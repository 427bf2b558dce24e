"""/stats as a moderator sees it: how long support alerts waited for a person, and how many of
the members who said Going came to a meeting; figures resting on fewer than 5 are withheld."""

from __future__ import annotations

import json

from bot.app import SteadyBot
from bot.simulator import SimMember, SimMessage
from tests.e2e.checkins_helpers import posts, set_up_alerts
from tests.e2e.conftest import World
from tests.e2e.meeting_steps import live_events, settle

WITHHELD = "not shown (fewer than 5 to go on)"


async def stats_text(world: World) -> str:
    reply = await world.sim.slash(world.mo, "stats")
    assert reply.ephemeral
    return json.dumps(reply.embeds)


async def test_time_to_a_human_claim_shows_only_once_five_alerts_were_claimed(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    members = [world.guild.add_member(f"member{n}") for n in range(5)]
    alerts = await set_up_alerts(world)
    for member in members:
        await sim.slash(member, "checkin", mood=3, craving=2, support=True)
    await sim.advance(minutes=15)  # nobody has a mentor: each alert reaches on-call

    def on_call_post(member: SimMember) -> SimMessage:
        about = [post for post in posts(sim, alerts.channel) if f"<@{member.id}>" in post.content]
        assert about, f"no alert post about {member.name}"
        return about[0]

    # Claimed 15, 20, 25 and 30 minutes after the check-ins.
    for member in members[:4]:
        await sim.click(alerts.erin, on_call_post(member), label="I'm reaching out")
        await sim.advance(minutes=5)
    four = await stats_text(world)
    assert "check-ins: **5**" in four
    assert "support alerts: **5**" in four
    assert "alerts claimed by a person: **fewer than 5**" in four
    assert f"median time to a person's claim: **{WITHHELD}**" in four
    assert f"95th percentile time to a claim: **{WITHHELD}**" in four

    await sim.click(alerts.erin, on_call_post(members[4]), label="I'm reaching out")  # 35 min
    five = await stats_text(world)
    assert "alerts claimed by a person: **5**" in five
    assert "median time to a person's claim: **25 min**" in five
    # The 95th percentile of 15, 20, 25, 30, 35 minutes, within the waits seen.
    assert "95th percentile time to a claim: **34 min**" in five


async def test_attendance_rate_is_the_share_of_members_who_said_going_and_came(
    world: World, bot: SteadyBot
) -> None:
    sim, guild = world.sim, world.guild
    room = guild.add_voice_channel("Group room")
    going = [world.alice, world.bob, world.dana, *(guild.add_member(f"m{n}") for n in range(2))]
    await sim.slash(
        world.mo,
        "meeting create",
        title="Voice group",
        weekdays="daily",
        time="18:00",
        timezone="Europe/London",
        voice=room,
    )
    await sim.advance()
    [event] = live_events(guild)
    for member in going:
        sim.rsvp(member, event)
    await settle(sim, bot, world.mo)
    before = await stats_text(world)
    assert "sessions held: **fewer than 5**" in before
    assert f"attendance rate (of members who said Going): **{WITHHELD}**" in before

    await sim.advance(hours=6, minutes=5)  # 18:05: three of the five come, and one who didn't say
    walk_in = world.mo
    for member in [*going[:3], walk_in]:
        sim.join_voice(member, room)
    await settle(sim, bot, world.mo)
    await sim.advance(minutes=20)
    for member in [*going[:3], walk_in]:
        sim.leave_voice(member)
    await settle(sim, bot, world.mo)
    await sim.advance(hours=2)  # the session has ended and been counted

    after = await stats_text(world)
    assert "sessions held: **fewer than 5**" in after
    assert "attendances: **fewer than 5**" in after  # four, the walk-in included
    assert "attendance rate (of members who said Going): **60%**" in after
