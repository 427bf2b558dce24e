"""Mentoring as members and moderators see it: apply, vet, ask, the offer DM and its buttons."""

from __future__ import annotations

from typing import Any

from bot.simulator import SimMember, SimMessage, Simulator
from tests.e2e.conftest import World


def _offers(sim: Simulator, member: SimMember) -> list[SimMessage]:
    return [m for m in sim.dms(member) if m.components]


def _greyed_out(message: SimMessage) -> bool:
    buttons = [button for row in message.components for button in row["components"]]
    return bool(buttons) and all(button.get("disabled") for button in buttons)


async def _approved_mentor(world: World, member: SimMember, **options: Any) -> None:
    sim = world.sim
    applied = await sim.slash(member, "mentor apply", kind="mentor", **options)
    assert applied.ephemeral
    approved = await sim.slash(world.mo, "mentors approve", member=member)
    assert approved.ephemeral


async def test_a_member_finds_a_mentor_through_an_offer_they_accept(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await _approved_mentor(world, bob, focus="alcohol, family", languages="English, Spanish")
    await sim.advance(seconds=1)
    assert "approved" in sim.dms(bob)[0].content

    asked = await sim.slash(
        alice, "mentor request", focus="alcohol", language="es", note="I work nights"
    )
    assert asked.ephemeral
    assert "asked a mentor who fits" in asked.content
    await sim.advance(seconds=1)
    offer = _offers(sim, bob)[0]
    assert f"<@{alice.id}>" in offer.content
    assert "I work nights" in offer.content
    assert "both speak Spanish" in offer.content
    assert offer.mentions == []  # named, never pinged

    accepted = await sim.click(bob, offer, label="Accept")
    assert accepted.ephemeral
    assert "Thank you for accepting" in accepted.content
    again = await sim.click(bob, offer, label="Accept")  # before the DM is edited
    assert "already accepted" in again.content
    await sim.advance(seconds=1)
    # The offer DM now says what happened, and its buttons can no longer be pressed.
    assert "You accepted this offer" in offer.content
    assert "I work nights" in offer.content
    assert _greyed_out(offer)
    assert any(f"<@{bob.id}> accepted" in m.content for m in sim.dms(alice))
    assert any(f"<@{alice.id}>'s mentor" in m.content for m in sim.dms(bob))

    status = await sim.slash(alice, "mentor status")
    assert status.ephemeral
    assert f"<@{bob.id}>" in str(status.embeds)


async def test_a_decline_goes_to_the_next_mentor_and_the_first_is_not_named(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    await _approved_mentor(world, world.bob)
    await _approved_mentor(world, world.dana)
    await sim.slash(alice, "mentor request")
    await sim.advance(seconds=1)
    first = world.bob if _offers(sim, world.bob) else world.dana
    second = world.dana if first is world.bob else world.bob
    declined = await sim.click(first, _offers(sim, first)[0], label="Decline")
    assert "won't be told who declined" in declined.content
    await sim.advance(seconds=1)
    assert len(_offers(sim, second)) == 1
    assert "You declined this offer" in _offers(sim, first)[0].content
    assert _greyed_out(_offers(sim, first)[0])
    assert all(str(first.id) not in m.content for m in sim.dms(alice))


async def test_an_unanswered_offer_expires_after_the_servers_offer_hours(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    hyphenated: dict[str, Any] = {"offer-hours": 2}
    await sim.slash(world.mo, "setup mentoring", **hyphenated)
    await _approved_mentor(world, world.bob)
    await _approved_mentor(world, world.dana)
    await sim.slash(alice, "mentor request")
    await sim.advance(seconds=1)
    first = world.bob if _offers(sim, world.bob) else world.dana
    second = world.dana if first is world.bob else world.bob
    await sim.advance(hours=1, minutes=59)
    assert _offers(sim, second) == []
    await sim.advance(minutes=2)
    assert len(_offers(sim, second)) == 1
    expired = _offers(sim, first)[0]
    assert "This offer expired" in expired.content
    assert _greyed_out(expired)
    assert not _greyed_out(_offers(sim, second)[0])
    # Alice is told only what helps: nothing about who let it lapse.
    assert all(str(first.id) not in m.content for m in sim.dms(alice))


async def test_bad_input_gets_a_kind_private_error_and_changes_nothing(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    cases: list[tuple[dict[str, Any], str]] = [
        ({"focus": "alcohl"}, "Did you mean `alcohol`"),
        ({"availability": "evenings"}, "24-hour clock"),
        ({"languages": "Elvish"}, "recognise"),
        ({"about": "x" * 301}, "300 characters"),
    ]
    for options, says in cases:
        answer = await sim.slash(alice, "mentor apply", kind="mentor", **options)
        assert answer.ephemeral
        assert says in answer.content
    sponsor = await sim.slash(alice, "mentor apply", kind="sponsor")
    assert "at least 365 days" in sponsor.content
    pending = await sim.slash(world.mo, "mentors pending")
    assert "No applications" in pending.content
    note = await sim.slash(alice, "mentor request", note=f"ping <@{world.bob.id}>")
    assert "mentions" in note.content
    assert "don't have a mentoring pairing" in (await sim.slash(alice, "mentor end")).content


async def test_only_moderators_run_mentors_commands(world: World, bot: object) -> None:
    sim = world.sim
    await sim.slash(world.bob, "mentor apply", kind="mentor")
    refused = await sim.slash(
        world.alice, "mentors approve", member=world.bob, bypass_permissions=True
    )
    assert refused.ephemeral
    assert "for moderators" in refused.content
    listing = await sim.slash(world.mo, "mentors list")
    assert "No approved mentors" in listing.content


async def test_an_offer_to_a_mentor_whose_dms_are_closed_goes_to_the_next(
    world: World, bot: object
) -> None:
    sim = world.sim
    await _approved_mentor(world, world.carol)  # DMs closed
    await _approved_mentor(world, world.bob)
    await sim.slash(world.alice, "mentor request")
    await sim.advance(seconds=1)
    await sim.advance(seconds=1)
    assert len(_offers(sim, world.bob)) == 1
    assert sim.dms(world.alice) == []  # nothing to worry the requester with


async def test_a_sponsor_with_enough_sober_time_is_accepted_as_an_applicant(
    world: World, bot: object
) -> None:
    sim, bob = world.sim, world.bob
    await sim.slash(bob, "sobriety set", date="2024-01-01")
    applied = await sim.slash(bob, "mentor apply", kind="sponsor", capacity=1)
    assert "Thank you for offering to be a sponsor" in applied.content
    pending = await sim.slash(world.mo, "mentors pending")
    assert "sponsor" in pending.content
    await sim.slash(world.mo, "mentors approve", member=bob)
    await sim.slash(world.alice, "mentor request", kind="sponsor")
    await sim.advance(seconds=1)
    offer = _offers(sim, bob)[0]
    assert "sponsor" in offer.content
    assert "2024" not in offer.content  # a mentor never sees anyone's sobriety date


async def test_applications_are_announced_only_in_a_review_channel_hidden_from_everyone(
    world: World, bot: object
) -> None:
    sim, guild = world.sim, world.guild
    review = guild.add_text_channel("mentor-review")
    option: dict[str, Any] = {"review-channel": review}
    refused = await sim.slash(world.mo, "setup mentoring", **option)
    assert "can be seen by @everyone" in refused.content
    review.set_permissions(guild.everyone, view_channel=False)
    blind = await sim.slash(world.mo, "setup mentoring", **option)
    assert "I can't post in" in blind.content
    review.set_permissions(guild.bot_role, view_channel=True)
    done = await sim.slash(world.mo, "setup mentoring", **option)
    assert "applications to" in done.content
    await sim.slash(world.bob, "mentor apply", kind="mentor", about="I have been there.")
    await sim.advance(seconds=1)
    notices = sim.messages(review)
    assert len(notices) == 1
    assert f"<@{world.bob.id}>" in notices[0].content
    assert "I have been there" not in notices[0].content  # the about stays in /mentors pending
    assert notices[0].mentions == []


async def test_when_the_only_mentor_declines_the_requester_hears_still_looking_not_who(
    world: World, bot: object
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await _approved_mentor(world, bob)
    await sim.slash(alice, "mentor request")
    await sim.advance(seconds=1)
    await sim.click(bob, _offers(sim, bob)[0], label="Decline")
    await sim.advance(seconds=1)
    [notice] = [m for m in sim.dms(alice) if "Still looking" in m.content]
    assert str(bob.id) not in notice.content
    assert "`/crisis`" in notice.content
    assert "You declined this offer" in _offers(sim, bob)[0].content
    status = await sim.slash(alice, "mentor status")
    assert str(bob.id) not in str(status.embeds)
