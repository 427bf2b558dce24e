"""Checking in as a member does it: the form, the direct command, kind errors, the crisis card
and /sos with its I'm OK now."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.simulator import SimulatorError
from tests.e2e.checkins_helpers import latest, pair, posts, set_up_alerts
from tests.e2e.conftest import World


async def test_the_form_records_a_check_in_with_a_trend(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    form = await sim.slash(alice, "checkin")
    assert form.modal is not None
    assert form.modal["title"] == "Daily check-in"
    first = await sim.submit_modal(alice, form, {"mood": "2", "craving": "3", "note": "long day"})
    assert first.ephemeral
    assert "mood **2** (low) and craving **3**" in first.content
    await sim.advance(days=1)
    direct = await sim.slash(alice, "checkin", mood=3, craving=1)
    assert direct.ephemeral
    assert "mood 3, up from 2 yesterday" in direct.content
    assert "let your mentor know" not in direct.content  # nothing asked, no rule fired


async def test_an_out_of_range_craving_offers_try_again_with_what_was_typed(
    world: World, bot: SteadyBot
) -> None:
    sim, alice = world.sim, world.alice
    form = await sim.slash(alice, "checkin")
    typed = {"mood": "4", "craving": "12", "note": "steady week", "support": "yes"}
    refused = await sim.submit_modal(alice, form, typed)
    assert refused.ephemeral
    assert "Craving is a whole number from 0" in refused.content
    again = await sim.click(alice, refused, label="Try again")
    assert again.modal is not None
    inputs = {c["component"]["custom_id"]: c["component"] for c in again.modal["components"]}
    assert inputs["craving"]["value"] == "12"
    assert inputs["note"]["value"] == "steady week"
    assert inputs["support"]["default"] is True
    assert [o["default"] for o in inputs["mood"]["options"]] == [False, False, False, True, False]
    history = await sim.slash(alice, "checkins history")
    assert "no check-ins" in history.content  # nothing was saved


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"mood": 0, "craving": 3}, "Mood is a whole number from 1"),
        ({"mood": 6, "craving": 3}, "Mood is a whole number from 1"),
        ({"mood": 3, "craving": -1}, "Craving is a whole number from 0"),
        ({"mood": 3, "craving": 11}, "Craving is a whole number from 0"),
        ({"mood": 3}, "Please give both `mood`"),
        ({"mood": 3, "craving": 2, "note": "x" * 1001}, "please keep it to 1,000"),
    ],
)
async def test_bad_direct_check_ins_are_refused_kindly_and_change_nothing(
    world: World, bot: SteadyBot, options: dict[str, Any], expected: str
) -> None:
    sim, alice = world.sim, world.alice
    reply = await sim.slash(alice, "checkin", **options)
    assert reply.ephemeral
    assert expected in reply.content
    history = await sim.slash(alice, "checkins history")
    assert "no check-ins" in history.content


async def test_a_note_with_mentions_is_stored_but_pings_nobody(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(alice, "checkins sharing", mentor="scores-and-notes")
    note = f"tell <@{world.dana.id}> and @everyone"
    reply = await sim.slash(alice, "checkin", mood=3, craving=2, note=note, support=True)
    assert reply.message is not None
    assert reply.message.mentions == []
    await sim.advance(seconds=5)
    dm = latest(sim.dms(bob))
    assert note in dm.content
    assert dm.mentions == []
    assert not dm.mention_everyone


async def test_crisis_language_shows_the_crisis_card_first_and_makes_the_alert_urgent(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await pair(database_url, world, alice, bob)
    await sim.slash(world.mo, "setup crisis-line add", name="City line", contact="555-0100")
    reply = await sim.slash(alice, "checkin", mood=3, craving=2, note="I want to die")
    assert reply.embeds[0]["title"] == "You can reach someone right now"
    assert "City line" in reply.embeds[0]["description"]
    assert "detected" not in reply.content.lower()
    await sim.advance(seconds=5)
    assert "**Urgent**" in latest(sim.dms(bob)).content
    # An idiom about the craving itself is not crisis language.
    calm = await sim.slash(bob, "checkin", mood=3, craving=2, note="this craving is killing me")
    assert calm.embeds == []


async def test_sos_is_urgent_and_im_ok_now_stands_it_down(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    alerts = await set_up_alerts(world)
    await pair(database_url, world, alice, bob)
    reply = await sim.slash(alice, "sos", note="please")
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == "You can reach someone right now"
    assert "I've let your mentor know" in reply.content
    await sim.advance(minutes=4, seconds=59)
    assert posts(sim, alerts.channel) == []
    await sim.advance(seconds=1)
    assert len(posts(sim, alerts.channel)) == 1  # urgent: on call at 5 minutes
    await sim.advance(minutes=5)
    assert len(posts(sim, alerts.channel)) == 2  # and moderators at 10
    ok = await sim.click(alice, reply, label="I'm OK now")
    assert "I've let everyone who was alerted know" in ok.content
    await sim.advance(seconds=5)
    assert "says they're OK now" in latest(sim.dms(bob)).content
    assert "**Stood down**" in latest(posts(sim, alerts.channel)).content
    twice = await sim.click(alice, reply, label="I'm OK now")
    assert "already closed" in twice.content
    # A second /sos while one is open joins it instead of paging everyone again.
    await sim.slash(alice, "sos")
    again = await sim.slash(alice, "sos")
    assert "already had a request open" in again.content


async def test_the_form_s_fields_follow_discord_s_rules(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    form = await sim.slash(alice, "checkin")
    with pytest.raises(SimulatorError, match="not an option"):
        await sim.submit_modal(alice, form, {"mood": "7", "craving": "3"})
