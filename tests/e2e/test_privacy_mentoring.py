"""Erasure and mentoring's timed work: an offer waiting for an answer when one side erases
their data never expires afterwards, and nothing more reaches the member who erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import SteadyBot
from bot.db.models import DueWork
from bot.db.models.scheduling import PENDING
from bot.simulator import SimMember, SimMessage, Simulator
from tests.e2e.conftest import World
from tests.privacy_search import tables_holding

HOURS: dict[str, Any] = {"offer-hours": 2}


def offers(sim: Simulator, member: SimMember) -> list[SimMessage]:
    return [m for m in sim.dms(member) if m.components]


async def erase(sim: Simulator, member: SimMember) -> str:
    done = await sim.click(
        member, await sim.slash(member, "privacy delete"), label="Delete everything"
    )
    return done.content


async def offered(world: World, member: SimMember, mentor: SimMember, **request: Any) -> None:
    """`mentor` approved, and `member`'s request offered to them."""
    sim = world.sim
    await sim.slash(world.mo, "setup mentoring", **HOURS)
    await sim.slash(mentor, "mentor apply", kind="mentor")
    await sim.slash(world.mo, "mentors approve", member=mentor)
    await sim.slash(member, "mentor request", **request)
    await sim.advance(seconds=1)


async def pending_mentoring_work(bot: SteadyBot) -> list[str]:
    async with bot.database.read() as session:
        kinds = await session.scalars(
            select(DueWork.kind).where(
                DueWork.state == PENDING, DueWork.kind.startswith("mentoring.")
            )
        )
        return list(kinds.all())


async def test_a_mentor_who_erases_with_an_offer_waiting_hears_nothing_more(
    world: World, bot: SteadyBot
) -> None:
    sim, alice, bob, guild = world.sim, world.alice, world.bob, world.guild
    reviews = guild.add_text_channel("mentor-reviews")
    reviews.set_permissions(guild.everyone, view_channel=False)
    reviews.set_permissions(world.mods, view_channel=True)
    reviews.set_permissions(guild.bot_role, view_channel=True)
    await sim.advance(seconds=1)
    options: dict[str, Any] = {**HOURS, "review-channel": reviews}
    await sim.slash(world.mo, "setup mentoring", **options)
    await sim.slash(alice, "mentor apply", kind="mentor")
    await sim.advance(seconds=1)
    [review] = sim.messages(reviews)
    assert f"<@{alice.id}>" in review.content
    await sim.slash(world.mo, "mentors approve", member=alice)
    await sim.slash(bob, "mentor request")
    await sim.advance(seconds=1)
    assert len(offers(sim, alice)) == 1
    assert await pending_mentoring_work(bot) == ["mentoring.offer_expiry"]

    assert "Steady removed" in await erase(sim, alice)
    assert await pending_mentoring_work(bot) == []
    heard = len(sim.dms(alice))
    await sim.advance(hours=3)  # past the offer's expiry

    assert len(sim.dms(alice)) == heard  # no "this offer expired", nothing at all
    # The moderators' review post of her application no longer names her.
    assert "no longer here" in review.content
    assert f"<@{alice.id}>" not in review.content
    assert await tables_holding(bot.database, alice.id) == {}
    status = await sim.slash(bob, "mentor status")
    assert "waiting" in status.text().lower()


async def test_a_member_who_erases_while_their_request_is_offered_is_never_offered_again(
    world: World, bot: SteadyBot
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await offered(world, alice, bob, note="I work nights")
    [offer] = offers(sim, bob)
    assert "I work nights" in offer.content

    assert "Steady removed" in await erase(sim, alice)
    await sim.advance(seconds=1)
    # The mentor's copy no longer names her or carries her note, and has nothing to press.
    assert "no longer open" in offer.content
    assert "I work nights" not in offer.content
    assert f"<@{alice.id}>" not in offer.content
    assert offer.components == [] or all(
        button.get("disabled") for row in offer.components for button in row["components"]
    )
    heard = len(sim.dms(alice))
    bob_heard = len(sim.dms(bob))
    await sim.advance(hours=3)  # past the offer's expiry

    assert await pending_mentoring_work(bot) == []
    assert len(sim.dms(alice)) == heard
    assert len(sim.dms(bob)) == bob_heard  # not told an offer expired, not paused for it
    assert await tables_holding(bot.database, alice.id) == {}


async def test_a_member_who_erases_is_no_longer_named_in_their_mentors_introduction(
    world: World, bot: SteadyBot
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await offered(world, alice, bob)
    [offer] = offers(sim, bob)
    await sim.click(bob, offer, label="Accept")
    await sim.advance(seconds=1)
    # No thread space is set up here: each of them is introduced by DM.
    [introduction] = [m for m in sim.dms(bob) if m is not offer and f"<@{alice.id}>" in m.content]

    assert "Steady removed" in await erase(sim, alice)
    await sim.advance(seconds=1)
    assert f"<@{alice.id}>" not in introduction.content
    assert "introduction is closed" in introduction.content
    # Told the pairing ended, kindly and without naming her.
    assert any("pairings in this server has ended" in m.content for m in sim.dms(bob))
    assert not any(f"<@{alice.id}>" in m.content for m in sim.dms(bob))
    assert await tables_holding(bot.database, alice.id) == {}
