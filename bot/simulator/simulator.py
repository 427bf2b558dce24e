"""`Simulator`: a local Discord (REST v10 + gateway) on loopback, and the test-facing API."""

from __future__ import annotations

import base64
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import discord
from aiohttp import web
from sqlalchemy.engine import URL

from bot.clock import ManualClock
from bot.simulator import harness, intents
from bot.simulator import permissions as perms
from bot.simulator.automation import Automation
from bot.simulator.commands import CommandRegistry
from bot.simulator.errors import CommandNotAvailable, SimulatorError
from bot.simulator.gateway import MESSAGE_CONTENT, Gateway
from bot.simulator.ids import real_now
from bot.simulator.interactions import InteractionHub
from bot.simulator.member_actions import MemberActions
from bot.simulator.messages import MessageStore
from bot.simulator.presence import PresenceActions
from bot.simulator.ratelimit import RateLimiter
from bot.simulator.routes import RestApi
from bot.simulator.server import Faults, RequestLog, SimRequest, build_app
from bot.simulator.state import (
    JSON,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimScheduledEvent,
    SimUser,
    World,
    user_of,
)
from bot.simulator.transcript import Transcript
from bot.simulator.waiting import Changes

T = TypeVar("T")

if TYPE_CHECKING:
    from bot.app import SteadyBot


class _SettableClock(Protocol):
    def now(self) -> datetime: ...
    def set(self, instant: datetime) -> None: ...


