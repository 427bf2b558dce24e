"""Carrying out outbox operations (threads, scheduled events) over discord.py's REST client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from discord.http import Route

from bot.delivery import history
from bot.delivery import operations as ops
from bot.delivery.outcomes import Dead, Done, Failure, Outcome, Refused

# A create made since its first uncertain attempt, give or take our clock against Discord's.
SKEW = timedelta(minutes=1)


class Row(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def operation(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def guild_id(self) -> int | None: ...
    @property
    def thing_id(self) -> int | None: ...
    @property
    def uncertain_since(self) -> datetime | None: ...


Request = Callable[[Route, dict[str, Any] | None], Awaitable[Any]]
Taken = Callable[[int, list[int]], Awaitable[set[int]]]


class OperationCalls:
    def __init__(self, request: Request, bot_user_id: Callable[[], int | None], taken: Taken):
        self._request = request
        self._me = bot_user_id
        self._taken = taken

    async def run(self, row: Row) -> Outcome:
        try:
            return await self._run(row)
        except Failure as failure:
            outcome = failure.outcome
            if (
                row.operation in (ops.THREAD_DELETE, ops.EVENT_DELETE)
                and isinstance(outcome, Refused)
                and "404" in outcome.reason
                and row.thing_id is not None
            ):
                return Done(row.thing_id)  # already gone: what was asked for
            return outcome

    async def _run(self, row: Row) -> Outcome:
        params = dict(row.payload)
        name = row.operation
        if name == ops.THREAD_CREATE:
            return await self._create_thread(row, params)
        if name == ops.EVENT_CREATE:
            return await self._create_event(row, params)
        thing = row.thing_id
        if thing is None:
            return Dead(f"{name}: what it acts on was never made")
        if name == ops.THREAD_EDIT:
            await self._call(Route("PATCH", "/channels/{channel_id}", channel_id=thing), params)
        elif name == ops.THREAD_ADD_MEMBER:
            route = Route(
                "PUT",
                "/channels/{channel_id}/thread-members/{user_id}",
                channel_id=thing,
                user_id=int(params["user_id"]),
            )
            await self._call(route, None)
        elif name == ops.THREAD_DELETE:
            await self._call(Route("DELETE", "/channels/{channel_id}", channel_id=thing), None)
        else:
            route = Route(
                "PATCH" if name == ops.EVENT_EDIT else "DELETE",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                guild_id=row.guild_id,
                guild_scheduled_event_id=thing,
            )
            await self._call(route, params if name == ops.EVENT_EDIT else None)
        return Done(thing)

    async def _call(self, route: Route, body: dict[str, Any] | None) -> Any:
        return await self._request(route, body)

    async def _create_thread(self, row: Row, params: dict[str, Any]) -> Outcome:
        channel_id = int(params.pop("channel_id"))
        if row.uncertain_since is not None and row.guild_id is not None:
            active = await self._call(
                Route("GET", "/guilds/{guild_id}/threads/active", guild_id=row.guild_id), None
            )
            threads = [
                t
                for t in (active or {}).get("threads") or []
                if int(t.get("parent_id") or 0) == channel_id
                and t.get("name") == params["name"]
                and int(t.get("owner_id") or 0) == (self._me() or -1)
            ]
            found = await self._oldest_untaken(row, threads)
            if found is not None:
                return Done(found, found=True)
        made = await self._call(
            Route("POST", "/channels/{channel_id}/threads", channel_id=channel_id), params
        )
        return Done(int(made["id"]))

    async def _create_event(self, row: Row, params: dict[str, Any]) -> Outcome:
        guild_id = row.guild_id
        if guild_id is None:
            return Dead("event.create: no guild")
        events = "/guilds/{guild_id}/scheduled-events"
        if row.uncertain_since is not None:
            listed = await self._call(Route("GET", events, guild_id=guild_id), None)
            mine = [
                e
                for e in listed or []
                if e.get("name") == params["name"]
                and int(e.get("creator_id") or 0) == (self._me() or -1)
                and _same_instant(e.get("scheduled_start_time"), params["scheduled_start_time"])
            ]
            found = await self._oldest_untaken(row, mine)
            if found is not None:
                return Done(found, found=True)
        made = await self._call(Route("POST", events, guild_id=guild_id), params)
        return Done(int(made["id"]))

    async def _oldest_untaken(self, row: Row, things: Sequence[Mapping[str, Any]]) -> int | None:
        assert row.uncertain_since is not None
        since = history.snowflake_at(row.uncertain_since - SKEW)
        ids = sorted(int(t["id"]) for t in things if int(t["id"]) >= since)
        if not ids:
            return None
        taken = await self._taken(row.id, ids)
        return next((i for i in ids if i not in taken), None)


def _same_instant(a: Any, b: Any) -> bool:
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return False
