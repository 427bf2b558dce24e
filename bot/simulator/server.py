"""The aiohttp application: routing, auth, request log, injected faults and rate limits."""

from __future__ import annotations

import json
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.simulator.errors import ApiError
from bot.simulator.gateway import Gateway
from bot.simulator.ratelimit import RateLimited, RateLimiter
from bot.simulator.routes import Call, Handler, RestApi, Scope
from bot.simulator.state import SimFile, World
from bot.simulator.waiting import Changes

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "webhook_token")


@dataclass
class SimRequest:
    """One REST call as the simulator saw it. `route` is discord.py's name for it."""

    method: str
    route: str
    path: str
    json: Any
    status: int
    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    response: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class _Fault:
    status: int
    code: int
    message: str
    retry_after: float = 0.05  # a 429's wait, in seconds
    ban: bool = False  # a 429 from Cloudflare's edge: plain text, no Via header


class RequestLog:
    def __init__(self) -> None:
        self.entries: list[SimRequest] = []
        self.changes = Changes()
        self._listeners: list[Callable[[], None]] = []

    def on_add(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def add(self, entry: SimRequest) -> None:
        self.entries.append(entry)
        self.changes.notify()
        for listener in self._listeners:
            listener()

    async def wait_for(
        self,
        route: str,
        predicate: Callable[[SimRequest], bool] | None,
        *,
        start: int,
        within: float,
    ) -> SimRequest:
        def found() -> SimRequest | None:
            for entry in self.entries[start:]:
                if entry.route == route and (predicate is None or predicate(entry)):
                    return entry
            return None

        return await self.changes.wait_until(found, within)


class Faults:
    def __init__(self) -> None:
        self._queued: dict[str, deque[_Fault]] = {}

    def add(
        self,
        route: str,
        status: int,
        code: int,
        message: str,
        retry_after: float = 0.05,
        *,
        ban: bool = False,
    ) -> None:
        fault = _Fault(status, code, message, retry_after, ban)
        self._queued.setdefault(route, deque()).append(fault)

    def take(self, route: str) -> _Fault | None:
        queued = self._queued.get(route)
        return queued.popleft() if queued else None

    def pending(self, route: str) -> int:
        return len(self._queued.get(route, ()))


def build_app(
    *,
    rest: RestApi,
    gateway: Gateway,
    limiter: RateLimiter,
    faults: Faults,
    requests: RequestLog,
    world: World,
    token: Callable[[], str],
) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/gateway", gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", _attachment(world))
    for method, template, handler, scope in rest.routes():
        app.router.add_route(
            method,
            API_PREFIX + template,
            _endpoint(
                method,
                template,
                handler,
                scope,
                limiter=limiter,
                faults=faults,
                requests=requests,
                token=token,
            ),
        )
    app.router.add_route("*", API_PREFIX + "/{tail:.*}", _not_found(requests))
    return app


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only for exactly "application/json" (no charset parameter).
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


# `fail_next(route, NETWORK_DROP)`: the connection drops instead of answering.
NETWORK_DROP = 0


def _endpoint(
    method: str,
    template: str,
    handler: Handler,
    scope: Scope,
    *,
    limiter: RateLimiter,
    faults: Faults,
    requests: RequestLog,
    token: Callable[[], str],
) -> Callable[[web.Request], Any]:
    route = f"{method} {template}"

    async def endpoint(request: web.Request) -> web.StreamResponse:
        params = dict(request.match_info)
        body, files = await _read_body(request)
        entry = SimRequest(
            method=method,
            route=route,
            path=request.path,
            json=body,
            status=0,
            params=params,
            query=dict(request.query),
            files=[f.filename for f in files],
        )
        headers: dict[str, str] = {}
        try:
            if scope == "bot" and request.headers.get("Authorization") != f"Bot {token()}":
                raise ApiError(401, 0, "401: Unauthorized")
            fault = faults.take(route)
            if fault is not None:
                if fault.status == NETWORK_DROP:
                    # The connection dies before any answer, as on a network failure; the
                    # request may or may not have been acted on, so nothing is acted on here.
                    await requests.add(entry)
                    if request.transport is not None:
                        request.transport.abort()
                    raise ConnectionResetError("simulated network failure")
                if fault.status == 429:
                    # The header rounds the body's wait up to whole seconds, as Discord's does.
                    header = str(max(1, math.ceil(fault.retry_after)))
                    if fault.ban:
                        entry.status = 429
                        await requests.add(entry)
                        return web.Response(
                            status=429, text="error code: 1015", headers={"Retry-After": header}
                        )
                    raise RateLimited(
                        fault.retry_after, is_global=False, headers={"Retry-After": header}
                    )
                raise ApiError(fault.status, fault.code, fault.message)
            major = "+".join(params[k] for k in MAJOR_PARAMETERS if k in params)
            if not template.startswith("/interactions/"):
                # Interaction callbacks answer without rate-limit headers, as Discord's do.
                headers = limiter.check(route, major, counts_globally=scope == "bot")
            status, reply = await handler(
                Call(params=params, json=body, files=files, query=dict(request.query))
            )
        except RateLimited as limited:
            status, reply = limited.status, limited.body()
            headers = {**limited.headers, "Via": "1.1 google"}
        except ApiError as error:
            status, reply = error.status, error.body()
        entry.status = status
        entry.response = reply
        await requests.add(entry)
        return _json_response(status, reply, headers)

    return endpoint


async def _read_body(request: web.Request) -> tuple[Any, list[SimFile]]:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        body: Any = None
        files: list[SimFile] = []
        for name, value in form.items():
            if name == "payload_json" and isinstance(value, str):
                body = json.loads(value)
            elif isinstance(value, web.FileField):
                file = SimFile(value.filename, value.file.read(), value.content_type)
                file.index = _upload_index(name)
                files.append(file)
        return body, files
    if not request.can_read_body:
        return None, []
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


def _upload_index(field: str) -> int | None:
    """`files[3]` (discord.py's field names) -> 3; `file` or other names have none."""
    head, _, rest = field.partition("[")
    number = rest.removesuffix("]")
    return int(number) if head and number.isdigit() else None


def _not_found(requests: RequestLog) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix(API_PREFIX)
        body, _ = await _read_body(request)
        reply = {"message": "404: Not Found", "code": 0}
        await requests.add(
            SimRequest(
                request.method, f"{request.method} {path}", request.path, body, 404, response=reply
            )
        )
        log.warning("simulator: no route for %s %s", request.method, path)
        return _json_response(404, reply)

    return handler


def _attachment(world: World) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        file = world.file_by_id(int(request.match_info["attachment_id"]))
        if file is None:
            return _json_response(404, {"message": "404: Not Found", "code": 0})
        return web.Response(
            body=file.data, content_type=file.content_type or "application/octet-stream"
        )

    return handler
