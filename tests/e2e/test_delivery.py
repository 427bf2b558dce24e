"""Timed work and delivery end to end: the real bot, the simulator, both databases.

A tiny test feature (`Reminders`) registers kinds of timed work with each bot, the way real
features do through `Services.work_kinds`, and DMs members through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from bot import runtime
from bot.app import SteadyBot
from bot.config import Settings
from bot.db import Database
from bot.db.models import DueWork, OutboxMessage
from bot.delivery.buttons import ack_button, action_row
from bot.delivery.dispatcher import LEASE, MAX_ATTEMPTS
from bot.delivery.outbox import OutgoingMessage, Target, enqueue, on_undeliverable
from bot.delivery.pacing import Pacer
from bot.scheduling import ledger
from bot.scheduling.kinds import DueItem, Lateness, WorkKind
from bot.scheduling.locks import nothing_to_lock
from bot.simulator import SimChannel, SimMember, SimMessage, Simulator
from tests.e2e.conftest import START, World, url_text

SEND = "POST /channels/{channel_id}/messages"
OPEN_DM = "POST /users/@me/channels"


class Reminders:
    """A test feature: each kind DMs the member whose user id is the item's subject."""

    def __init__(self, guild_id: int) -> None:
        self.guild_id = guild_id

    def install(self, bot: SteadyBot) -> None:
        for kind in (
            WorkKind("test.deliver", nothing_to_lock, self.deliver, lateness=Lateness.DELIVER),
            WorkKind("test.rewrite", nothing_to_lock, self.rewrite, lateness=Lateness.REWRITE),
            WorkKind(
                "test.drop",
                nothing_to_lock,
                self.deliver,
                lateness=Lateness.DROP,
                stale_after=timedelta(hours=1),
            ),
        ):
            bot.work_kinds.register(kind)

    async def deliver(self, session: AsyncSession, item: DueItem, subject: int) -> None:
        late = " (sent late: Steady was offline)" if item.late else ""
        await self._dm(session, item, f"Reminder {item.kind}{late}")

    async def rewrite(self, session: AsyncSession, item: DueItem, subject: int) -> None:
        text = (
            "You missed this morning's prompt; answer any time." if item.late else "Good morning!"
        )
        await self._dm(session, item, text)

    async def _dm(self, session: AsyncSession, item: DueItem, text: str) -> None:
        await enqueue(
            session,
            target=Target("dm", item.subject_id),
            message=OutgoingMessage(content=text),
            purpose="test.reminder",
            subject_id=item.subject_id,
            guild_id=self.guild_id,
        )


async def schedule(bot: SteadyBot, *items: tuple[str, SimMember, timedelta]) -> None:
    async with bot.database.transaction() as session:
        for kind, member, after in items:
            await ledger.schedule(session, kind, member.id, START + after, guild_id=member.guild.id)


async def send(
    bot: SteadyBot,
    world: World,
    target: Target,
    text: str,
    *,
    purpose: str = "test.note",
    fallback: Target | None = None,
    public: bool = False,
    components: tuple[dict[str, object], ...] = (),
) -> int:
    async with bot.database.transaction() as session:
        return await enqueue(
            session,
            target=target,
            message=OutgoingMessage(content=text, components=components),
            purpose=purpose,
            subject_id=target.id,
            guild_id=world.guild.id,
            fallback=fallback,
            public=public,
        )


async def outbox_row(database: Database, row_id: int) -> OutboxMessage:
    async with database.read() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None
    return row


def texts(messages: list[SimMessage]) -> list[str]:
    return [m.content for m in messages]


def embed_text(embeds: list[dict[str, object]]) -> str:
    parts: list[str] = []
    for embed in embeds:
        parts.append(str(embed.get("title", "")))
        for field in embed.get("fields", []) or []:  # type: ignore[attr-defined]
            parts.append(f"{field['name']}: {field['value']}")
    return "\n".join(parts)


