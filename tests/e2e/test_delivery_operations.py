"""The outbox's operations end to end: cancel, edit, role pings, the urgent lane, stored DM
channels, history checks after the nonce window, rate-limit accounting and fallback privacy.

A small test feature ("alerts") uses them the way check-in alerts and meeting reminders will.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from bot import runtime
from bot.app import SteadyBot
from bot.config import Settings
from bot.db.models import DmChannel, OutboxMessage
from bot.db.models.outbox import URGENT
from bot.delivery import dispatcher as dispatching
from bot.delivery import outbox
from bot.delivery.buttons import ack_button, action_row
from bot.delivery.outbox import Cancelled, OutgoingMessage, Target, enqueue
from bot.delivery.pacing import Pacer
from bot.simulator import Simulator
from tests.e2e.conftest import START, World, url_text
from tests.e2e.test_delivery import (
    CRASH_AFTER_SEND,
    OPEN_DM,
    SEND,
    GatedPacer,
    outbox_row,
    private_channel,
    send,
    texts,
)

EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


async def _advance_to(sim: Simulator, instant: datetime) -> None:
    assert sim.clock is not None
    await sim.advance(seconds=(instant - sim.clock.now()).total_seconds())


# -- cancel --------------------------------------------------------------------------------------


async def test_removing_a_counter_during_its_celebration_sends_no_congratulation(
    world: World, bot: SteadyBot
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-02-23")  # day 7 at 09:00 on 2 March
    sim.fail_next(SEND, 503)  # Discord struggles as the congratulation goes out
    await _advance_to(sim, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert sim.dms(alice) == []  # it waits for its retry
    prompt = await sim.slash(alice, "sobriety remove", label="sobriety")
    await sim.click(alice, prompt, label="Delete")
    await sim.advance(hours=2)

    assert sim.dms(alice) == []  # nothing arrives for a counter she removed
    async with bot.database.read() as session:
        left = await session.scalar(
            select(func.count()).where(OutboxMessage.purpose == "milestone.dm")
        )
    assert left == 0  # and its words are gone with it


async def test_a_cancel_skips_a_send_not_begun_and_cannot_unsend_one_under_way(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    channel = Target("channel", world.general.id)
    ids = [await send(bot, world, channel, f"step {i}") for i in range(3)]
    gate = GatedPacer()
    bot.dispatcher.pacer = gate
    sending = asyncio.create_task(bot.dispatcher.run_due())
    await gate.next_request()  # step 0 is on its way to Discord
    async with bot.database.transaction() as session:
        results = [await outbox.cancel(session, i) for i in ids]
    async with bot.database.transaction() as session:
        again = await outbox.cancel(session, ids[0])
    gate.go.release()
    await asyncio.wait_for(sending, timeout=30)

    assert results == [Cancelled.IN_FLIGHT] * 3  # all claimed by the batch
    assert again == Cancelled.FINISHED  # already cancelled: nothing more to do
    assert texts(sim.messages(world.general)) == ["step 0"]  # under way: it arrived
    # The two never sent are gone; the one that arrived is kept as sent, with its message id,
    # so its feature can still edit that copy.
    [posted] = sim.messages(world.general)
    async with bot.database.read() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        assert [(r.id, r.state, r.sent_message_id) for r in rows] == [(ids[0], "sent", posted.id)]
    late = await send(bot, world, channel, "never")
    async with bot.database.transaction() as session:
        assert await outbox.cancel(session, late) == Cancelled.CANCELLED
        assert await outbox.cancel(session, late) == Cancelled.GONE
    await sim.advance(minutes=5)
    assert texts(sim.messages(world.general)) == ["step 0"]


async def test_cancel_pending_takes_a_family_of_purposes_and_leaves_other_features_alone(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    dm = Target("dm", world.alice.id)
    await send(bot, world, dm, "step 1", purpose="alert.step1")
    await send(bot, world, dm, "step 2", purpose="alert.step2")
    await send(bot, world, dm, "same subject id, another feature", purpose="meeting.reminder")
    async with bot.database.transaction() as session:
        withdrawn = await outbox.cancel_pending(session, purpose="alert.*", subject_id=dm.id)
    await sim.advance()
    assert withdrawn == 2
    assert texts(sim.dms(world.alice)) == ["same subject id, another feature"]


# -- edit and replace ----------------------------------------------------------------------------


async def test_edits_wait_for_the_send_and_only_the_latest_is_applied(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    alerts = private_channel(world, "alerts")
    sim.fail_next(SEND, 503)  # the alert itself needs a retry
    async with bot.database.transaction() as session:
        alert = await enqueue(
            session,
            target=Target("channel", alerts.id),
            message=OutgoingMessage(
                content="Someone would like support.",
                components=(action_row(ack_button("I'm reaching out")),),
            ),
            purpose="test.alert",
            guild_id=world.guild.id,
            priority=URGENT,
        )
        first = await outbox.edit(session, alert, OutgoingMessage(content="Sam is reaching out."))
    async with bot.database.transaction() as session:
        second = await outbox.edit(
            session, alert, OutgoingMessage(content="Sam is reaching out (14:05).")
        )
    await sim.advance()
    assert sim.messages(alerts) == []  # nothing to edit before the alert is there
    assert second is not None
    assert (await outbox_row(bot.database, second)).state == "waiting"
    await sim.advance(minutes=2)

    [message] = sim.messages(alerts)
    assert message.content == "Sam is reaching out (14:05)."
    assert message.components == []  # an edit replaces the whole message: buttons gone
    assert first == second  # coalesced into one row
    assert [r.status for r in sim.requests if r.route == EDIT] == [200]  # applied once
    async with bot.database.transaction() as session:
        third = await outbox.replace(session, alert, OutgoingMessage(content="Resolved."))
    await sim.advance()
    assert third not in (alert, second)  # sent already: replacing it is an edit
    assert sim.messages(alerts)[0].content == "Resolved."


async def test_replace_changes_a_message_not_sent_yet_in_place(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    row = await send(bot, world, Target("dm", world.bob.id), "Group at six")
    async with bot.database.transaction() as session:
        same = await outbox.replace(session, row, OutgoingMessage(content="Group moved to seven"))
    await sim.advance()
    assert same == row
    assert texts(sim.dms(world.bob)) == ["Group moved to seven"]
    assert [r for r in sim.requests if r.route == EDIT] == []


# -- role pings ----------------------------------------------------------------------------------


async def test_a_role_ping_reaches_only_the_allowed_role_whatever_the_text_says(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    on_call = world.guild.add_role("On call", mentionable=True)
    world.dana.add_role(on_call)
    alerts = world.guild.add_text_channel("alerts")
    note = f"(member wrote: @everyone <@&{world.helpers.id}> <@{world.bob.id}>)"
    async with bot.database.transaction() as session:
        await enqueue(
            session,
            target=Target("channel", alerts.id),
            message=OutgoingMessage(
                content=f"<@&{on_call.id}> someone would like support {note}",
                mention_roles=(on_call.id,),
            ),
            purpose="test.alert",
            guild_id=world.guild.id,
            public=True,
        )
        with pytest.raises(ValueError, match="@everyone"):
            await enqueue(
                session,
                target=Target("channel", alerts.id),
                message=OutgoingMessage(content="x", mention_roles=(world.guild.id,)),
                purpose="test.alert",
                guild_id=world.guild.id,
            )
    await sim.advance()
    [message] = sim.messages(alerts)
    assert message.mention_roles == [on_call.id]
    assert message.mentions == [world.dana.id]  # the on-call member, nobody else
    assert message.mention_everyone is False


# -- the urgent lane -----------------------------------------------------------------------------


async def test_an_urgent_alert_overtakes_a_bulk_wave_already_claimed(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    members = [world.guild.add_member(f"member{i}") for i in range(30)]
    bot.dispatcher.pacer = Pacer(rate=20)  # a slow wave: 1.5 s for 30 DMs
    async with bot.database.transaction() as session:
        for member in members:
            await enqueue(
                session,
                target=Target("dm", member.id),
                message=OutgoingMessage(content="Your group starts in an hour."),
                purpose="test.wave",
                guild_id=world.guild.id,
            )
    wave = asyncio.create_task(bot.dispatcher.run_due())
    await sim.wait_for_request(SEND)  # the wave is draining
    async with bot.database.transaction() as session:
        await enqueue(
            session,
            target=Target("dm", world.mo.id),
            message=OutgoingMessage(content="SOS: alice asked for support."),
            purpose="test.sos",
            guild_id=world.guild.id,
            priority=URGENT,
        )
    await sim.wait_for_message(world.mo)
    delivered_before_alert = sum(1 for m in members if sim.dms(m))
    await asyncio.wait_for(wave, timeout=60)

    assert delivered_before_alert < len(members) // 2  # it did not wait for the wave
    assert texts(sim.dms(world.mo)) == ["SOS: alice asked for support."]
    assert all(len(sim.dms(m)) == 1 for m in members)


async def test_an_urgent_send_begun_during_a_wave_is_finished_when_the_wave_ends(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    gate = GatedPacer()
    bot.dispatcher.pacer = gate
    wave = await send(bot, world, Target("channel", world.general.id), "wave")
    sending = asyncio.create_task(bot.dispatcher.run_due())
    await gate.next_request()  # the wave's message is at Discord's door
    async with bot.database.transaction() as session:
        sos = await enqueue(
            session,
            target=Target("channel", world.milestones.id),
            message=OutgoingMessage(content="SOS"),
            purpose="test.sos",
            guild_id=world.guild.id,
            public=True,
            priority=URGENT,
        )
    await gate.next_request()  # the urgent lane has begun the SOS
    gate.go.release()  # the wave's batch ends first …
    gate.go.release()  # … and the SOS still goes out
    await asyncio.wait_for(sending, timeout=30)

    assert texts(sim.messages(world.milestones)) == ["SOS"]
    assert [(await outbox_row(bot.database, i)).state for i in (wave, sos)] == ["sent", "sent"]


# -- stored DM channels --------------------------------------------------------------------------


async def test_a_repeat_wave_after_a_restart_needs_one_request_per_dm(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    members = [world.guild.add_member(f"member{i}") for i in range(5)]

    async def wave(bot: SteadyBot, text: str) -> None:
        async with bot.database.transaction() as session:
            for member in members:
                await enqueue(
                    session,
                    target=Target("dm", member.id),
                    message=OutgoingMessage(content=text),
                    purpose="test.wave",
                    guild_id=world.guild.id,
                )
        await sim.advance()

    async with sim.run_bot(database_url=url, now=START) as bot:
        await wave(bot, "first")
    opened = len([r for r in sim.requests if r.route == OPEN_DM])
    async with sim.run_bot(database_url=url) as bot:  # a new process: nothing in memory
        await wave(bot, "second")
        async with bot.database.read() as session:
            stored = (await session.scalars(select(DmChannel.user_id))).all()

    assert opened == 5
    assert len([r for r in sim.requests if r.route == OPEN_DM]) == 5  # none opened again
    assert sorted(stored) == sorted(m.id for m in members)
    assert [texts(sim.dms(m)) for m in members] == [["first", "second"]] * 5


# -- after the nonce window ----------------------------------------------------------------------


async def test_a_restart_long_after_a_crash_finds_the_message_instead_of_posting_twice(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    database = await runtime.open_database(Settings(database_url=url))
    try:
        async with database.transaction() as session:
            row_id = await enqueue(
                session,
                target=Target("dm", world.alice.id),
                message=OutgoingMessage(content="Day 30. We're proud of you."),
                purpose="milestone.dm",
                guild_id=world.guild.id,
            )
    finally:
        await database.dispose()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASH_AFTER_SEND,
        url, sim.api_base, sim.gateway_url, sim.token, START.isoformat(),
    )  # fmt: skip
    await process.wait()  # killed after Discord accepted it, before it was marked sent
    assert texts(sim.dms(world.alice)) == ["Day 30. We're proud of you."]

    # Back an hour later: far outside Discord's nonce window.
    async with sim.run_bot(database_url=url, now=START + timedelta(hours=1)) as bot:
        await sim.advance()
        row = await outbox_row(bot.database, row_id)
        found = bot.dispatcher.stats.found_in_history

    assert texts(sim.dms(world.alice)) == ["Day 30. We're proud of you."]  # once
    assert (row.state, row.sent_message_id) == ("sent", sim.dms(world.alice)[0].id)
    assert found == 1
    assert len([r for r in sim.requests if r.route == SEND and r.ok]) == 1


# -- rate limits and refusals --------------------------------------------------------------------


async def test_short_rate_limits_slept_inside_discord_py_spend_no_attempt(
    sim: Simulator, world: World, bot: SteadyBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The row's time runs out while discord.py sleeps through a 429 it will retry itself.
    monkeypatch.setattr(dispatching, "ROW_TIMEOUT", 0.5)
    sim.fail_next(SEND, 429, retry_after=3)
    row_id = await send(bot, world, Target("channel", world.general.id), "after the wait")
    await sim.advance()
    row = await outbox_row(bot.database, row_id)
    assert (row.state, row.attempts, row.uncertain_since) == ("pending", 0, None)
    assert row.last_error == "429 (waited out)"
    monkeypatch.setattr(dispatching, "ROW_TIMEOUT", 60.0)
    await sim.advance(seconds=5)
    assert texts(sim.messages(world.general)) == ["after the wait"]
    assert (await outbox_row(bot.database, row_id)).attempts == 1


async def test_a_403_on_a_dm_without_50007_is_not_taken_for_closed_dms(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    sim.fail_next(SEND, 403, 50001)  # Missing Access: the bot's problem, not the member's choice
    row_id = await send(bot, world, Target("dm", world.alice.id), "hello")
    await sim.advance()
    row = await outbox_row(bot.database, row_id)
    assert (row.state, row.last_error) == ("failed", "target unavailable (403/50001)")


async def test_a_channel_a_role_nearly_everyone_holds_is_no_private_fallback(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    members_role = world.guild.add_role("Members")
    for member in world.guild.members:
        member.add_role(members_role)
    lounge = private_channel(world, "lounge")  # @everyone denied, moderators allowed …
    lounge.set_permissions(members_role, view_channel=True)  # … and every member too
    mentors = private_channel(world, "mentors")
    carol = Target("dm", world.carol.id)  # DMs closed
    to_lounge = await send(
        bot, world, carol, "private", purpose="test.private", fallback=Target("channel", lounge.id)
    )
    to_mentors = await send(
        bot, world, carol, "private", purpose="test.private",
        fallback=Target("channel", mentors.id),
    )  # fmt: skip
    await sim.advance()
    assert sim.messages(lounge) == []
    assert texts(sim.messages(mentors)) == ["private"]
    row = await outbox_row(bot.database, to_lounge)
    assert (row.state, row.last_error) == (
        "failed",
        "DMs closed (403/50007); fallback channel is not private",
    )
    assert (await outbox_row(bot.database, to_mentors)).delivered_to == "fallback"


# -- shutdown ------------------------------------------------------------------------------------


async def test_shutdown_out_of_grace_releases_the_rows_not_begun_at_once(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    channel = Target("channel", world.general.id)
    ids = [await send(bot, world, channel, f"line {i}") for i in range(4)]
    gate = GatedPacer()
    bot.dispatcher.pacer = gate
    sending = asyncio.create_task(bot.dispatcher.run_due())
    await gate.next_request()  # line 0 is under way and hangs
    bot.dispatcher.stop()
    sending.cancel()  # what WakeUps.stop does once the grace period is over
    with pytest.raises(asyncio.CancelledError):
        await sending

    rows = [await outbox_row(bot.database, i) for i in ids]
    # Its outcome is unknown: it stays claimed until the lease ends (then a careful retry).
    assert rows[0].claimed_by == bot.dispatcher.worker
    # The others were never begun: ready for the next process now, their attempt returned.
    assert [(r.state, r.attempts, r.claimed_by) for r in rows[1:]] == [("pending", 0, None)] * 3
    assert all(r.next_attempt_at <= START for r in rows[1:])


async def test_a_ban_level_429_holds_all_sending_without_spending_attempts(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    sim.fail_next(SEND, 429, retry_after=600, ban=True)  # Cloudflare refuses the address
    first = await send(bot, world, Target("channel", world.general.id), "one")
    second = await send(bot, world, Target("channel", world.general.id), "two")
    await sim.advance()
    rows = [await outbox_row(bot.database, i) for i in (first, second)]
    assert [(r.state, r.attempts) for r in rows] == [("pending", 0), ("pending", 0)]
    # One request met the ban; nothing else was asked of Discord while it lasts.
    assert [r.status for r in sim.requests if r.route == SEND] == [429]
    await sim.advance(minutes=11)
    rows = [await outbox_row(bot.database, i) for i in (first, second)]
    assert [(r.state, r.attempts) for r in rows] == [("sent", 1), ("sent", 1)]
