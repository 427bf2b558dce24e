"""The Bot subclass: wiring only. Resources are made in `bot.runtime` and passed in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.delivery import tracing
from bot.delivery.acks import Acknowledgements
from bot.delivery.components import PERSISTENT_ITEMS
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.pacing import Pacer, SharedPacer, WindowPacer
from bot.delivery.status import DeliveryHealth
from bot.scheduling.kinds import KindRegistry
from bot.scheduling.maintenance import prune
from bot.scheduling.rebuild import rebuild_all
from bot.scheduling.runner import LedgerRunner
from bot.scheduling.side_by_side import SideBySide
from bot.scheduling.wakeups import WakeUps
from bot.security.notes import NotesCipher
from bot.services.container import Services, build_services
from bot.timed_work import TimedWork
from bot.tree import SteadyTree, publish
from cogs import EXTENSIONS

log = logging.getLogger(__name__)


def intents(settings: Settings | None = None) -> discord.Intents:
    # Slash commands arrive as interactions, so no message-content intent. The members intent
    # only when the operator turned it on: it tells Steady who left, to erase their data later.
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.members = settings is not None and settings.members_intent
    # Meetings: voice presence counts attendance, and Interested on a meeting's event counts as
    # an RSVP. Neither intent is privileged.
    chosen.voice_states = True
    chosen.guild_scheduled_events = True
    return chosen


class SteadyBot(commands.Bot):
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        clock: Clock,
        background: bool = True,
        cipher: NotesCipher | None = None,
        **client_options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(settings),
            tree_cls=SteadyTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            # Longer rate-limit waits surface as discord.RateLimited instead of being slept
            # through: the dispatcher reschedules the row (discord.py's minimum is 30 s).
            max_ratelimit_timeout=client_options.pop("max_ratelimit_timeout", 30.0),
            # Tells the dispatcher whether a timed-out attempt may have reached Discord.
            http_trace=client_options.pop("http_trace", None)
            or tracing.trace_config(unpaced=self._pacer),
            # Several processes: the shard this one identifies as (bot/config.py). Discord then
            # sends each server's events, its commands and buttons, to one process only, and
            # those without a server (buttons in DMs) to shard 0.
            shard_id=settings.shard_id,
            shard_count=settings.shard_count,
            **client_options,
        )
        self.settings = settings
        self.database = database
        self.clock = clock
        self.services: Services = build_services(database, clock, settings, cipher)
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            # A wake-up that fires late still runs; the database decides what is due.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        # Features hand over their kinds of timed work through `Services.work_kinds`.
        self.work_kinds = KindRegistry(self.services.work_kinds())
        self.ledger = LedgerRunner(database, clock, self.work_kinds)
        self.dispatcher = Dispatcher(
            self.http,
            database,
            clock,
            # Processes on one PostgreSQL database share Discord's global budget.
            pacer=SharedPacer(database) if database.dialect == "postgresql" else WindowPacer(),
            bot_user_id=lambda: self.user.id if self.user is not None else None,
        )
        # Each drains in a task of its own (bot.scheduling.side_by_side); the ledger first:
        # when its pass ends the dispatcher looks again for the messages its handlers wrote.
        self.timed_work: list[TimedWork] = [self.ledger, self.dispatcher]
        self.delivery_health = DeliveryHealth(database, clock)
        self.acknowledgements = Acknowledgements(database, clock)
        # Due work never waits for a wave of messages, nor an alert for a long ledger pass.
        self.realtime = SideBySide(self.timed_work)
        self.wakeups = WakeUps(
            self.scheduler,
            self.realtime,
            clock,
            maintenance=lambda: prune(database, clock),
            rebuild=lambda: rebuild_all(database, clock, self.work_kinds),
        )
        self.realtime.after_drain = self.wakeups.arm
        self._background = background
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        # Before the gateway connects, so clicks on buttons sent before a restart are routed.
        self.add_dynamic_items(*PERSISTENT_ITEMS)
        if self._background:
            await self.services.on_start()
            # Here and not in on_ready, which fires again after every reconnect.
            self.scheduler.start()
            # Real-time wake-ups only with the real clock: with a ManualClock (tests, demo) the
            # simulator drives `run_due`, and APScheduler's real time would mean nothing.
            if isinstance(self.clock, SystemClock):
                await self.wakeups.start()
        if self.settings.dev_guild_id is not None and self._background:
            await publish(self.tree, self.settings.dev_guild_id)
            log.info("synced commands to the development guild")

    async def on_app_command_completion(
        self,
        _interaction: discord.Interaction[SteadyBot],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        # The command's name only: its options may hold a member's dates or words.
        log.debug("/%s answered", command.qualified_name)

    def _pacer(self) -> Pacer | None:
        """The pacer counting this process's requests made outside its slots (bot/delivery/
        tracing.py): none until the dispatcher exists (discord.py logs in after)."""
        dispatcher = getattr(self, "dispatcher", None)
        return dispatcher.pacer if dispatcher is not None else None

    def track(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `work` in the background; shutdown waits for it."""
        task = asyncio.create_task(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    async def background_settled(self) -> None:
        """Wait for the work handed to `track` (what a command does after its reply)."""
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))

    async def next_wakeup(self) -> datetime | None:
        due = [when for work in self.timed_work if (when := await work.next_due()) is not None]
        return min(due, default=None)

    async def run_due(self) -> None:
        """The simulator's (and tests') pass: the same side-by-side drains as in real time,
        waited for until everything due has settled."""
        await self.realtime.run_settled()

    async def close(self) -> None:
        # Claim no more work; a pass in progress gets the grace period, then is cancelled.
        self.ledger.stop()
        self.dispatcher.stop()
        await self.wakeups.stop(grace=self.settings.shutdown_grace_seconds)
        await self.realtime.stop(grace=self.settings.shutdown_grace_seconds)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._in_flight:
            _done, pending = await asyncio.wait(
                self._in_flight, timeout=self.settings.shutdown_grace_seconds
            )
            if pending:
                log.warning("%d background tasks did not finish before shutdown", len(pending))
        await self.dispatcher.pacer.close()
        await super().close()
