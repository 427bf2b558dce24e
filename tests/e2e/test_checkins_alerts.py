"""Alerts as mentors, on-call supporters, moderators and members see them: who is told, when
the chain escalates, and how a claim stops it everywhere at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db import Database
from bot.db.models import AuditLog
from tests.e2e.checkins_helpers import latest, pair, posts, set_up_alerts
from tests.e2e.conftest import World


async def test_a_support_checkin_reaches_the_mentor_by_dm(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    reply = await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    assert reply.ephemeral
    assert "I've let your mentor know" in reply.content
    await sim.advance(seconds=5)
    dm = latest(sim.dms(bob))
    assert f"<@{alice.id}>" in dm.content
    assert "asked for support" in dm.content
    assert dm.mentions == []
    labels = [c["label"] for row in dm.components for c in row["components"]]
    assert labels == ["I'm reaching out", "Resolved"]
    assert "mood 3" not in dm.content  # sharing is none by default


async def test_unclaimed_alerts_ping_on_call_at_15_minutes_and_moderators_at_30_each_once(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(minutes=14, seconds=59)
    assert posts(sim, alerts.channel) == []
    await sim.advance(seconds=1)
    [on_call] = posts(sim, alerts.channel)
    assert on_call.mention_roles == [alerts.on_call.id]
    assert alice.id not in on_call.mentions  # named, never pinged
    assert "mood 3" not in on_call.content  # alerts-channel posts never carry scores
    assert "craving 2" not in on_call.content
    await sim.advance(minutes=14, seconds=59)
    assert len(posts(sim, alerts.channel)) == 1
    await sim.advance(seconds=1)
    _on_call, moderators = posts(sim, alerts.channel)
    assert moderators.mention_roles == [alerts.mod_team.id]
    await sim.advance(hours=3)
    assert len(posts(sim, alerts.channel)) == 2
    assert len(sim.dms(bob)) == 1


async def test_a_claim_stops_the_chain_edits_every_copy_and_tells_the_member(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(minutes=15)
    post = latest(posts(sim, alerts.channel))
    answer = await sim.click(alerts.erin, post, label="I'm reaching out")
    assert answer.ephemeral
    assert f"<@{alice.id}> has been told" in answer.content
    await sim.advance(seconds=5)
    claimed = f"<@{alerts.erin.id}> is reaching out"
    mentor_copy = latest(sim.dms(bob))
    assert claimed in mentor_copy.content
    assert mentor_copy.edited_at is not None
    assert claimed in latest(posts(sim, alerts.channel)).content
    assert f"<@{alerts.erin.id}> is reaching out to you" in latest(sim.dms(alice)).content
    await sim.advance(hours=1)
    assert len(posts(sim, alerts.channel)) == 1  # moderators were never pinged
    # A second claim is told who has it; Resolved closes it and edits every copy.
    again = await sim.click(bob, mentor_copy, label="Resolved")
    assert again.content == "Marked resolved. Thank you for being there."
    await sim.advance(seconds=5)
    assert "**Resolved**" in latest(sim.dms(bob)).content
    assert "**Resolved**" in latest(posts(sim, alerts.channel)).content
    assert latest(posts(sim, alerts.channel)).components == []


async def test_a_second_claim_is_told_who_already_has_it(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(minutes=15)
    dm = latest(sim.dms(bob))
    post = latest(posts(sim, alerts.channel))
    await sim.click(bob, dm, label="I'm reaching out")
    second = await sim.click(world.mo, post, label="I'm reaching out")
    assert second.content.startswith(f"<@{bob.id}> is already reaching out")
    resolved = await sim.click(world.mo, post, label="Resolved")
    assert resolved.content == "Marked resolved. Thank you for being there."
    database = Database.connect(database_url)
    try:
        async with database.read() as session:
            audit = (await session.scalars(select(AuditLog))).all()
    finally:
        await database.dispose()
    assert [
        (a.actor_id, a.action, a.target_id) for a in audit if a.action.startswith("checkins.alert")
    ] == [(world.mo.id, "checkins.alert.resolve", alice.id)]


async def test_a_bystander_is_refused_kindly_and_nothing_changes(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice = world.sim, world.alice
    alerts = await set_up_alerts(world)
    alerts.channel.set_permissions(world.helpers, view_channel=True)
    await sim.advance(seconds=1)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)  # no mentor: step 1 now
    await sim.advance(seconds=5)
    post = latest(posts(sim, alerts.channel))
    refused = await sim.click(world.dana, post, label="I'm reaching out")
    assert refused.ephemeral
    assert "Thank you for caring" in refused.content
    await sim.advance(seconds=5)
    assert "Nobody has said they're reaching out yet" in latest(posts(sim, alerts.channel)).content
    assert sim.dms(alice) == []


async def test_closed_mentor_dms_start_step_one_at_once(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice = world.sim, world.alice
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, world.carol)  # carol's DMs are closed
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(seconds=30)
    [post] = posts(sim, alerts.channel)
    assert post.mention_roles == [alerts.on_call.id]
    await sim.advance(minutes=20)
    assert len(posts(sim, alerts.channel)) == 1  # step 1 fired once, not again at 15 minutes


async def test_no_mentor_starts_step_one_at_once(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    alerts = await set_up_alerts(world)
    reply = await sim.slash(alice, "checkin", mood=1, craving=2)  # mood at the alert threshold
    assert "I've let the on-call supporters know" in reply.content
    await sim.advance(seconds=5)
    [post] = posts(sim, alerts.channel)
    assert "low mood" in post.content
    assert post.mention_roles == [alerts.on_call.id]


async def test_without_a_mentor_or_alerts_channel_the_member_is_told_honestly(
    world: World, bot: SteadyBot
) -> None:
    reply = await world.sim.slash(world.alice, "checkin", mood=3, craving=9)
    assert "No supporter is set up on this server yet" in reply.content
    assert reply.embeds[0]["title"] == "You can reach someone right now"
    assert "988" in reply.embeds[0]["description"]


async def test_asking_again_joins_the_open_alert(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(minutes=5)
    again = await sim.slash(alice, "checkin", mood=2, craving=3, support=True)
    assert "already had a request open" in again.content
    await sim.advance(seconds=5)
    assert len(sim.dms(bob)) == 1
    assert "They asked again at" in latest(sim.dms(bob)).content
