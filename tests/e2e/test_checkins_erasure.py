"""A member with an open alert erases their data: every copy of the alert already sent is
edited to a line naming nobody, no later step fires, and nothing of theirs is left."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db.models import OutboxMessage
from bot.simulator import SimMember
from tests.e2e.checkins_helpers import latest, pair, posts, set_up_alerts
from tests.e2e.conftest import World
from tests.privacy_search import tables_holding

CLOSED = "This alert was closed."
NOTE = "please call me tonight"


async def _erase(world: World, member: SimMember) -> None:
    prompt = await world.sim.slash(member, "privacy delete")
    done = await world.sim.click(member, prompt, label="Delete everything")
    assert "Steady removed" in done.content


async def _stored_words(bot: SteadyBot) -> str:
    async with bot.database.read() as session:
        payloads = (await session.scalars(select(OutboxMessage.payload))).all()
    return json.dumps(payloads)


async def test_erasing_a_member_closes_every_copy_of_their_alert_and_stops_the_chain(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkins sharing", mentor="scores-and-notes")
    await sim.slash(alice, "checkin", mood=3, craving=2, note=NOTE, support=True)
    await sim.advance(minutes=15)
    mentor_copy, on_call_post = latest(sim.dms(bob)), latest(posts(sim, alerts.channel))
    assert NOTE in mentor_copy.content
    assert f"<@{alice.id}>" in on_call_post.content

    await _erase(world, alice)
    await sim.advance(seconds=5)
    [dm] = [m for m in sim.dms(bob) if m.id == mentor_copy.id]
    [post] = posts(sim, alerts.channel)
    for copy in (dm, post):
        assert copy.content == CLOSED
        assert copy.components == []
        assert copy.edited_at is not None
    await sim.advance(hours=1)
    assert len(posts(sim, alerts.channel)) == 1, "the moderators' step never fires"
    # The closed copy, then the kind word that the pairing ended: nothing else, nobody named.
    closed, ended = sim.dms(bob)
    assert closed.content == CLOSED
    assert "pairings in this server has ended" in ended.content
    assert not any(str(alice.id) in m.content for m in sim.dms(bob))

    assert await tables_holding(bot.database, alice.id) == {}
    words = await _stored_words(bot)
    assert NOTE not in words
    assert str(alice.id) not in words


async def test_a_copy_not_sent_yet_when_the_member_erases_is_never_sent(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    bob.dms_open = False  # the DM waits on retries; step 1 starts once it is refused
    await sim.slash(alice, "checkin", mood=3, craving=2, note=NOTE, support=True)
    await _erase(world, alice)
    await sim.advance(hours=1)
    assert posts(sim, alerts.channel) == []
    assert await tables_holding(bot.database, alice.id) == {}
    assert NOTE not in await _stored_words(bot)


async def test_notices_about_the_member_to_their_supporter_are_closed_too(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkin", mood=3, craving=2, support=True)
    await sim.advance(seconds=5)
    await sim.click(bob, latest(sim.dms(bob)), label="I'm reaching out")
    await sim.slash(alice, "sos", note=NOTE)  # joins the claimed alert: Bob is told
    await sim.advance(seconds=5)
    assert "asked again" in latest(sim.dms(bob)).content

    await _erase(world, alice)
    await sim.advance(seconds=5)
    *about_alice, ended = sim.dms(bob)
    assert [m.content for m in about_alice] == [CLOSED, CLOSED]
    assert "pairings in this server has ended" in ended.content
    assert await tables_holding(bot.database, alice.id) == {}
    assert str(alice.id) not in await _stored_words(bot)


async def test_a_quiet_spell_nudge_to_the_mentor_is_withdrawn_when_the_member_erases(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkins schedule", time="20:00")
    await sim.advance(days=3, hours=8, minutes=1)  # three prompts missed: Bob is nudged
    [nudge] = sim.dms(bob)
    assert f"<@{alice.id}>" in nudge.content

    await _erase(world, alice)
    await sim.advance(seconds=5)
    withdrawn, _ended = sim.dms(bob)
    assert withdrawn.content == "This message was withdrawn."
    assert await tables_holding(bot.database, alice.id) == {}
    assert str(alice.id) not in await _stored_words(bot)