def private_channel(world: World, name: str) -> SimChannel:
    channel = world.guild.add_text_channel(name)
    channel.set_permissions(world.guild.everyone, view_channel=False)
    channel.set_permissions(world.mods, view_channel=True)
    channel.set_permissions(world.guild.me, view_channel=True)  # Steady itself may post there
    return channel


# -- restarts and catch-up -----------------------------------------------------------------------


async def test_work_due_while_down_is_handled_once_after_restart_by_policy(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    feature = Reminders(world.guild.id)
    async with sim.run_bot(database_url=url, now=START) as bot:
        feature.install(bot)
        await schedule(
            bot,
            ("test.deliver", world.mo, timedelta(minutes=30)),
            ("test.deliver", world.alice, timedelta(hours=1)),
            ("test.rewrite", world.bob, timedelta(hours=2)),
            ("test.drop", world.dana, timedelta(hours=3)),
            ("test.drop", world.mo, timedelta(hours=5, minutes=30)),
        )
        await sim.advance(minutes=45)
        assert texts(sim.dms(world.mo)) == ["Reminder test.deliver"]
    # The bot is stopped with four items due in the next hours; it comes back after six.
    async with sim.run_bot(database_url=url, now=START + timedelta(hours=6)) as bot:
        feature.install(bot)
        await sim.advance()
        await sim.advance(days=1)  # and nothing more happens later

        assert texts(sim.dms(world.alice)) == [
            "Reminder test.deliver (sent late: Steady was offline)"
        ]
        assert texts(sim.dms(world.bob)) == ["You missed this morning's prompt; answer any time."]
        assert sim.dms(world.dana) == []  # three hours stale: dropped
        assert texts(sim.dms(world.mo)) == [
            "Reminder test.deliver",
            "Reminder test.drop (sent late: Steady was offline)",  # 30 min late: still useful
        ]
        async with bot.database.read() as session:
            dropped = (
                await session.scalars(select(DueWork).where(DueWork.state == "dropped"))
            ).one()
        assert dropped.subject_id == world.dana.id
        assert dropped.reason == "stale: 3 h late"

        status = await sim.slash(world.mo, "setup status")
        shown = embed_text(status.embeds)
        assert status.ephemeral
        assert "dropped as stale, last 24 h: **1**" in shown
        assert "`test.drop`: stale: 3 h late" in shown


async def test_persistent_button_still_works_after_a_restart(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    async with sim.run_bot(database_url=url, now=START) as bot:
        row_id = await send(
            bot,
            world,
            Target("dm", world.alice.id),
            "Your group meets at six.",
            components=(action_row(ack_button("Got it")),),
        )
        await sim.advance()
    [message] = sim.dms(world.alice)
    assert message.components[0]["components"][0]["custom_id"] == f"steady:ack:{row_id}"

    async with sim.run_bot(database_url=url) as bot:
        first = await sim.click(world.alice, message, label="Got it")
        again = await sim.click(world.alice, message, label="Got it")
        assert (first.content, first.ephemeral) == ("Thanks, noted.", True)
        assert again.content == "Already noted, thank you."
        row = await outbox_row(bot.database, row_id)
        assert row.acknowledged_by == world.alice.id


# -- crashes -------------------------------------------------------------------------------------

CRASH_AFTER_SEND = r"""
import asyncio, os, signal, sys
from datetime import datetime

from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery.dispatcher import Sent
from bot.runtime import create_bot, open_database
from bot.simulator.harness import discord_endpoints


async def main(url: str, api: str, gateway: str, token: str, now: str) -> None:
    settings = Settings(database_url=url, discord_token=token)
    database = await open_database(settings)
    bot = create_bot(settings, database, ManualClock(datetime.fromisoformat(now)), background=False)
    record = bot.dispatcher._record

    async def record_or_die(row, outcome):
        if isinstance(outcome, Sent):
            # Discord has accepted the message; the row is not marked sent yet.
            os.kill(os.getpid(), signal.SIGKILL)
        await record(row, outcome)

    bot.dispatcher._record = record_or_die
    with discord_endpoints(api, gateway):
        await bot.login(token)
        await bot.run_due()


asyncio.run(main(*sys.argv[1:]))
"""


async def test_sigkill_between_accepted_and_marked_sent_posts_once(
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
    assert await process.wait() == -signal.SIGKILL
    assert texts(sim.dms(world.alice)) == ["Day 30. We're proud of you."]

    async with sim.run_bot(database_url=url, now=START) as bot:
        row = await outbox_row(bot.database, row_id)
        assert (row.state, row.attempts) == ("pending", 1)  # claimed by the dead process
        await sim.advance(minutes=2)  # its lease runs out; this process sends again
        row = await outbox_row(bot.database, row_id)

    assert (row.state, row.attempts) == ("sent", 2)
    assert texts(sim.dms(world.alice)) == ["Day 30. We're proud of you."]
    posts = [r for r in sim.requests if r.route == SEND and r.ok]
    assert [p.json["nonce"] for p in posts] == [f"s{row_id}", f"s{row_id}"]
    assert all(p.json["enforce_nonce"] is True for p in posts)
    assert row.sent_message_id == sim.dms(world.alice)[0].id


# -- refusals and fallbacks ----------------------------------------------------------------------


async def test_closed_dms_go_to_a_private_fallback_and_never_to_a_public_channel(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    undeliverable: list[tuple[int | None, str]] = []

    async def note(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        undeliverable.append((subject_id, reason))

    on_undeliverable("test.private", note)
    mentors = private_channel(world, "mentors")
    carol = Target("dm", world.carol.id)  # carol's DMs are closed
    to_private = await send(
        bot, world, carol, "private: to the mentors channel", purpose="test.private",
        fallback=Target("channel", mentors.id),
    )  # fmt: skip
    to_public = await send(
        bot, world, carol, "private: must not reach #general", purpose="test.private",
        fallback=Target("channel", world.general.id),
    )  # fmt: skip
    nowhere = await send(bot, world, carol, "private: no fallback", purpose="test.private")
    meant_public = await send(
        bot, world, carol, "public: welcome back", purpose="test.public",
        fallback=Target("channel", world.general.id), public=True,
    )  # fmt: skip
    await sim.advance()

    assert sim.dms(world.carol) == []
    assert texts(sim.messages(mentors)) == ["private: to the mentors channel"]
    assert texts(sim.messages(world.general)) == ["public: welcome back"]
    rows = {i: await outbox_row(bot.database, i) for i in (to_private, to_public, nowhere)}
    assert (rows[to_private].state, rows[to_private].delivered_to) == ("sent", "fallback")
    assert rows[to_public].state == "failed"
    assert rows[to_public].last_error == ("DMs closed (403/50007); fallback channel is not private")
    assert rows[nowhere].state == "failed"
    assert sorted(undeliverable) == sorted(
        [
            (world.carol.id, "DMs closed (403/50007); fallback channel is not private"),
            (world.carol.id, "DMs closed (403/50007)"),
        ]
    )
    assert (await outbox_row(bot.database, meant_public)).delivered_to == "fallback"


# -- transient and permanent errors --------------------------------------------------------------


async def test_server_errors_and_rate_limits_are_retried_until_delivered(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    sim.fail_next(SEND, 500)  # discord.py retries this one itself, once
    sim.fail_next(SEND, 429)
    first = await send(bot, world, Target("dm", world.alice.id), "one")
    await sim.advance()
    assert texts(sim.dms(world.alice)) == ["one"]
    assert (await outbox_row(bot.database, first)).attempts == 1

    for _ in range(3):  # 503s reach the dispatcher, which backs off
        sim.fail_next(SEND, 503)
    second = await send(bot, world, Target("dm", world.bob.id), "two")
    await sim.advance()
    row = await outbox_row(bot.database, second)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "503")
    assert sim.dms(world.bob) == []
    await sim.advance(minutes=5)  # the back-offs (10 s, 20 s, 40 s, with jitter) pass
    row = await outbox_row(bot.database, second)
    assert (row.state, row.attempts) == ("sent", 4)
    assert texts(sim.dms(world.bob)) == ["two"]
    statuses = [r.status for r in sim.requests if r.route == SEND]
    assert statuses == [500, 429, 200, 503, 503, 503, 200]


async def test_a_network_failure_is_retried_and_delivers_one_copy(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    sim.fail_next(SEND, 0)  # the connection drops before Discord answers
    row_id = await send(bot, world, Target("dm", world.alice.id), "still here")
    await sim.advance()
    row = await outbox_row(bot.database, row_id)
    assert row.state == "pending"
    assert (row.last_error or "").startswith("network")
    assert sim.dms(world.alice) == []
    await sim.advance(minutes=5)
    assert texts(sim.dms(world.alice)) == ["still here"]
    assert (await outbox_row(bot.database, row_id)).state == "sent"


async def test_a_permanent_error_goes_dead_and_shows_in_setup_status(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    undeliverable: list[tuple[int | None, str]] = []

    async def note(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        undeliverable.append((subject_id, reason))

    on_undeliverable("test.broken", note)
    sim.fail_next(SEND, 400, 50035)
    row_id = await send(
        bot, world, Target("channel", world.general.id), "a secret note", purpose="test.broken"
    )
    await sim.advance(hours=1)
    row = await outbox_row(bot.database, row_id)
    assert (row.state, row.attempts, row.last_error) == ("dead", 1, "400/50035")
    assert undeliverable == [(world.general.id, "400/50035")]

    status = await sim.slash(world.mo, "setup status")
    shown = embed_text(status.embeds)
    assert "dead: **1**" in shown
    assert "`test.broken`: 400/50035" in shown
    assert "secret" not in shown
    refused = await sim.slash(world.alice, "setup status", bypass_permissions=True)
    assert "for moderators" in refused.content
    assert refused.embeds == []


# -- several processes, gateway trouble ------------------------------------------------------------


@pytest.fixture
async def second_bot(sim: Simulator, world: World, database_url: URL) -> AsyncIterator[SteadyBot]:
    """Another Steady process on the same database: its own engine and pool, REST only (timed
    work needs no gateway)."""
    settings = Settings(database_url=url_text(database_url), discord_token=sim.token)
    database = await runtime.open_database(settings)
    assert sim.clock is not None
    other = runtime.create_bot(settings, database, sim.clock, background=False)
    with sim.discord_endpoints():
        await other.login(sim.token)
        try:
            yield other
        finally:
            await runtime.shutdown(other)


async def test_two_processes_handle_every_due_item_once(
    sim: Simulator, world: World, bot: SteadyBot, second_bot: SteadyBot
) -> None:
    feature = Reminders(world.guild.id)
    members = [world.guild.add_member(f"member{i}") for i in range(60)]
    for process in (bot, second_bot):
        feature.install(process)
        process.ledger.batch_size = 7
        process.dispatcher.batch_size = 5
    await schedule(
        bot,
        *(("test.deliver", m, timedelta(minutes=10 + i % 3)) for i, m in enumerate(members)),
    )
    assert sim.clock is not None
    for minute in (10, 11, 12):
        sim.clock.set(START + timedelta(minutes=minute))
        await asyncio.gather(bot.run_due(), second_bot.run_due())

    assert [len(sim.dms(m)) for m in members] == [1] * 60
    handled = (bot.ledger.last_run.handled, second_bot.ledger.last_run.handled)
    sent = bot.dispatcher.stats.sent + second_bot.dispatcher.stats.sent
    assert sent == 60
    async with bot.database.read() as session:
        # Only this test's kind: features plan their own daily work at start (note retention).
        states = (
            await session.scalars(select(DueWork.state).where(DueWork.kind == "test.deliver"))
        ).all()
    assert states == ["done"] * 60
    assert sum(handled) > 0


async def test_a_gateway_drop_mid_delivery_loses_and_doubles_nothing(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    feature = Reminders(world.guild.id)
    feature.install(bot)
    members = [world.guild.add_member(f"member{i}") for i in range(40)]
    await schedule(bot, *(("test.deliver", m, timedelta(minutes=1)) for m in members))
    delivering = asyncio.create_task(sim.advance(minutes=5))
    await sim.wait_for_request(SEND)  # deliveries have begun
    await sim.disconnect()
    await delivering
    assert [texts(sim.dms(m)) for m in members] == [["Reminder test.deliver"]] * 40
    another = await sim.slash(world.mo, "setup status")  # and the bot still answers
    assert "pending: **0**" in embed_text(another.embeds)


async def test_a_long_rate_limit_reschedules_the_row_without_spending_an_attempt(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    """A 429 longer than the bot's max_ratelimit_timeout is not slept through inside
    discord.py: the dispatcher hears of it and comes back after Retry-After."""
    sim.fail_next(SEND, 429, retry_after=120)
    row_id = await send(bot, world, Target("channel", world.general.id), "after the wait")
    await asyncio.wait_for(sim.advance(), timeout=30)  # not 120 s asleep in discord.py
    row = await outbox_row(bot.database, row_id)
    assert (row.state, row.attempts, row.last_error) == ("pending", 0, "429")
    assert row.next_attempt_at == START + timedelta(seconds=120)
    assert [r.status for r in sim.requests if r.route == SEND] == [429]
    await sim.advance(seconds=119)
    assert sim.messages(world.general) == []  # it waits as long as asked
    await sim.advance(minutes=1)
    row = await outbox_row(bot.database, row_id)
    assert (row.state, row.attempts) == ("sent", 1)
    assert texts(sim.messages(world.general)) == ["after the wait"]
    assert [r.status for r in sim.requests if r.route == SEND] == [429, 200]


async def test_a_401_keeps_the_queue_and_says_to_check_the_token(
    sim: Simulator, world: World, bot: SteadyBot, caplog: pytest.LogCaptureFixture
) -> None:
    sim.fail_next(SEND, 401)  # as after the token was reset
    mentors = private_channel(world, "mentors")
    first = await send(bot, world, Target("channel", mentors.id), "a private note")
    second = await send(bot, world, Target("channel", mentors.id), "another private note")
    with caplog.at_level(logging.WARNING):
        await sim.advance()
    rows = [await outbox_row(bot.database, i) for i in (first, second)]
    assert [(r.state, r.attempts) for r in rows] == [("pending", 0), ("pending", 0)]
    assert all((r.last_error or "").startswith("401") for r in rows)
    # One request got the 401; the other row is held without asking Discord again.
    assert [r.status for r in sim.requests if r.route == SEND] == [401]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("401" in w and "DISCORD_TOKEN" in w for w in warnings)
    assert not any("private note" in w for w in warnings)
    await sim.advance(minutes=10)  # the token works again
    rows = [await outbox_row(bot.database, i) for i in (first, second)]
    assert [(r.state, r.attempts) for r in rows] == [("sent", 1), ("sent", 1)]
    assert texts(sim.messages(mentors)) == ["a private note", "another private note"]


class GatedPacer(Pacer):
    """Holds each request of the dispatcher until the test lets it go, so the test can move
    the clock while a batch is in flight (as real time passes during a long batch)."""

    def __init__(self) -> None:
        super().__init__(rate=1000)
        self.arrived: asyncio.Queue[None] = asyncio.Queue()
        self.go = asyncio.Semaphore(0)

    async def acquire(self, *, urgent: bool = False) -> None:
        await super().acquire(urgent=urgent)
        self.arrived.put_nowait(None)
        await self.go.acquire()

    async def next_request(self) -> None:
        await asyncio.wait_for(self.arrived.get(), timeout=30)


async def test_a_long_batch_keeps_its_claim_so_no_other_process_takes_it_over(
    sim: Simulator, world: World, bot: SteadyBot, second_bot: SteadyBot
) -> None:
    assert sim.clock is not None
    channel = Target("channel", world.general.id)
    ids = [await send(bot, world, channel, f"line {i}") for i in range(3)]
    gate = GatedPacer()
    bot.dispatcher.pacer = gate
    sending = asyncio.create_task(bot.dispatcher.run_due())  # one batch, one channel: in order

    await gate.next_request()  # line 0
    sim.clock.set(START + LEASE / 2)  # slow going (the channel allows 5 messages per 5 s)
    gate.go.release()
    await gate.next_request()  # line 1
    sim.clock.set(START + LEASE + timedelta(seconds=10))  # the first lease is over by now
    await second_bot.dispatcher.run_due()  # another process looks for work meanwhile
    gate.go.release()
    await gate.next_request()  # line 2
    gate.go.release()
    await asyncio.wait_for(sending, timeout=30)

    assert second_bot.dispatcher.stats.sent == 0
    assert bot.dispatcher.stats.sent == 3
    assert bot.dispatcher.stats.claims_lost == 0
    rows = [await outbox_row(bot.database, i) for i in ids]
    assert [(r.state, r.attempts) for r in rows] == [("sent", 1)] * 3
    assert texts(sim.messages(world.general)) == ["line 0", "line 1", "line 2"]
    assert len([r for r in sim.requests if r.route == SEND]) == 3


async def test_stopping_finishes_the_row_in_flight_and_releases_the_rest(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    channel = Target("channel", world.general.id)
    ids = [await send(bot, world, channel, f"line {i}") for i in range(5)]
    bot.dispatcher.batch_size = 3
    gate = GatedPacer()
    bot.dispatcher.pacer = gate
    sending = asyncio.create_task(bot.dispatcher.run_due())
    await gate.next_request()  # line 0 is being sent when shutdown begins
    bot.dispatcher.stop()  # what SteadyBot.close does first
    gate.go.release()
    await asyncio.wait_for(sending, timeout=30)  # returns without draining the backlog

    assert texts(sim.messages(world.general)) == ["line 0"]
    rows = [await outbox_row(bot.database, i) for i in ids]
    assert (rows[0].state, rows[0].attempts) == ("sent", 1)
    # Claimed but not begun: given back at once, attempt returned; the rest never claimed.
    assert [(r.state, r.attempts, r.claimed_by) for r in rows[1:]] == [("pending", 0, None)] * 4
    assert all(r.next_attempt_at <= START for r in rows[1:])


async def test_a_failing_undeliverable_handler_does_not_stall_other_messages(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    async def broken(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        raise RuntimeError("the feature's bookkeeping failed")

    on_undeliverable("test.fragile", broken)
    carol = Target("dm", world.carol.id)  # DMs closed, no fallback: undeliverable
    refused = await send(bot, world, carol, "for carol", purpose="test.fragile")
    fine = await send(bot, world, Target("dm", world.alice.id), "for alice")
    await sim.advance()
    assert texts(sim.dms(world.alice)) == ["for alice"]
    assert (await outbox_row(bot.database, fine)).state == "sent"
    row = await outbox_row(bot.database, refused)
    assert (row.state, row.attempts, row.hook) == ("failed", 1, "undeliverable")
    assert row.last_error == "DMs closed (403/50007); handler failed: RuntimeError"

    await sim.advance(days=2)  # the handler is retried with back-off, then given up
    row = await outbox_row(bot.database, refused)
    assert (row.state, row.attempts, row.hook, row.hook_attempts) == (
        "failed",
        1,  # carol was asked once: her DMs are closed, asking again changes nothing
        None,
        MAX_ATTEMPTS,
    )
    assert await bot.dispatcher.next_due() is None
    assert sim.dms(world.carol) == []
    assert len([r for r in sim.requests if r.route == OPEN_DM and r.status == 403]) <= 1
