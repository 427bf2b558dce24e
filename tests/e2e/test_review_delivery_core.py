"""Review of the delivery core's second pass: scenarios the other tests do not cover.

Each test is a concrete failure scenario found in review; a failing test is a finding.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import SteadyBot
from bot.db.models.outbox import URGENT
from bot.delivery import operations as ops
from bot.delivery import outbox
from bot.delivery.claims import Claimed, Hold
from bot.delivery.outbox import Cancelled, OutgoingMessage, Target, enqueue
from bot.delivery.outcomes import Outcome, Retry
from bot.delivery.pacing import Pacer
from bot.scheduling import ledger, locks
from bot.scheduling.kinds import DueItem, WorkKind
from bot.scheduling.wakeups import WakeUps
from bot.simulator import Simulator
from tests.e2e.conftest import World
from tests.e2e.test_delivery import SEND, outbox_row, private_channel, texts


def _answer_lost_once(bot: SteadyBot) -> None:
    """The first send reaches Discord and is posted, but its answer never comes back (a
    timeout after Discord accepted it): the dispatcher records an uncertain retry."""
    sender = bot.dispatcher._sender
    deliver = sender.deliver
    done = False

    async def deliver_then_lose_answer(row: Claimed, hold: Hold) -> Outcome:
        nonlocal done
        outcome = await deliver(row, hold)
        if done:
            return outcome
        done = True
        return Retry("network: TimeoutError", uncertain=True)

    sender.deliver = deliver_then_lose_answer  # type: ignore[method-assign]


# -- urgent rows and due work are starved by the other half of the pass ---------------------------


async def test_an_urgent_alert_does_not_wait_for_a_long_ledger_pass(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """SteadyBot.run_due runs the ledger to completion before the dispatcher looks at the
    outbox at all, and nothing watches the urgent lane meanwhile. A support alert committed
    as a big batch of timed work comes due (a busy 09:00 of check-in prompts, a catch-up after
    downtime) waits for the whole ledger pass: every one of its items first."""
    total = 300
    handled = 0

    async def slow(_session: Any, _item: DueItem, _subject: int) -> None:
        nonlocal handled
        await asyncio.sleep(0.01)  # a real handler's own work (reads, inserts)
        handled += 1

    bot.work_kinds.register(
        WorkKind(name="review.prompt", lock_subject=locks.nothing_to_lock, handle=slow)
    )
    now = bot.clock.now()
    async with bot.database.transaction() as session:
        for i in range(total):
            await ledger.schedule(session, "review.prompt", 10_000 + i, now)
        await enqueue(
            session,
            target=Target("dm", world.mo.id),
            message=OutgoingMessage(content="SOS: alice asked for support."),
            purpose="test.sos",
            guild_id=world.guild.id,
            priority=URGENT,
        )
    passing = asyncio.create_task(bot.run_due())
    await sim.wait_for_message(world.mo, within=60)
    handled_before_alert = handled
    await asyncio.wait_for(passing, timeout=60)

    assert handled_before_alert < total // 2  # it did not wait for the ledger's pass


async def test_due_work_does_not_wait_for_a_bulk_wave_of_messages(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """The other direction: while the dispatcher drains a normal wave, the pass never returns
    to the ledger, so an escalation step (due work) that comes due mid-wave is handled only
    after the last message of the wave. Driven by the production driver (WakeUps)."""
    members = [world.guild.add_member(f"member{i}") for i in range(30)]
    bot.dispatcher.pacer = Pacer(rate=20)  # a slow wave: 1.5 s for 30 DMs (+ DM opens)
    delivered_when_handled: list[int] = []

    async def step(_session: Any, _item: DueItem, _subject: int) -> None:
        delivered_when_handled.append(sum(1 for m in members if sim.dms(m)))

    bot.work_kinds.register(
        WorkKind(name="review.step", lock_subject=locks.nothing_to_lock, handle=step)
    )
    async with bot.database.transaction() as session:
        for member in members:
            await enqueue(
                session,
                target=Target("dm", member.id),
                message=OutgoingMessage(content="Your group starts in an hour."),
                purpose="test.wave",
                guild_id=world.guild.id,
            )
    # The production wiring (SteadyBot.__init__): the wake-ups drive the side-by-side drains.
    # (`bot` itself is the simulator's host, whose run_due waits until everything settles.)
    wakeups = WakeUps(AsyncIOScheduler(timezone=UTC), bot.realtime, bot.clock)  # we fire
    await wakeups.start()
    try:
        await wakeups._woken()  # the wake-up fires: the wave begins
        await sim.wait_for_request(SEND)
        async with bot.database.transaction() as session:
            await ledger.schedule(session, "review.step", 1, bot.clock.now())
        await wakeups._woken()  # its wake-up fires at once
        for _ in range(600):
            if delivered_when_handled:
                break
            await asyncio.sleep(0.05)
    finally:
        await wakeups.stop(grace=30)
        await bot.realtime.settled()

    assert delivered_when_handled, "the step was never handled"
    assert delivered_when_handled[0] < len(members) // 2  # it did not wait for the wave


# -- replace and cancel after an attempt whose outcome is unknown ---------------------------------


async def test_replace_after_an_uncertain_attempt_is_not_lost_to_the_nonce(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """An alert post reached Discord but its answer was lost; before the retry a mentor claims
    the alert and the feature replaces the text. `replace` rewrites the row in place because it
    is not claimed at this moment, but its send has begun: the retry carries the same nonce,
    Discord answers with the first message, and the row is marked sent with the old text
    showing. The channel keeps saying the alert needs someone."""
    alerts = private_channel(world, "alerts")
    _answer_lost_once(bot)
    async with bot.database.transaction() as session:
        alert = await enqueue(
            session,
            target=Target("channel", alerts.id),
            message=OutgoingMessage(content="Someone would like support."),
            purpose="test.alert",
            guild_id=world.guild.id,
        )
    await sim.advance()  # posted; the answer is lost; a retry is planned
    assert texts(sim.messages(alerts)) == ["Someone would like support."]
    async with bot.database.transaction() as session:
        await outbox.replace(session, alert, OutgoingMessage(content="Claimed by mo."))
    await sim.advance(minutes=2)  # the retry, inside the nonce window

    row = await outbox_row(bot.database, alert)
    assert row.state == "sent"
    assert texts(sim.messages(alerts)) == ["Claimed by mo."]


async def test_cancel_after_an_uncertain_attempt_does_not_claim_nothing_was_sent(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """The same lost answer, then the feature cancels the row: `cancel` deletes it and answers
    CANCELLED ("not sent, and it never will be"), although the message is in the channel. A
    feature that edits the copies it was told about (an alert's claim) cannot find this one."""
    alerts = private_channel(world, "alerts")
    _answer_lost_once(bot)
    async with bot.database.transaction() as session:
        alert = await enqueue(
            session,
            target=Target("channel", alerts.id),
            message=OutgoingMessage(content="Step 1: someone would like support."),
            purpose="test.alert",
            guild_id=world.guild.id,
        )
    await sim.advance()
    async with bot.database.transaction() as session:
        result = await outbox.cancel(session, alert)

    assert texts(sim.messages(alerts)) == ["Step 1: someone would like support."]
    assert result is not Cancelled.CANCELLED  # it may well have been (and here was) sent


# -- operations on one scheduled event overtake each other after a retry --------------------------

EDIT_EVENT = "PATCH /guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"


async def test_two_moves_of_an_event_end_at_the_later_move(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """A moderator moves a meeting to 19:00, then (a minute later) to 20:00. The first move's
    PATCH meets a 503; the group goes on and applies the second; the first's retry then puts
    the event back to 19:00. Unlike message edits, operations on one thing are neither chained
    nor coalesced, so a retry overtakes a later change: members see the wrong time."""
    start = bot.clock.now() + timedelta(days=2)
    async with bot.database.transaction() as session:
        made = await ops.perform(
            session,
            ops.create_event(
                name="Tuesday IOP group", start=start, end=start + timedelta(hours=1),
                location="Room 4",
            ),
            purpose="test.meeting",
            guild_id=world.guild.id,
        )  # fmt: skip
    await sim.advance()
    [event] = world.guild.scheduled_events
    event_id = (await outbox_row(bot.database, made)).external_id
    sim.fail_next(EDIT_EVENT, 503)
    for hours in (1, 2):  # 19:00, then 20:00
        async with bot.database.transaction() as session:
            await ops.perform(
                session,
                ops.edit_event(
                    start=start + timedelta(hours=hours),
                    end=start + timedelta(hours=hours + 1),
                ),
                purpose="test.meeting",
                guild_id=world.guild.id,
                thing_id=event_id,
            )
    await sim.advance(minutes=10)  # the retry comes back

    assert datetime.fromisoformat(event.start_time) == start + timedelta(hours=2)


ADD_MEMBER = "PUT /channels/{channel_id}/thread-members/{user_id}"
EDIT_THREAD = "PATCH /channels/{channel_id}"


async def test_a_thread_is_archived_only_after_the_member_added_before_it(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """A pair's thread: add alice, then archive and lock it (the pair ended at once). Adding
    alice meets a 503 and is retried; the archive, queued after it, waits for it instead of
    overtaking it, so alice is in the thread before it is locked."""
    mentoring = world.guild.add_text_channel("mentoring")
    sim.fail_next(ADD_MEMBER, 503)
    async with bot.database.transaction() as session:
        made = await ops.perform(
            session,
            ops.create_thread(mentoring.id, "pair 7"),
            purpose="test.pair",
            guild_id=world.guild.id,
        )
        for operation in (
            ops.add_thread_member(world.alice.id),
            ops.edit_thread(archived=True, locked=True),
        ):
            await ops.perform(
                session, operation, purpose="test.pair", guild_id=world.guild.id, on=made
            )
    await sim.advance(minutes=10)  # the retry comes back

    [thread] = [t for t in world.guild.threads if t.parent_id == mentoring.id]
    assert world.alice.id in thread.thread_members
    assert (thread.archived, thread.locked) == (True, True)
    order = [(r.route, r.ok) for r in sim.requests if r.route in (ADD_MEMBER, EDIT_THREAD)]
    assert order == [(ADD_MEMBER, False), (ADD_MEMBER, True), (EDIT_THREAD, True)]


async def test_a_message_cancelled_while_its_send_was_under_way_can_still_be_edited(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """An alert is cancelled (a mentor claimed it) while the dispatcher is posting it: the
    post arrives all the same. The feature is told it was sent despite the cancel, with the
    message's id, and edits the copy so the channel no longer asks for help."""
    alerts = private_channel(world, "alerts")
    purpose = "test.alert_withdrawn"
    told: list[ops.Completed] = []

    async def completed(session: Any, done: ops.Completed) -> None:
        told.append(done)
        if done.despite_cancel:
            await outbox.edit(session, done.outbox_id, OutgoingMessage(content="Claimed by mo."))

    ops.on_completed(purpose, completed)
    sender = bot.dispatcher._sender
    deliver = sender.deliver

    async def cancelled_mid_send(row: Claimed, hold: Hold) -> Outcome:
        async with bot.database.transaction() as session:
            assert await outbox.cancel(session, row.id) is Cancelled.IN_FLIGHT
        return await deliver(row, hold)  # already under way: it reaches Discord

    sender.deliver = cancelled_mid_send  # type: ignore[method-assign]
    async with bot.database.transaction() as session:
        alert = await enqueue(
            session,
            target=Target("channel", alerts.id),
            message=OutgoingMessage(content="Someone would like support."),
            purpose=purpose,
            guild_id=world.guild.id,
        )
    await sim.advance()
    sender.deliver = deliver  # type: ignore[method-assign]
    await sim.advance()  # the feature's edit goes out

    [posted] = sim.messages(alerts)
    sends = [d for d in told if d.operation == "send"]  # (its edit is reported too)
    assert [(d.outbox_id, d.despite_cancel, d.external_id) for d in sends] == [
        (alert, True, posted.id)
    ]
    assert texts(sim.messages(alerts)) == ["Claimed by mo."]


async def test_an_alert_committed_during_a_long_ledger_pass_goes_out_before_it_ends(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """The alert comes in while the ledger is already working through a big batch (on SQLite
    its groups follow each other on the one write lock): the alert's own commit and the
    dispatcher's claim get their turn between two groups, not after the whole pass."""
    total = 300
    handled = 0
    busy = asyncio.Event()

    async def slow(_session: Any, _item: DueItem, _subject: int) -> None:
        nonlocal handled
        await asyncio.sleep(0.01)  # a real handler's own work (reads, inserts)
        handled += 1
        if handled == 10:
            busy.set()

    bot.work_kinds.register(
        WorkKind(name="review.prompt", lock_subject=locks.nothing_to_lock, handle=slow)
    )
    now = bot.clock.now()
    async with bot.database.transaction() as session:
        for i in range(total):
            await ledger.schedule(session, "review.prompt", 10_000 + i, now)
    passing = asyncio.create_task(bot.run_due())
    await asyncio.wait_for(busy.wait(), timeout=60)
    async with bot.database.transaction() as session:
        await enqueue(
            session,
            target=Target("dm", world.mo.id),
            message=OutgoingMessage(content="SOS: alice asked for support."),
            purpose="test.sos",
            guild_id=world.guild.id,
            priority=URGENT,
        )
    bot.realtime.start(bot.dispatcher)  # what the commit's wake-up does in real time
    await sim.wait_for_message(world.mo, within=60)
    handled_before_alert = handled
    await asyncio.wait_for(passing, timeout=60)

    assert handled_before_alert < total // 2
