"""Milestone celebrations as members receive them: at the right local hour, the way they chose,
once per streak, and never anywhere more public than they asked for."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.simulator import SimMember, SimMessage, Simulator
from tests.e2e.conftest import START, World, url_text


def _texts(messages: list[SimMessage]) -> list[str]:
    return [
        " ".join(
            [
                m.content,
                *(str(e.get("title", "")) + " " + str(e.get("description", "")) for e in m.embeds),
            ]
        )
        for m in messages
    ]


async def _advance_to(sim: Simulator, instant: datetime) -> None:
    assert sim.clock is not None
    await sim.advance(seconds=(instant - sim.clock.now()).total_seconds())


async def test_celebration_arrives_at_nine_local_in_three_timezones(
    world: World, bot: object
) -> None:
    sim = world.sim
    zones = {world.alice: "America/New_York", world.bob: "Europe/London", world.dana: "Asia/Tokyo"}
    for member, zone in zones.items():
        await sim.slash(member, "timezone set", zone=zone)
        await sim.slash(member, "sobriety set", date="2026-02-23")  # day 7 is 2 March locally

    await _advance_to(sim, datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    assert [sim.dms(m) for m in zones] == [[], [], []]

    await _advance_to(sim, datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # 09:00 in Tokyo
    assert "7 days" in _texts(sim.dms(world.dana))[0]
    assert sim.dms(world.bob) == []

    await _advance_to(sim, datetime(2026, 3, 2, 8, 59, tzinfo=UTC))
    assert sim.dms(world.bob) == []
    await _advance_to(sim, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # 09:00 in London
    assert len(sim.dms(world.bob)) == 1

    await _advance_to(sim, datetime(2026, 3, 2, 13, 59, tzinfo=UTC))
    assert sim.dms(world.alice) == []
    await _advance_to(sim, datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # 09:00 in New York (EST)
    assert len(sim.dms(world.alice)) == 1

    # Once per streak: a day later nobody gets it again, and nothing reached the channels.
    await sim.advance(days=1)
    assert [len(sim.dms(m)) for m in zones] == [1, 1, 1]
    assert sim.messages(world.general) == []
    assert sim.messages(world.milestones) == []
    assert "late" not in " ".join(_texts(sim.dms(world.alice))).lower()


async def test_passed_milestones_are_not_celebrated_but_the_next_one_is(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")  # 59 days: 1, 7, 30 already passed
    await sim.advance(hours=12)
    assert sim.dms(alice) == []
    await sim.advance(hours=9)  # 09:00 UTC on 2 March: day 60
    texts = _texts(sim.dms(alice))
    assert len(texts) == 1
    assert "60 days" in texts[0]


async def test_each_celebration_choice(world: World, bot: object) -> None:
    sim = world.sim
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    choices = {world.alice: "channel", world.bob: "dm", world.dana: "off"}
    for member, choice in choices.items():
        await sim.slash(member, "sobriety set", date="2026-02-23")
        await sim.slash(member, "sobriety privacy", celebrate=choice)
    await sim.advance(days=1)

    posts = sim.messages(world.milestones)
    assert len(posts) == 1
    assert f"<@{world.alice.id}>" in _texts(posts)[0]
    assert posts[0].mentions == []  # celebrated, not pinged
    assert str(world.bob.id) not in _texts(posts)[0]
    assert sim.dms(world.alice) == []
    assert len(sim.dms(world.bob)) == 1
    assert sim.dms(world.dana) == []  # recorded silently
    assert sim.messages(world.general) == []


async def test_channel_choice_without_a_channel_falls_back_to_dm(world: World, bot: object) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-02-23")
    await sim.slash(alice, "sobriety privacy", celebrate="channel")
    await sim.advance(days=1)
    assert len(sim.dms(alice)) == 1
    assert sim.messages(world.milestones) == []
    assert sim.messages(world.general) == []


async def test_closed_dms_keep_the_congratulation_private_until_show(
    world: World, bot: SteadyBot
) -> None:
    sim, carol = world.sim, world.carol
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    await sim.slash(carol, "sobriety set", date="2026-02-23")
    await sim.advance(days=1)
    assert sim.dms(carol) == []
    for channel in world.guild.channels:
        assert sim.messages(channel) == [], f"something reached #{channel.name}"
    shown = await sim.slash(carol, "sobriety show")
    assert shown.ephemeral
    assert "7 days" in shown.content
    assert "Congratulations" in shown.content
    # Shown once: the reply clears it after it is delivered (a member's next /sobriety show
    # comes after that; the simulator answers the test as soon as the reply arrives).
    await bot.background_settled()
    assert "Congratulations" not in (await sim.slash(carol, "sobriety show")).content


async def test_a_crowd_of_milestones_is_one_grouped_post(world: World, bot: object) -> None:
    sim = world.sim
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    crowd: list[SimMember] = [world.guild.add_member(f"member{n}") for n in range(8)]
    for member in crowd:
        await sim.slash(member, "sobriety set", date="2026-02-23")
        await sim.slash(member, "sobriety privacy", celebrate="channel")
    await sim.advance(days=1)
    posts = sim.messages(world.milestones)
    assert len(posts) == 1
    text = _texts(posts)[0]
    assert all(f"<@{m.id}>" in text for m in crowd)
    assert posts[0].mentions == []


async def test_a_reset_streak_celebrates_its_milestones_again(world: World, bot: object) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-03-01")
    await sim.advance(days=1)  # day 1 on 2 March
    assert len(sim.dms(alice)) == 1
    prompt = await sim.slash(alice, "sobriety reset")
    await sim.click(alice, prompt, label="Confirm")
    await sim.advance(days=1)  # day 1 of the new streak
    texts = _texts(sim.dms(alice))
    assert len(texts) == 2
    assert "1 day" in texts[1]


async def test_restart_across_a_milestone_celebrates_once_marked_belated(
    sim: Simulator, world: World, database_url: URL
) -> None:
    alice = world.alice
    async with sim.run_bot(database_url=url_text(database_url), now=START):
        await sim.slash(alice, "sobriety set", date="2026-02-23")
    # Down from Sunday noon until Monday evening, across Monday 09:00.
    async with sim.run_bot(
        database_url=url_text(database_url), now=datetime(2026, 3, 2, 18, tzinfo=UTC)
    ):
        await sim.advance(minutes=1)
        texts = _texts(sim.dms(alice))
        assert len(texts) == 1
        assert "7 days" in texts[0]
        assert "late" in texts[0]
        await sim.advance(days=1)
        assert len(sim.dms(alice)) == 1
    async with sim.run_bot(database_url=url_text(database_url)):
        await sim.advance(hours=1)
        assert len(sim.dms(alice)) == 1


async def test_several_milestones_missed_while_down_only_the_highest_is_celebrated(
    sim: Simulator, world: World, database_url: URL
) -> None:
    alice = world.alice
    async with sim.run_bot(database_url=url_text(database_url), now=START):
        await sim.slash(alice, "sobriety set", date="2026-02-25")  # 7 on 4 Mar, 30 on 27 Mar
    async with sim.run_bot(
        database_url=url_text(database_url), now=datetime(2026, 4, 1, 12, tzinfo=UTC)
    ):
        await sim.advance(minutes=1)
        texts = _texts(sim.dms(alice))
        assert len(texts) == 1
        assert "30 days" in texts[0]
        assert "late" in texts[0]


async def test_changing_timezone_on_the_morning_of_a_milestone_keeps_it(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-02-23")  # day 7: 2 March, 09:00 UTC
    await _advance_to(sim, datetime(2026, 3, 2, 8, tzinfo=UTC))
    await sim.slash(alice, "timezone set", zone="America/New_York")  # 03:00 there, still day 7
    await _advance_to(sim, datetime(2026, 3, 2, 13, 59, tzinfo=UTC))
    assert sim.dms(alice) == []
    await _advance_to(sim, datetime(2026, 3, 2, 14, tzinfo=UTC))  # 09:00 in New York
    assert "7 days" in _texts(sim.dms(alice))[0]


async def test_moving_the_hour_after_it_passed_still_celebrates_today(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(world.mo, "setup milestones", hour=11)
    await sim.slash(alice, "sobriety set", date="2026-02-23")
    await _advance_to(sim, datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert sim.dms(alice) == []
    # Moved to an hour already past today: celebrated now rather than lost.
    await sim.slash(world.mo, "setup milestones", hour=8)
    await sim.advance(minutes=1)
    assert len(sim.dms(alice)) == 1


async def test_custom_ladder_and_hour(world: World, bot: object) -> None:
    sim = world.sim
    reply = await sim.slash(world.mo, "setup milestones", hour=18, ladder="3, 10")
    assert "18:00" in reply.content
    assert "3, 10" in reply.content
    bad = await sim.slash(world.mo, "setup milestones", ladder="3, ten")
    assert "not a whole number" in bad.content
    refused = await sim.slash(world.bob, "setup milestones", hour=3, bypass_permissions=True)
    assert "for moderators" in refused.content
    await sim.slash(world.alice, "sobriety set", date="2026-02-27")  # day 3 on 2 March
    await _advance_to(sim, datetime(2026, 3, 2, 17, 59, tzinfo=UTC))
    assert sim.dms(world.alice) == []
    await _advance_to(sim, datetime(2026, 3, 2, 18, tzinfo=UTC))
    assert "3 days" in _texts(sim.dms(world.alice))[0]


async def test_a_handful_get_their_own_posts(world: World, bot: object) -> None:
    sim = world.sim
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    five = [world.guild.add_member(f"member{n}") for n in range(5)]
    for member in five:
        await sim.slash(member, "sobriety set", date="2026-02-23")
        await sim.slash(member, "sobriety privacy", celebrate="channel")
    await sim.advance(days=1)
    posts = sim.messages(world.milestones)
    assert len(posts) == 5
    assert sorted(t.count("<@") for t in _texts(posts)) == [1] * 5


async def test_a_post_the_channel_refuses_is_held_for_each_member(
    world: World, bot: object
) -> None:
    sim = world.sim
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    await sim.slash(world.alice, "sobriety set", date="2026-02-23")
    await sim.slash(world.alice, "sobriety privacy", celebrate="channel")
    sim.fail_next("POST /channels/{channel_id}/messages", 403, 50013)  # Missing Permissions
    await sim.advance(days=1)
    assert sim.messages(world.milestones) == []
    assert sim.dms(world.alice) == []
    shown = await sim.slash(world.alice, "sobriety show")
    assert "7 days" in shown.content
    assert "Congratulations" in shown.content


async def test_private_counter_with_channel_celebration_and_off_with_a_channel(
    world: World, bot: object
) -> None:
    sim = world.sim
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    await sim.slash(world.alice, "sobriety set", date="2026-02-23")
    await sim.slash(world.alice, "sobriety privacy", visibility="private", celebrate="channel")
    await sim.slash(world.bob, "sobriety set", date="2026-02-23")
    await sim.slash(world.bob, "sobriety privacy", celebrate="off")
    await sim.advance(days=1)
    posts = sim.messages(world.milestones)
    assert len(posts) == 1
    assert str(world.bob.id) not in _texts(posts)[0]
    assert sim.dms(world.bob) == []
    # Celebrated in the channel, yet the counter itself stays private.
    assert "private" in (await sim.slash(world.bob, "sobriety show", member=world.alice)).content


async def test_correcting_the_date_after_a_milestone_does_not_celebrate_it_twice(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-02-23")
    await sim.advance(days=1)  # day 7 on 2 March
    assert len(sim.dms(alice)) == 1
    # A correction moves the start earlier; a later date would be a new streak (confirmed
    # through a prompt) and celebrate again.
    await sim.slash(alice, "sobriety set", date="2026-02-22")  # day 7 was yesterday
    await sim.advance(days=1)
    assert len(sim.dms(alice)) == 1


async def test_held_congratulation_shows_with_several_counters(world: World, bot: object) -> None:
    sim, carol = world.sim, world.carol
    await sim.slash(carol, "sobriety set", date="2026-02-23", label="alcohol")
    await sim.slash(carol, "sobriety set", date="2026-01-01", label="nicotine")
    await sim.advance(days=1)
    shown = await sim.slash(carol, "sobriety show")
    assert len(shown.embeds) == 2
    assert "7 days** (alcohol)" in shown.content


async def test_a_yearly_milestone_arrives_on_the_calendar_anniversary(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    # 29 February 2024 lies between: 4 × 365 days is today, 1 March; the anniversary is
    # tomorrow.
    await sim.slash(alice, "sobriety set", date="2022-03-02")
    await _advance_to(sim, datetime(2026, 3, 1, 23, 0, tzinfo=UTC))
    assert sim.dms(alice) == []
    await _advance_to(sim, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    texts = _texts(sim.dms(alice))
    assert len(texts) == 1
    assert "🎉 4 years" in texts[0]
    card = await sim.slash(alice, "sobriety show")
    assert card.embeds[0]["description"].startswith("4 years since")


async def test_eighteen_months_on_the_calendar_date_in_the_channel(
    world: World, bot: object
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    await sim.slash(alice, "sobriety set", date="2024-09-02")  # 18 months: 2 March 2026
    await sim.slash(alice, "sobriety privacy", celebrate="channel")
    await _advance_to(sim, datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    posts = _texts(sim.messages(world.milestones))
    assert len(posts) == 1
    assert "reached **18 months**" in posts[0]


async def test_a_held_congratulation_says_why_and_how_to_open_dms(
    world: World, bot: SteadyBot
) -> None:
    sim, carol = world.sim, world.carol
    await sim.slash(carol, "sobriety set", date="2026-02-23")
    await sim.advance(days=1)
    shown = await sim.slash(carol, "sobriety show")
    assert "DMs from this server are closed" in shown.content
    assert "Privacy Settings" in shown.content
    # While her DMs stay closed the card says so, after the congratulation was shown too.
    await bot.background_settled()  # the reply's clearing of what it showed (see above)
    again = await sim.slash(carol, "sobriety show")
    assert "Congratulations" not in again.content
    fields = {f["name"]: f["value"] for f in again.embeds[0]["fields"]}
    assert "Privacy Settings" in fields["Your DMs are closed"]

    # She opens her DMs: the next congratulation reaches her, and the card stops saying so.
    carol.user.dms_open = True
    await sim.advance(days=23)  # day 30 on 25 March
    assert len(sim.dms(carol)) == 1
    fields = {
        f["name"]: f["value"] for f in (await sim.slash(carol, "sobriety show")).embeds[0]["fields"]
    }
    assert "Your DMs are closed" not in fields


async def test_a_held_congratulation_survives_a_reply_that_failed(
    world: World, bot: object
) -> None:
    sim, carol = world.sim, world.carol
    await sim.slash(carol, "sobriety set", date="2026-02-23")
    await sim.advance(days=1)
    # Discord refuses the reply that carries the congratulation.
    sim.fail_next("POST /interactions/{webhook_id}/{webhook_token}/callback", 400, 50035)
    failed = await sim.slash(carol, "sobriety show")
    assert "Congratulations" not in failed.content
    shown = await sim.slash(carol, "sobriety show")
    assert "you reached **7 days**" in shown.content


async def test_a_held_anniversary_keeps_its_name_after_a_reset(world: World, bot: object) -> None:
    sim, carol = world.sim, world.carol
    # 2 years on 2 March 2026 is 730 days; from the new start, 730 days is not an anniversary.
    await sim.slash(carol, "sobriety set", date="2024-03-02")
    await _advance_to(sim, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    prompt = await sim.slash(carol, "sobriety reset")
    await sim.click(carol, prompt, label="Confirm")
    shown = await sim.slash(carol, "sobriety show")
    assert "you reached **2 years** (sobriety)" in shown.content