class Simulator(MemberActions, PresenceActions):
    """A local stand-in for Discord. Windows are real seconds measured with `time_source`.

    Tests shorten the windows (`ack_timeout`, `token_lifetime`, rate limits) instead of
    waiting for real ones; the bot's business clock (`sim.clock`) is separate and moves only
    with `advance`.
    """

    def __init__(
        self,
        *,
        bot_name: str = "Steady",
        bot_permissions: int = perms.BOT_DEFAULT,
        ack_timeout: float = 3.0,
        token_lifetime: float = 15 * 60.0,
        reply_timeout: float = 15.0,
        global_rate_limit: tuple[int, float] = (50, 1.0),
        channel_message_rate_limit: tuple[int, float] = (5, 5.0),
        nonce_window: float = 5 * 60.0,
        heartbeat_interval_ms: int = 41_250,
        guild_ready_timeout: float = 0.05,
        ready_timeout: float = 30.0,
        wait_timeout: float = 10.0,
        time_source: Callable[[], float] = time.monotonic,
        privileged_intents: Iterable[str] = (),
    ) -> None:
        self.world = World(bot_name=bot_name, bot_permissions=bot_permissions)
        self.privileged_intents = set(privileged_intents)
        self.token = _token(self.world.application_id)
        self.guild_ready_timeout = guild_ready_timeout
        self.ready_timeout = ready_timeout
        self.wait_timeout = wait_timeout
        # Simulated time the bot's clock skipped (advance, a restart after downtime) counts
        # towards Discord's windows that are about elapsed time, such as the nonce window:
        # a retry hours later in the bot's time must not be de-duplicated as a quick repeat.
        self._skipped = 0.0
        self.messages_store = MessageStore(
            self.world,
            nonce_window=nonce_window,
            time_source=lambda: time_source() + self._skipped,
        )
        self.commands = CommandRegistry(self.world, self.world.ids)
        self.interactions = InteractionHub(
            self.world,
            self.messages_store,
            ack_timeout=ack_timeout,
            token_lifetime=token_lifetime,
            reply_timeout=reply_timeout,
            time_source=time_source,
        )
        # Woken by every message change, every request and every gateway session's change,
        # for `wait_until` and friends.
        self._changes = Changes()
        self.gateway = Gateway(
            self.world,
            token=self.token,
            heartbeat_interval_ms=heartbeat_interval_ms,
            resume_url=lambda: self.gateway_url,
            message_filter=self._without_content,
            changes=self._changes,
        )
        self.limiter = RateLimiter(
            global_limit=global_rate_limit,
            channel_messages=channel_message_rate_limit,
            time_source=time_source,
        )
        self.faults = Faults()
        self.request_log = RequestLog()
        self.rest = RestApi(
            self.world,
            self.messages_store,
            self.commands,
            self.interactions,
            gateway_url=lambda: self.gateway_url,
            business_now=lambda: self.clock.now() if self.clock is not None else None,
        )
        self.clock: _SettableClock | None = None
        self.bot: SteadyBot | None = None
        self.world.now = self.now
        # Discord's own automation over time (scheduled-event status, thread archiving);
        # its figures are attributes tests may change (`sim.automation.empty_channel_grace`).
        self.automation = Automation(self.world)
        self.world.on_message(lambda _message: self._changes.notify())
        self.request_log.on_add(self._changes.notify)
        self.world.set_emitter(self.gateway.dispatch)
        self.transcript = Transcript(self.world)
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = build_app(
            rest=self.rest,
            gateway=self.gateway,
            limiter=self.limiter,
            faults=self.faults,
            requests=self.request_log,
            world=self.world,
            token=lambda: self.token,  # read at each request: `reset_token` changes it
        )
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self.world.attachment_base = f"http://127.0.0.1:{self._port}"

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway"

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def privileged_intents(self) -> set[str]:
        """The privileged intents enabled for the application, by discord.py's names
        (`members`, `presences`, `message_content`); none unless the test enables them."""
        return {name for name, bit in intents.NAMES.items() if self.world.privileged_intents & bit}

    @privileged_intents.setter
    def privileged_intents(self, names: Iterable[str]) -> None:
        self.world.privileged_intents = intents.privileged_bits(names)

    @property
    def bot_user(self) -> SimUser:
        return self.world.bot_user

    @property
    def requests(self) -> list[SimRequest]:
        return self.request_log.entries

    # -- running bots ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def discord_endpoints(self) -> Iterator[None]:
        """Point discord.py (REST base and gateway) at this simulator while the block runs."""
        with harness.discord_endpoints(self.api_base, self.gateway_url):
            yield

    @contextlib.asynccontextmanager
    async def run_client(
        self,
        client: discord.Client,
        *,
        tree: discord.app_commands.CommandTree[Any] | None = None,
    ) -> AsyncIterator[discord.Client]:
        """Any discord.py client, started and ready; its command tree synced globally."""
        with self.discord_endpoints():
            async with harness.running(client, self.token, ready_timeout=self.ready_timeout):
                tree = tree or getattr(client, "tree", None)
                if tree is not None:
                    await tree.sync()
                yield client

    @contextlib.asynccontextmanager
    async def run_bot(
        self,
        database_url: str | URL,
        now: datetime | None = None,
        *,
        client_options: dict[str, Any] | None = None,
        **settings_overrides: Any,
    ) -> AsyncIterator[SteadyBot]:
        """Steady itself, built like `python -m bot run`; leaving shuts it down like SIGTERM."""
        from bot import runtime
        from bot.clock import ManualClock, SystemClock
        from bot.config import Settings

        if isinstance(database_url, URL):
            database_url = database_url.render_as_string(hide_password=False)
        values: dict[str, Any] = {"dev_guild_id": None, **settings_overrides}
        settings = Settings(database_url=database_url, discord_token=self.token, **values)
        if self.clock is None:
            self.clock = ManualClock(now or SystemClock().now())
        elif now is not None and now > self.clock.now():
            self._move_clock(now)
        database = await runtime.open_database(settings)
        options = {"guild_ready_timeout": self.guild_ready_timeout, **(client_options or {})}
        try:
            with self.discord_endpoints():
                bot = runtime.create_bot(settings, database, self.clock, **options)

                async def stop() -> None:
                    await runtime.shutdown(bot)

                async with harness.running(
                    bot, self.token, ready_timeout=self.ready_timeout, stop=stop
                ):
                    await runtime.sync_commands(bot, None)
                    self.bot = bot
                    try:
                        yield bot
                    finally:
                        self.bot = None
        finally:
            await database.dispose()

    # -- the world -----------------------------------------------------------------------------

    def add_guild(self, name: str) -> SimGuild:
        return self.world.add_guild(name)

    def guild(self, name: str) -> SimGuild:
        for guild in self.world.guilds.values():
            if guild.name == name:
                return guild
        raise SimulatorError(f"no guild named {name!r}")

    def dm_channel(self, member: SimMember | SimUser) -> SimChannel:
        return self.world.dm_channel(user_of(member))

    def messages(
        self, channel: SimChannel, *, viewer: SimMember | SimUser | None = None
    ) -> list[SimMessage]:
        """Messages in the channel, oldest first; ephemeral ones only for their `viewer`."""
        if viewer is None:
            return [m for m in channel.messages if not m.ephemeral]
        return [m for m in channel.messages if m.visible_to(viewer)]

    def dms(self, member: SimMember | SimUser) -> list[SimMessage]:
        channel = self.world.dm_channels.get(user_of(member).id)
        return [] if channel is None else [m for m in channel.messages if not m.ephemeral]

    def scheduled_events(self, guild: SimGuild) -> list[SimScheduledEvent]:
        return guild.scheduled_events

    def command(self, name: str, guild: SimGuild | None = None) -> JSON:
        """A registered command as Discord stores it (id, options, default_member_permissions)."""
        for scope in ([guild.id] if guild else []) + [None]:
            for command in self.commands.scopes.get(scope, {}).values():
                if command.name == name:
                    return command.data
        raise CommandNotAvailable(f"/{name} is not registered")

    # -- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulator's clock: the bot's business clock once `run_bot` (or `advance`) set
        one, else the wall clock."""
        return self.clock.now() if self.clock is not None else real_now()

    async def advance(
        self,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        to: datetime | None = None,
    ) -> None:
        """Move the clock, stopping at every due time on the way (see the README): the bot's
        due work and Discord's own automation. Without a bot it starts from the wall clock."""
        bot = self.bot
        if self.clock is None:
            self.clock = ManualClock(real_now())
        clock = self.clock
        target = to or clock.now() + timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds
        )
        if target < clock.now():
            raise SimulatorError("time only moves forward")
        for _ in range(100_000):
            wakeup = await bot.next_wakeup() if bot is not None else None
            automation = self.automation.next_due()
            step = min((t for t in (wakeup, automation) if t is not None), default=None)
            if step is None or step > target:
                break
            self._move_clock(max(step, clock.now()))
            await self._run_due(bot)
        else:
            raise SimulatorError("due work (the bot's or Discord's) keeps coming back when run")
        self._move_clock(target)
        await self._run_due(bot)

    async def _run_due(self, bot: SteadyBot | None) -> None:
        # Discord's changes first, written to the bot's socket before its own due work runs.
        if self.automation.run_due():
            await self.gateway.flushed(within=self.wait_timeout)
        if bot is not None:
            await bot.run_due()

    def _move_clock(self, instant: datetime) -> None:
        assert self.clock is not None
        self._skipped += (instant - self.clock.now()).total_seconds()
        self.clock.set(instant)

    # -- faults and waiting --------------------------------------------------------------------

    def fail_next(
        self,
        route: str,
        status: int,
        code: int = 0,
        message: str | None = None,
        *,
        retry_after: float = 0.05,
        ban: bool = False,
    ) -> None:
        """The next request on `route` (discord.py's template) fails once with status/code;
        status 0 (`NETWORK_DROP`) drops the connection without an answer instead. A 429 asks
        to wait `retry_after` seconds (body; the Retry-After header rounds it up); with
        `ban=True` it is Cloudflare's instead (plain text, no `Via`: the IP is refused)."""
        message = message or _default_error(status)
        self.faults.add(route, status, code, message, retry_after, ban=ban)

    async def disconnect(
        self, *, resume: bool = True, while_down: Callable[[], object] | None = None
    ) -> None:
        """Drop the gateway; returns once the bot is back (RESUMEd, or re-identified).

        `while_down` runs while the bot is cut off (e.g. a member joins); the bot must get
        those events through RESUME's replay. `resume=False` forgets the session instead,
        so the bot has to IDENTIFY again and receives READY and GUILD_CREATE anew.
        """
        await self.gateway.disconnect(
            resume=resume, within=self.wait_timeout, while_down=while_down
        )

    async def wait_for_request(
        self,
        route: str,
        predicate: Callable[[SimRequest], bool] | None = None,
        *,
        since: int = 0,
        within: float | None = None,
    ) -> SimRequest:
        """The first recorded request on `route` (from index `since`) that matches."""
        return await self.request_log.wait_for(
            route, predicate, start=since, within=within or self.wait_timeout
        )

    async def reset_token(self) -> str:
        """The token is reset in the Developer Portal: the old one is refused from now on, by
        REST (401) and by the gateway (RESUME fails, IDENTIFY is closed with 4004), and the
        bot's connections drop, so it finds out. Returns the new token."""
        self.token = self.gateway.token = _token(self.world.application_id)
        await self.gateway.drop_connections()
        return self.token

    async def wait_for_bot(self, *, within: float | None = None) -> None:
        """Returns once a bot has connected to the gateway and been sent READY and its guilds:
        for a bot running in another process (`run_bot` waits for its own)."""
        await self.gateway.identified(within=within or self.wait_timeout)

    async def wait_for_message(
        self,
        where: SimChannel | SimMember | SimUser,
        predicate: Callable[[SimMessage], bool] | None = None,
        *,
        within: float | None = None,
    ) -> SimMessage:
        """The first message (in a channel, or DMs to a member) that matches `predicate`."""

        def probe() -> SimMessage | None:
            found = self.messages(where) if isinstance(where, SimChannel) else self.dms(where)
            return next((m for m in found if predicate is None or predicate(m)), None)

        return await self._changes.wait_until(probe, within or self.wait_timeout)

    async def wait_until(self, probe: Callable[[], T | None], *, within: float | None = None) -> T:
        """The first truthy `probe()`, re-checked after every message change and request."""
        return await self._changes.wait_until(probe, within or self.wait_timeout)

    def _without_content(self, event: str, data: JSON, intents: int) -> JSON:
        """Without the message-content intent Discord blanks other people's guild messages."""
        if intents & MESSAGE_CONTENT or "guild_id" not in data:
            return data
        bot_id = str(self.world.bot_user.id)
        author = data.get("author") or {}
        if author.get("id") == bot_id or any(
            u.get("id") == bot_id for u in data.get("mentions", [])
        ):
            return data
        return data | {"content": "", "embeds": [], "attachments": [], "components": []}


def _token(application_id: int) -> str:
    head = base64.b64encode(str(application_id).encode()).decode().rstrip("=")
    return f"{head}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"


def _default_error(status: int) -> str:
    return {
        400: "Bad Request",
        401: "401: Unauthorized",
        403: "Missing Permissions",
        404: "404: Not Found",
        429: "You are being rate limited.",
        500: "500: Internal Server Error",
        502: "502: Bad Gateway",
        503: "503: Service Unavailable",
    }.get(status, "Simulated failure")
