"""`Simulator`: a local Discord (REST v10 + gateway) on loopback, and the test-facing API."""

from __future__ import annotations

import base64
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import discord
from aiohttp import web
from sqlalchemy.engine import URL

from bot.simulator import harness
from bot.simulator import permissions as perms
from bot.simulator.commands import CHAT_INPUT, CommandRegistry, build_options
from bot.simulator.errors import CommandNotAvailable, SimulatorError
from bot.simulator.gateway import MESSAGE_CONTENT, Gateway
from bot.simulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL_SUBMIT,
    InteractionHub,
    InteractionResult,
    PendingInteraction,
    find_component,
    resolve_values,
)
from bot.simulator.messages import MessageStore
from bot.simulator.ratelimit import RateLimiter
from bot.simulator.rest import RestApi
from bot.simulator.server import Faults, RequestLog, SimRequest, build_app
from bot.simulator.state import (
    DM,
    JSON,
    TEXT,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimScheduledEvent,
    SimUser,
    World,
    walk_components,
)
from bot.simulator.transcript import Transcript
from bot.simulator.waiting import Changes

T = TypeVar("T")

if TYPE_CHECKING:
    from bot.app import SteadyBot


class _SettableClock(Protocol):
    def now(self) -> datetime: ...
    def set(self, instant: datetime) -> None: ...


