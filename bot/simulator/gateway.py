"""The gateway: Discord's websocket protocol (JSON, optional zlib-stream), sessions and RESUME.

Every dispatch is numbered per session and kept, so a bot that drops its connection and sends
RESUME with its last sequence number gets exactly the events it missed, then RESUMED.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.simulator.intents import (
    DISALLOWED_INTENTS,
    GUILD_PRESENCES,
    PRIVILEGED,
    application_flags,
)
from bot.simulator.state import JSON, World
from bot.simulator.waiting import Changes

log = logging.getLogger(__name__)

INVALID_SHARD = 4010  # Discord's close code for an IDENTIFY whose shard is not valid

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_VOICE_STATES = 1 << 7
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16

_EVENT_INTENTS = {
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "THREAD_MEMBERS_UPDATE": GUILD_MEMBERS,
    "VOICE_STATE_UPDATE": GUILD_VOICE_STATES,
    "GUILD_SCHEDULED_EVENT_CREATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_ADD": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": GUILD_SCHEDULED_EVENTS,
}
_MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE")
_ALWAYS = ("READY", "RESUMED", "INTERACTION_CREATE", "GUILD_MEMBERS_CHUNK")


# What a client may send (docs: events/gateway-events "Send Events"); 3 and 4 (presence and
# voice state) are accepted and ignored, 31 (soundboard sounds) likewise.
_CLIENT_OPS = frozenset({HEARTBEAT, IDENTIFY, 3, 4, RESUME, REQUEST_MEMBERS, 31})
_BEFORE_IDENTIFY = frozenset({HEARTBEAT, IDENTIFY, RESUME})
UNKNOWN_OPCODE, DECODE_ERROR, NOT_AUTHENTICATED = 4001, 4002, 4003
MAX_PAYLOAD_BYTES = 4096  # a bigger payload is closed with 4002 (docs: "Sending Events")


def decode_frame(data: str | bytes) -> JSON | None:
    """A client's payload, from a text or a binary frame (hikari sends binary), or None.

    With `encoding=json` both frame types carry plain JSON; Discord does not accept
    compressed payloads from clients, so anything that is not an object with an integer
    `op` is a decode error (4002), as is a payload over 4096 bytes.
    """
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_PAYLOAD_BYTES:
        return None
    try:
        frame = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(frame, dict) or type(frame.get("op")) is not int:
        return None
    return frame


def _refusal(op: int, *, authenticated: bool) -> tuple[int, bytes] | None:
    if op not in _CLIENT_OPS:
        return UNKNOWN_OPCODE, b"Unknown opcode."
    if not authenticated and op not in _BEFORE_IDENTIFY:
        return NOT_AUTHENTICATED, b"Not authenticated."
    return None


def needed_intent(event: str, guild_id: int | None) -> int:
    if event in _ALWAYS:
        return 0
    if event in _MESSAGE_EVENTS:
        return GUILD_MESSAGES if guild_id is not None else DIRECT_MESSAGES
    return _EVENT_INTENTS.get(event, GUILDS)


@dataclass
class Session:
    id: str
    intents: int
    # (shard_id, num_shards) from IDENTIFY: which servers' events this session is sent.
    shard: tuple[int, int] | None = None
    frames: list[JSON] = field(default_factory=list)
    connection: Connection | None = None
    resumed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def seq(self) -> int:
        return len(self.frames)

    def routed(self, guild_id: int | None) -> bool:
        """Whether an event of this server (None: without one, a DM's) is sent to this session:
        Discord's sharding formula, and events without a server go to shard 0 only. Every
        session of a shard gets them all."""
        if self.shard is None:
            return True
        shard_id, num_shards = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % num_shards == shard_id

    def add(self, event: str, data: JSON) -> None:
        self.frames.append({"op": DISPATCH, "t": event, "s": self.seq + 1, "d": data})
        if self.connection is not None:
            self.connection.wake.set()


class Connection:
    """One websocket. Sends are serialized: a zlib stream has a single compression context."""

    def __init__(
        self, ws: web.WebSocketResponse, *, compress: bool, on_flushed: Callable[[], None]
    ) -> None:
        self.ws = ws
        self._on_flushed = on_flushed
        self.session: Session | None = None
        self.sent = 0
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress else None
        self._writer: asyncio.Task[None] | None = None

    async def send(self, frame: JSON) -> None:
        text = json.dumps(frame, separators=(",", ":"))
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is None:
                await self.ws.send_str(text)
            else:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)

    def attach(self, session: Session, *, from_seq: int) -> None:
        self.session = session
        self.sent = from_seq
        session.connection = self
        self.wake.set()
        self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while not self.ws.closed and self.session is not None:
            await self.wake.wait()
            self.wake.clear()
            while self.session is not None and self.sent < self.session.seq:
                frame = self.session.frames[self.sent]
                self.sent += 1
                try:
                    await self.send(frame)
                except ConnectionError:
                    return
            self._on_flushed()

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


class Gateway:
    def __init__(
        self,
        world: World,
        *,
        token: str,
        heartbeat_interval_ms: int,
        resume_url: Callable[[], str],
        message_filter: Callable[[str, JSON, int], JSON],
        changes: Changes | None = None,
    ) -> None:
        self.world = world
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._resume_url = resume_url
        self._filter = message_filter
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.log: list[tuple[str, int, str | None]] = []
        # Shared with the simulator's waits, so that a session coming up or being sent its
        # events wakes them too (`sim.wait_until(lambda: sim.gateway.connected)`).
        self._changes = changes or Changes()

    # -- events from the world -------------------------------------------------------------

    def dispatch(self, event: str, data: JSON, guild_id: int | None) -> None:
        intent = needed_intent(event, guild_id)
        for session in self.sessions.values():
            if not session.routed(guild_id):
                continue
            if intent and not session.intents & intent and not self._about_me(session, event, data):
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                payload = self._filter(event, data, session.intents)
            elif event == "GUILD_CREATE" and not session.intents & GUILD_PRESENCES:
                guild = self.world.guilds.get(guild_id or 0)
                payload = data if guild is None else guild.payload(with_presences=False)
            session.add(event, payload)

    def _about_me(self, session: Session, event: str, data: JSON) -> bool:
        """Without GUILD_MEMBERS, THREAD_MEMBERS_UPDATE still arrives (with GUILDS) when the
        bot itself was added to or removed from the thread, as Discord documents."""
        if event != "THREAD_MEMBERS_UPDATE" or not session.intents & GUILDS:
            return False
        me = str(self.world.bot_user.id)
        added = {str(m.get("user_id")) for m in data.get("added_members") or []}
        return me in added or me in (data.get("removed_member_ids") or [])

    @property
    def connected(self) -> bool:
        return any(s.connection is not None for s in self.sessions.values())

    # -- the websocket -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only encoding=json is simulated")
            return ws
        connection = Connection(
            ws,
            compress=request.query.get("compress") == "zlib-stream",
            on_flushed=self._changes.notify,
        )
        self.connections.add(connection)
        try:
            await connection.send(
                {
                    "op": HELLO,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                frame = decode_frame(msg.data)
                if frame is None:
                    await ws.close(code=DECODE_ERROR, message=b"Error while decoding payload.")
                    break
                op = frame["op"]
                self.log.append(("recv", op, None))
                refusal = _refusal(op, authenticated=connection.session is not None)
                if refusal is not None:
                    await ws.close(code=refusal[0], message=refusal[1])
                    break
                await self._on_frame(connection, op, frame.get("d"))
        finally:
            self.connections.discard(connection)
            await connection.stop()
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                session.resumed.clear()
                if ws.close_code in (1000, 1001):
                    # A clean close from the client ends the session; Discord does the same.
                    self.sessions.pop(session.id, None)
            self._changes.notify()
        return ws

    async def _on_frame(self, connection: Connection, op: int | None, data: Any) -> None:
        if op == HEARTBEAT:
            await connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(connection, data)
        elif op == RESUME:
            await self._resume(connection, data)
        elif op == REQUEST_MEMBERS:
            await self._chunk(connection, data)

    async def _identify(self, connection: Connection, data: JSON) -> None:
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        if connection.session is not None:
            await connection.ws.close(code=4005, message=b"Already authenticated.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED & ~self.world.privileged_intents:
            # A privileged intent the application has not enabled in the Developer Portal.
            await connection.ws.close(code=DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        try:
            shard = _shard(data.get("shard"))
        except ValueError:
            await connection.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        session = Session(id=secrets.token_hex(16), intents=intents, shard=shard)
        self.sessions[session.id] = session
        ready: JSON = {
            "v": 10,
            "user": self.world.bot_user.payload()
            | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [
                {"id": str(g), "unavailable": True} for g in self.world.guilds if session.routed(g)
            ],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._resume_url(),
            "application": {
                "id": str(self.world.application_id),
                "flags": application_flags(self.world.privileged_intents),
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        session.add("READY", ready)
        with_presences = bool(session.intents & GUILD_PRESENCES)
        for guild in self.world.guilds.values():
            if session.routed(guild.id):
                session.add("GUILD_CREATE", guild.payload(with_presences=with_presences))
        connection.attach(session, from_seq=0)
        session.resumed.set()
        self._changes.notify()

    async def _resume(self, connection: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if (
            data.get("token") != self.token
            or session is None
            or not isinstance(seq, int)
            or seq > session.seq
        ):
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.connection is not None and session.connection is not connection:
            await session.connection.ws.close(code=4000)
        session.add("RESUMED", {})
        connection.attach(session, from_seq=seq)
        session.resumed.set()
        self._changes.notify()

    async def _chunk(self, connection: Connection, data: JSON) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        session = connection.session
        if guild is None or session is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "")
        members = [
            m
            for m in guild.members
            if (not wanted or m.id in wanted) and m.name.lower().startswith(query.lower())
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.add("GUILD_MEMBERS_CHUNK", chunk)

    # -- faults ----------------------------------------------------------------------------

    async def disconnect(
        self,
        *,
        resume: bool = True,
        within: float = 10.0,
        while_down: Callable[[], object] | None = None,
    ) -> None:
        """Drop every bot connection and return once each bot is back (resumed or re-identified).

        `while_down` runs after the bots stopped receiving and before they can come back, so
        whatever it causes must reach them through RESUME's replay.
        """
        live = [s for s in self.sessions.values() if s.connection is not None]
        dropped: list[Connection] = []
        for session in live:
            connection = session.connection
            assert connection is not None
            connection.session = None
            session.connection = None
            session.resumed.clear()
            await connection.stop()
            dropped.append(connection)
            if not resume:
                self.sessions.pop(session.id, None)
        if while_down is not None:
            while_down()
        for connection in dropped:
            await connection.ws.close(code=4000, message=b"simulated disconnect")

        await self._changes.wait_until(lambda: self._all_back(live, resume=resume), within)

    def _all_back(self, previous: list[Session], *, resume: bool) -> bool:
        if resume:
            back = [s for s in previous if s.resumed.is_set() and s.connection is not None]
        else:
            back = [s for s in self.sessions.values() if s.connection is not None]
        # Back means: everything dispatched so far (the replay included) has been written.
        flushed = all(s.connection is not None and s.connection.sent >= s.seq for s in back)
        return len(back) >= len(previous) and flushed

    async def drop_connections(self) -> None:
        """Close every bot connection as a server-side failure would (4000: the bot may try to
        RESUME), without waiting for anyone to come back."""
        for connection in list(self.connections):
            await connection.ws.close(code=4000, message=b"simulated disconnect")

    async def identified(self, *, within: float) -> None:
        """Returns once a bot is connected and has been sent everything dispatched so far
        (READY and its guilds first): for a bot in another process, whose readiness the
        simulator can only see on the wire."""

        def done() -> bool:
            live = [s for s in self.sessions.values() if s.connection is not None]
            return bool(live) and all(s.connection.sent >= s.seq for s in live if s.connection)

        await self._changes.wait_until(done, within)

    async def flushed(self, *, within: float) -> None:
        """Returns once every connected session has been sent all that was dispatched."""

        def done() -> bool:
            return all(
                s.connection is None or s.connection.sent >= s.seq for s in self.sessions.values()
            )

        await self._changes.wait_until(done, within)

    async def close(self) -> None:
        for connection in list(self.connections):
            await connection.ws.close(code=1001, message=b"simulator stopping")


def _shard(value: object) -> tuple[int, int] | None:
    """IDENTIFY's `shard`: (shard_id, num_shards), or None without one; ValueError if invalid."""
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1]
    ):
        return (value[0], value[1])
    raise ValueError(f"invalid shard {value!r}")
