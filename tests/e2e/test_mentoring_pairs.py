"""Mentoring pairs over time: ending by either side, removal, the waitlist, the batch, pauses
and a restart with an offer pending across its expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db.models import MentorProfile
from bot.services.mentoring.candidates import bump_pool
from bot.simulator import SimMember, SimMessage, Simulator
from tests.e2e.conftest import START, World, url_text


def _offers(sim: Simulator, member: SimMember) -> list[SimMessage]:
    return [m for m in sim.dms(member) if "Would you be" in m.content]


async def _mentor(world: World, member: SimMember, **options: Any) -> None:
    await world.sim.slash(member, "mentor apply", kind="mentor", **options)
    await world.sim.slash(world.mo, "mentors approve", member=member)


async def _paired(world: World, mentee: SimMember, mentor: SimMember) -> None:
    sim = world.sim
    await _mentor(world, mentor)
    await sim.slash(mentee, "mentor request")
    await sim.advance(seconds=1)
    await sim.click(mentor, _offers(sim, mentor)[-1], label="Accept")
    await sim.advance(seconds=1)


async def test_a_mentor_ends_and_the_mentee_can_ask_again_with_one_click(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await _paired(world, alice, bob)
    prompt = await sim.slash(bob, "mentor end", member=alice)
    assert prompt.ephemeral
    done = await sim.click(bob, prompt, label="End pairing")
    assert "has ended" in done.content
    await sim.advance(seconds=1)
    notice = next(m for m in sim.dms(alice) if "ended your pairing" in m.content)
    assert "isn't about anything you did" in notice.content
    again = await sim.click(alice, notice, label="Find me a new mentor")
    assert again.ephemeral
    # Bob ended with Alice, so he is not asked again: she waits for someone new.
    assert "waiting" in again.content
    await _mentor(world, world.dana)
    await sim.advance(seconds=1)
    assert len(_offers(sim, world.dana)) == 1


async def test_a_mentee_ends_with_their_mentor_who_is_told_kindly(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await _paired(world, alice, bob)
    prompt = await sim.slash(alice, "mentor end")
    assert f"<@{bob.id}>" in prompt.content
    cancelled = await sim.click(alice, prompt, label="Cancel")
    assert "nothing was changed" in cancelled.content
    prompt = await sim.slash(alice, "mentor end")
    await sim.click(alice, prompt, label="End pairing")
    await sim.advance(seconds=1)
    assert any("A mentee of yours has ended" in m.content for m in sim.dms(bob))
    status = await sim.slash(alice, "mentor status")
    assert "no mentor or sponsor yet" in str(status.embeds)


async def test_removing_a_mentor_puts_their_mentee_first_in_line(world: World, bot: object) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await _paired(world, alice, bob)
    removed = await sim.slash(world.mo, "mentors remove", member=bob, reason="taking a break")
    assert "1 pairing(s) ended" in removed.content
    await sim.advance(seconds=1)
    assert any("taking a break" in m.content for m in sim.dms(bob))
    assert any("front of the list" in m.content for m in sim.dms(alice))
    await sim.slash(world.dana, "mentor request")  # after Alice in the queue
    await _mentor(world, world.mo)  # a moderator may mentor too
    await sim.advance(seconds=1)
    offer = _offers(sim, world.mo)[0]
    assert f"<@{alice.id}>" in offer.content


async def test_the_waitlist_is_served_on_approval_and_the_batch_finds_nothing_left(
    world: World, bot: object
) -> None:
    sim = world.sim
    for member in (world.alice, world.dana):
        waiting = await sim.slash(member, "mentor request")
        assert "`/crisis`" in waiting.content
    empty = await sim.slash(world.mo, "mentors match-waitlist")
    assert "Nobody on the waitlist (2)" in empty.content
    await sim.slash(world.bob, "mentor apply", kind="mentor", capacity=1)
    pending = await sim.slash(world.mo, "mentors pending")
    assert f"<@{world.bob.id}>" in pending.content
    await sim.slash(world.mo, "mentors approve", member=world.bob)
    await sim.advance(seconds=1)
    offers = _offers(sim, world.bob)
    assert len(offers) == 1
    assert f"<@{world.alice.id}>" in offers[0].content  # the front of the list first
    # Bob's only place is held by that offer, so the batch has nothing to add.
    again = await sim.slash(world.mo, "mentors match-waitlist")
    assert "Nobody on the waitlist (1)" in again.content


async def test_three_expiries_in_a_row_pause_a_mentor(world: World, bot: object) -> None:
    sim, bob = world.sim, world.bob
    await _mentor(world, bob)
    for member in (world.alice, world.dana, world.carol):
        await sim.slash(member, "mentor request")
        await sim.advance(hours=24, seconds=1)
    assert any("paused new offers" in m.content for m in sim.dms(bob))
    listing = await sim.slash(world.mo, "mentors list")
    assert "paused" in listing.content
    resumed = await sim.slash(bob, "mentor resume")
    assert "Welcome back" in resumed.content


async def test_an_offer_pending_across_a_restart_moves_on_when_it_expired_meanwhile(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    async with sim.run_bot(database_url=url, now=START):
        await _mentor(world, world.bob)
        await _mentor(world, world.dana)
        await sim.slash(world.alice, "mentor request")
        await sim.advance(seconds=1)
    first = world.bob if _offers(sim, world.bob) else world.dana
    second = world.dana if first is world.bob else world.bob
    async with sim.run_bot(database_url=url, now=START + timedelta(hours=30)):
        await sim.advance(minutes=1)
        assert len(_offers(sim, second)) == 1
        lapsed = _offers(sim, first)[0]
        assert "This offer expired" in lapsed.content
        assert all(button.get("disabled") for button in lapsed.components[0]["components"])


async def test_assigning_directly_checks_the_mentor_unless_overridden(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    themselves = await sim.slash(world.mo, "mentors assign", mentee=alice, mentor=alice)
    assert "own mentor" in themselves.content
    unapproved = await sim.slash(world.mo, "mentors assign", mentee=alice, mentor=bob)
    assert "override:True" in unapproved.content
    done = await sim.slash(world.mo, "mentors assign", mentee=alice, mentor=bob, override=True)
    assert "are paired" in done.content
    await sim.advance(seconds=1)
    assert any("paired you with" in m.content for m in sim.dms(alice))


async def _approved_without_offers(bot: SteadyBot, world: World, *mentors: SimMember) -> None:
    """Mentors approved while the bot was not serving the waitlist (straight in the database,
    as after a migration from another tool): free places the batch can fill."""
    for mentor in mentors:
        await world.sim.slash(mentor, "mentor apply", kind="mentor", capacity=1)
    async with bot.database.transaction() as session:
        for profile in (await session.scalars(select(MentorProfile))).all():
            profile.state = "approved"
        await bump_pool(session, world.guild.id, START)


async def test_the_batch_previews_the_waitlist_and_sends_offers_on_confirm(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    for member in (world.alice, world.dana):
        await sim.slash(member, "mentor request")
    await _approved_without_offers(bot, world, world.bob, world.mo)
    preview = await sim.slash(world.mo, "mentors match-waitlist")
    assert preview.ephemeral
    assert "**2** of 2 waiting requests matched to 2 free places" in str(preview.embeds)
    await sim.advance(seconds=1)
    assert _offers(sim, world.bob) == []  # a preview changes nothing
    cancelled = await sim.click(world.mo, preview, label="Cancel")
    assert "nothing was changed" in cancelled.content

    preview = await sim.slash(world.mo, "mentors match-waitlist")
    sent = await sim.click(world.mo, preview, label="Send offers")
    assert "Sent 2 offers" in sent.content
    await sim.advance(seconds=1)
    assert len(_offers(sim, world.bob)) == 1
    assert len(_offers(sim, world.mo)) == 1
    again = await sim.slash(world.mo, "mentors match-waitlist")
    assert "Nobody on the waitlist (0)" in again.content