class Simulator:
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
    ) -> None:
        self.world = World(bot_name=bot_name, bot_permissions=bot_permissions)
        self.token = _token(self.world.application_id)
        self.guild_ready_timeout = guild_ready_timeout
        self.ready_timeout = ready_timeout
        self.wait_timeout = wait_timeout
        self.messages_store = MessageStore(
            self.world, nonce_window=nonce_window, time_source=time_source
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
        self.gateway = Gateway(
            self.world,
            token=self.token,
            heartbeat_interval_ms=heartbeat_interval_ms,
            resume_url=lambda: self.gateway_url,
            message_filter=self._without_content,
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
        # Woken by every message change and every request, for `wait_until` and friends.
        self._changes = Changes()
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
            token=self.token,
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
        from bot.clock import ManualClock
        from bot.config import Settings

        if isinstance(database_url, URL):
            database_url = database_url.render_as_string(hide_password=False)
        values: dict[str, Any] = {"dev_guild_id": None, **settings_overrides}
        settings = Settings(database_url=database_url, discord_token=self.token, **values)
        if self.clock is None:
            self.clock = ManualClock(now or datetime.now(UTC))
        elif now is not None and now > self.clock.now():
            self.clock.set(now)
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
        return self.world.dm_channel(_user(member))

    def messages(
        self, channel: SimChannel, *, viewer: SimMember | SimUser | None = None
    ) -> list[SimMessage]:
        """Messages in the channel, oldest first; ephemeral ones only for their `viewer`."""
        if viewer is None:
            return [m for m in channel.messages if not m.ephemeral]
        return [m for m in channel.messages if m.visible_to(viewer)]

    def dms(self, member: SimMember | SimUser) -> list[SimMessage]:
        channel = self.world.dm_channels.get(_user(member).id)
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

    def post(
        self,
        member: SimMember | SimUser,
        channel: SimChannel,
        content: str,
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """A member writes a message (MESSAGE_CREATE reaches the bot with its intents)."""
        if isinstance(member, SimMember) and not member.can_see(channel):
            raise SimulatorError(f"{member.name} cannot see #{channel.name}")
        payload: JSON = {"content": content}
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to.id)}
        message, _ = self.messages_store.create(channel, _user(member), payload)
        return message

    def join_voice(self, member: SimMember, channel: SimChannel) -> None:
        self.transcript.action(member.name, f"joins voice {channel.name}")
        member.guild.voice_states[member.id] = channel.id
        guild = member.guild
        self.world.emit("VOICE_STATE_UPDATE", guild.voice_state(member.id), guild.id)

    def leave_voice(self, member: SimMember) -> None:
        self.transcript.action(member.name, "leaves voice")
        guild = member.guild
        guild.voice_states.pop(member.id, None)
        state = guild.voice_state(member.id)
        state["channel_id"] = None
        self.world.emit("VOICE_STATE_UPDATE", state, guild.id)

    def rsvp(self, member: SimMember, event: SimScheduledEvent) -> None:
        """The member clicks "Interested" on a scheduled event."""
        if member.id not in event.subscribers:
            self.transcript.action(member.name, f"is interested in “{event.name}”")
            event.subscribers.append(member.id)
            self._event_user("GUILD_SCHEDULED_EVENT_USER_ADD", member, event)

    def unrsvp(self, member: SimMember, event: SimScheduledEvent) -> None:
        if member.id in event.subscribers:
            event.subscribers.remove(member.id)
            self._event_user("GUILD_SCHEDULED_EVENT_USER_REMOVE", member, event)

    def _event_user(self, name: str, member: SimMember, event: SimScheduledEvent) -> None:
        data = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(member.id),
            "guild_id": str(event.guild.id),
        }
        self.world.emit(name, data, event.guild.id)

    # -- what members do -----------------------------------------------------------------------

    async def slash(
        self,
        member: SimMember,
        command: str,
        /,
        *,
        in_channel: SimChannel | None = None,
        bypass_permissions: bool = False,
        **options: Any,
    ) -> InteractionResult:
        """Run `/command [group] [sub]` with options; returns once the bot has answered."""
        pending, data = self._command_interaction(
            member, command, APPLICATION_COMMAND, in_channel, bypass_permissions, options, None
        )
        shown = " ".join(f"{k}:{_show(v)}" for k, v in options.items())
        self.transcript.action(member.name, f"/{command.strip().lstrip('/')} {shown}".rstrip())
        return await self._run(pending, data)

    async def autocomplete(
        self,
        member: SimMember,
        command: str,
        option: str,
        value: str,
        /,
        *,
        in_channel: SimChannel | None = None,
        **options: Any,
    ) -> list[JSON]:
        """The choices the bot offers while `member` types `value` into `option`."""
        pending, data = self._command_interaction(
            member, command, AUTOCOMPLETE, in_channel, False, {**options, option: value}, option
        )
        result = await self._run(pending, data)
        return result.choices or []

    async def click(
        self,
        member: SimMember,
        target: InteractionResult | SimMessage,
        *,
        label: str | None = None,
        custom_id: str | None = None,
    ) -> InteractionResult:
        message = self._visible_message(member, target)
        button = find_component(message, label=label, custom_id=custom_id, types=(2,))
        if button.get("disabled"):
            raise SimulatorError(f"button {button.get('label')!r} is disabled")
        if "custom_id" not in button:
            raise SimulatorError(f"button {button.get('label')!r} is a link, not an interaction")
        data: JSON = {"custom_id": button["custom_id"], "component_type": 2}
        if isinstance(button.get("id"), int):
            data["id"] = button["id"]
        pending = self.interactions.open(
            COMPONENT, member.user, member, message.channel, str(button["custom_id"]), message
        )
        self.transcript.action(
            member.name, f"clicks [{button.get('label') or button['custom_id']}]"
        )
        return await self._run(pending, data)

    async def select(
        self,
        member: SimMember,
        target: InteractionResult | SimMessage,
        values: list[Any],
        *,
        custom_id: str | None = None,
        placeholder: str | None = None,
    ) -> InteractionResult:
        """Pick `values` in a select menu (strings, or members/roles/channels for those selects)."""
        message = self._visible_message(member, target)
        if custom_id is None and placeholder is None:
            selects = [
                c for c in walk_components(message.components) if c.get("type") in (3, 5, 6, 7, 8)
            ]
            if len(selects) != 1:
                raise SimulatorError("say which select menu: custom_id= or placeholder=")
            custom_id = str(selects[0]["custom_id"])
        menu = find_component(
            message, label=placeholder, custom_id=custom_id, types=(3, 5, 6, 7, 8)
        )
        if menu.get("disabled"):
            raise SimulatorError("that select menu is disabled")
        chosen, resolved = resolve_values(menu, values, member)
        data: JSON = {
            "custom_id": menu["custom_id"],
            "component_type": menu["type"],
            "values": chosen,
        }
        if resolved:
            data["resolved"] = resolved
        pending = self.interactions.open(
            COMPONENT, member.user, member, message.channel, str(menu["custom_id"]), message
        )
        self.transcript.action(member.name, f"chooses {', '.join(_show(v) for v in values)}")
        return await self._run(pending, data)

    async def submit_modal(
        self, member: SimMember, target: InteractionResult, values: dict[str, str]
    ) -> InteractionResult:
        """Fill in the modal the bot showed (keys: the inputs' custom_id or label) and submit."""
        modal = target.modal
        if modal is None:
            raise SimulatorError("the bot answered with a message, not a modal")
        if target.interaction.user is not member.user:
            raise SimulatorError("only the member the modal was shown to can submit it")
        remaining = dict(values)
        submitted = [self._fill(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise SimulatorError(f"the modal has no inputs {sorted(remaining)}")
        source = target.interaction.source
        pending = self.interactions.open(
            MODAL_SUBMIT,
            member.user,
            member,
            target.interaction.channel,
            str(modal.get("custom_id")),
            source,
        )
        data: JSON = {"custom_id": modal.get("custom_id"), "components": submitted}
        filled = ", ".join(f"{k}: {v}" for k, v in values.items())
        self.transcript.action(member.name, f"submits “{modal.get('title')}” ({filled})")
        return await self._run(pending, data)

    def _fill(self, component: JSON, values: dict[str, str]) -> JSON:
        kind = component.get("type")
        if kind == 1:
            return {
                "type": 1,
                "components": [self._fill(c, values) for c in component["components"]],
            }
        if kind == 18:
            inner = dict(component["component"])
            inner.setdefault("label", component.get("label"))
            filled = self._fill(inner, values)
            return {"type": 18, "id": component.get("id"), "component": filled}
        if kind == 4:
            key = next(
                (k for k in (component.get("custom_id"), component.get("label")) if k in values),
                None,
            )
            value = values.pop(key) if key is not None else component.get("value") or ""
            label = component.get("label") or component.get("custom_id")
            if component.get("required", True) and not value:
                raise SimulatorError(f"{label!r} is required")
            high = min(int(component.get("max_length") or 4000), 4000)
            low = int(component.get("min_length") or 0)
            if value and not low <= len(value) <= high:
                raise SimulatorError(f"{label!r} must be {low}..{high} characters long")
            return {
                "type": 4,
                "custom_id": component["custom_id"],
                "value": value,
                "id": component.get("id"),
            }
        return {"type": kind, "id": component.get("id")}

    def _visible_message(
        self, member: SimMember, target: InteractionResult | SimMessage
    ) -> SimMessage:
        message = target.message if isinstance(target, InteractionResult) else target
        if message is None:
            raise SimulatorError("that answer has no message to click on")
        if not message.visible_to(member):
            raise SimulatorError(f"{member.name} cannot see that message")
        return message

    def _command_interaction(
        self,
        member: SimMember,
        command: str,
        kind: int,
        in_channel: SimChannel | None,
        bypass_permissions: bool,
        options: dict[str, Any],
        focused: str | None,
    ) -> tuple[PendingInteraction, JSON]:
        name, *path = command.strip().lstrip("/").split()
        channel = in_channel or _default_channel(member.guild)
        registered = self.commands.find(member.guild, name, CHAT_INPUT)
        if registered is None:
            raise CommandNotAvailable(f"/{name} is not registered (did the bot sync?)")
        if channel.type == DM:
            contexts = registered.data.get("contexts")
            in_dms = (
                1 in contexts
                if contexts is not None
                else registered.data.get("dm_permission", True)
            )
            if not in_dms:
                raise CommandNotAvailable(f"/{name} cannot be used in DMs")
        else:
            if not member.can_see(channel):
                raise SimulatorError(f"{member.name} cannot see #{channel.name}")
            if not bypass_permissions and not registered.visible_to(member):
                raise CommandNotAvailable(
                    f"/{name} is hidden from {member.name} (default_member_permissions="
                    f"{registered.default_member_permissions})"
                )
        invocation = build_options(registered, path, options, member=member, focused=focused)
        data: JSON = {
            "id": str(registered.id),
            "name": name,
            "type": CHAT_INPUT,
            "options": invocation.options,
        }
        if invocation.resolved:
            data["resolved"] = invocation.resolved
        if "guild_id" in registered.data:
            data["guild_id"] = registered.data["guild_id"]
        in_guild = channel.type != DM
        pending = self.interactions.open(
            kind, member.user, member if in_guild else None, channel, " ".join([name, *path])
        )
        return pending, data

    async def _run(self, pending: PendingInteraction, data: JSON) -> InteractionResult:
        if not self.gateway.connected:
            raise SimulatorError("no bot is connected to the simulator")
        guild = pending.guild
        if guild is not None:
            app_permissions = guild.me.permissions_in(pending.channel)
        else:
            app_permissions = perms.BOT_DEFAULT
        payload = self.interactions.payload(pending, data, app_permissions=app_permissions)
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild.id if guild else None)
        result = await self.interactions.wait(pending)
        if result.modal is not None:
            self.transcript.modal(pending.user.name, result.modal)
        return result

    # -- time ----------------------------------------------------------------------------------

    async def advance(
        self,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        to: datetime | None = None,
    ) -> None:
        """Move the bot's clock, stopping at every due time on the way (see the README)."""
        bot, clock = self.bot, self.clock
        if bot is None or clock is None:
            raise SimulatorError("advance needs a bot started with run_bot")
        target = to or clock.now() + timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds
        )
        if target < clock.now():
            raise SimulatorError("time only moves forward")
        for _ in range(100_000):
            wakeup = await bot.next_wakeup()
            if wakeup is None or wakeup > target:
                break
            clock.set(max(wakeup, clock.now()))
            await bot.run_due()
        else:
            raise SimulatorError("the bot keeps reporting due work that running does not clear")
        clock.set(target)
        await bot.run_due()

    # -- faults and waiting --------------------------------------------------------------------

    def fail_next(self, route: str, status: int, code: int = 0, message: str | None = None) -> None:
        """The next request on `route` (discord.py's template) fails once with status/code."""
        self.faults.add(route, status, code, message or _default_error(status))

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


def _user(member: SimMember | SimUser) -> SimUser:
    return member.user if isinstance(member, SimMember) else member


def _show(value: Any) -> str:
    if isinstance(value, SimChannel):
        return f"#{value.name}"
    if isinstance(value, SimMember | SimUser | SimRole):
        return f"@{value.name}"
    return str(value)


def _default_channel(guild: SimGuild) -> SimChannel:
    text = [c for c in guild.channels if c.type == TEXT]
    general = next((c for c in text if c.name == "general"), None)
    if general is None and not text:
        raise SimulatorError(f"{guild.name} has no text channel")
    return general or text[0]


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
