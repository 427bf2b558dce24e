"""Threads and scheduled events through the outbox, end to end.

A small test feature does what mentoring pairs and meetings will: a private thread for a pair
(both members added, a welcome posted once the thread exists, archived and locked when the
pair ends), and a scheduled event mirrored, moved and removed.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime, timedelta

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from bot import runtime
from bot.app import SteadyBot
from bot.config import Settings
from bot.delivery import operations as ops
from bot.delivery.outbox import OutgoingMessage, Target, enqueue, on_undeliverable
from bot.simulator import Simulator
from tests.e2e.conftest import START, World, url_text
from tests.e2e.test_delivery import outbox_row, texts

CREATE_THREAD = "POST /channels/{channel_id}/threads"
CREATE_EVENT = "POST /guilds/{guild_id}/scheduled-events"


class Pairs:
    """A test feature: a private thread per mentoring pair, announced inside once it exists."""

    def __init__(self) -> None:
        self.threads: dict[int, int] = {}  # pair id → thread id, as a feature's table would

    def install(self) -> None:
        ops.on_completed("test.pair_thread", self._made)

    async def _made(self, session: AsyncSession, done: ops.Completed) -> None:
        if done.operation != ops.THREAD_CREATE or done.subject_id is None:
            return
        self.threads[done.subject_id] = done.external_id
        await enqueue(
            session,
            target=Target("channel", done.external_id),
            message=OutgoingMessage(content="Welcome, you two. This space is yours."),
            purpose="test.pair_welcome",
        )

    async def match(self, bot: SteadyBot, world: World, pair: int, channel_id: int) -> int:
        async with bot.database.transaction() as session:
            thread = await ops.perform(
                session,
                ops.create_thread(channel_id, f"pair {pair}"),
                purpose="test.pair_thread",
                guild_id=world.guild.id,
                subject_id=pair,
            )
            for member in (world.alice, world.mo):
                await ops.perform(
                    session,
                    ops.add_thread_member(member.id),
                    purpose="test.pair_thread",
                    guild_id=world.guild.id,
                    subject_id=pair,
                    on=thread,
                )
        return thread


async def test_a_pair_gets_a_private_thread_with_both_members_and_a_welcome(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    pairs = Pairs()
    pairs.install()
    mentoring = world.guild.add_text_channel("mentoring")
    await pairs.match(bot, world, 7, mentoring.id)
    await sim.advance()

    [thread] = [t for t in world.guild.threads if t.parent_id == mentoring.id]
    assert pairs.threads == {7: thread.id}  # the feature heard the new thread's id
    assert thread.type == 12  # private: only the pair (and moderators) see it
    assert {world.alice.id, world.mo.id} <= set(thread.thread_members)
    assert world.bob.id not in thread.thread_members
    assert texts(sim.messages(thread)) == ["Welcome, you two. This space is yours."]

    async with bot.database.transaction() as session:  # the pair ends
        await ops.perform(
            session,
            ops.edit_thread(archived=True, locked=True),
            purpose="test.pair_thread",
            guild_id=world.guild.id,
            thing_id=thread.id,
        )
    await sim.advance()
    assert (thread.archived, thread.locked) == (True, True)


async def test_operations_on_a_thread_that_could_not_be_made_are_dropped(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    failures: list[str] = []

    async def note(session: AsyncSession, subject_id: int | None, reason: str) -> None:
        failures.append(reason)

    on_undeliverable("test.pair_thread", note)
    sim.fail_next(CREATE_THREAD, 403, 50013)  # the bot lost Create Private Threads there
    thread = await Pairs().match(bot, world, 8, world.general.id)
    await sim.advance(minutes=5)
    assert world.guild.threads == []
    assert failures == ["target unavailable (403/50013)"]
    assert (await outbox_row(bot.database, thread)).state == "failed"
    assert [r for r in sim.requests if "thread-members" in r.route] == []


async def test_a_meeting_event_is_created_moved_and_removed_in_order(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    start = START + timedelta(days=2)
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
        await ops.perform(
            session,
            ops.edit_event(start=start + timedelta(hours=1), end=start + timedelta(hours=2)),
            purpose="test.meeting",
            guild_id=world.guild.id,
            on=made,
        )
    await sim.advance()
    [event] = world.guild.scheduled_events
    assert event.name == "Tuesday IOP group"
    assert datetime.fromisoformat(event.start_time) == start + timedelta(hours=1)
    row = await outbox_row(bot.database, made)
    assert (row.state, row.external_id) == ("sent", event.id)

    async with bot.database.transaction() as session:
        await ops.perform(
            session, ops.delete_event(), purpose="test.meeting", guild_id=world.guild.id,
            thing_id=event.id,
        )  # fmt: skip
        again = await ops.perform(
            session, ops.delete_event(), purpose="test.meeting", guild_id=world.guild.id,
            thing_id=event.id,
        )  # fmt: skip
    await sim.advance()
    assert event.deleted
    assert (await outbox_row(bot.database, again)).state == "sent"  # already gone: done


CRASH_AFTER_CREATE = r"""
import asyncio, os, signal, sys
from datetime import datetime

from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery.outcomes import Done
from bot.runtime import create_bot, open_database
from bot.simulator.harness import discord_endpoints


async def main(url: str, api: str, gateway: str, token: str, now: str) -> None:
    settings = Settings(database_url=url, discord_token=token)
    database = await open_database(settings)
    bot = create_bot(settings, database, ManualClock(datetime.fromisoformat(now)), background=False)
    record = bot.dispatcher._record

    async def record_or_die(row, outcome):
        if isinstance(outcome, Done):
            os.kill(os.getpid(), signal.SIGKILL)  # made on Discord, not marked done
        await record(row, outcome)

    bot.dispatcher._record = record_or_die
    with discord_endpoints(api, gateway):
        await bot.login(token)
        await bot.run_due()


asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_create_whose_outcome_was_lost_is_found_instead_of_made_twice(
    sim: Simulator, world: World, database_url: URL
) -> None:
    url = url_text(database_url)
    start = START + timedelta(days=1)
    database = await runtime.open_database(Settings(database_url=url))
    try:
        async with database.transaction() as session:
            made = await ops.perform(
                session,
                ops.create_event(
                    name="Peer meeting", start=start, end=start + timedelta(hours=1),
                    location="Online",
                ),
                purpose="test.meeting",
                guild_id=world.guild.id,
            )  # fmt: skip
    finally:
        await database.dispose()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASH_AFTER_CREATE,
        url, sim.api_base, sim.gateway_url, sim.token, START.isoformat(),
    )  # fmt: skip
    assert await process.wait() == -signal.SIGKILL
    assert len(world.guild.scheduled_events) == 1

    async with sim.run_bot(database_url=url, now=START + timedelta(minutes=3)) as bot:
        await sim.advance()
        row = await outbox_row(bot.database, made)

    [event] = world.guild.scheduled_events
    assert (row.state, row.external_id) == ("sent", event.id)
    assert len([r for r in sim.requests if r.route == CREATE_EVENT and r.ok]) == 1
