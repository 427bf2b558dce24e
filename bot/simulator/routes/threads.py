"""Threads: starting one (alone or from a message), their members, and a guild's active ones."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.ids import real_now
from bot.simulator.limits import FormErrors, FormErrorsOf
from bot.simulator.routes.base import (
    BOT,
    NO_CONTENT,
    Call,
    Reply,
    Route,
    RouteGroup,
    ok,
)
from bot.simulator.state import JSON, PRIVATE_THREAD, PUBLIC_THREAD, TEXT, SimChannel


class ThreadRoutes(RouteGroup):
    def routes(self) -> list[Route]:
        members = "/channels/{channel_id}/thread-members"
        return [
            ("POST", "/channels/{channel_id}/threads", self.start_thread, BOT),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self.start_thread_from_message,
                BOT,
            ),
            ("GET", members, self.list_thread_members, BOT),
            ("PUT", members + "/@me", self.join_thread, BOT),
            ("DELETE", members + "/@me", self.leave_thread, BOT),
            ("GET", members + "/{user_id}", self.get_thread_member, BOT),
            ("PUT", members + "/{user_id}", self.add_thread_member, BOT),
            ("DELETE", members + "/{user_id}", self.remove_thread_member, BOT),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads, BOT),
        ]

    # -- starting threads ----------------------------------------------------------------------

    def _new_thread(self, parent: SimChannel, body: JSON, kind: int) -> SimChannel:
        guild = parent.guild
        if guild is None or parent.type != TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        errors = FormErrors()
        name = str(body.get("name") or "")
        if not name:
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long(("name",), name, 100)
        errors.raise_if_any()
        bit = (
            perms.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else perms.CREATE_PUBLIC_THREADS
        )
        self._require(parent, guild, bit)
        thread = SimChannel(
            self.world.ids.next(),
            kind,
            name,
            self.world,
            guild=guild,
            parent_id=parent.id,
            owner_id=self.world.bot_user.id,
            invitable=bool(body.get("invitable", True)),
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        thread.thread_members[self.world.bot_user.id] = real_now()
        guild._add_channel(thread)
        data = thread.payload() | {
            "newly_created": True,
            "member": thread.thread_member_payload(self.world.bot_user.id),
        }
        self.world.emit("THREAD_CREATE", data, guild.id)
        return thread

    async def start_thread(self, call: Call) -> Reply:
        parent = self._channel(call)
        kind = int(call.body.get("type") or PRIVATE_THREAD)
        if kind not in (PUBLIC_THREAD, PRIVATE_THREAD):
            raise FormErrorsOf("type", "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
        return 201, self._new_thread(parent, call.body, kind).payload()

    async def start_thread_from_message(self, call: Call) -> Reply:
        parent = self._channel(call)
        message = self._message(call, parent)
        if message.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(parent, call.body, PUBLIC_THREAD)
        message.thread_id = thread.id
        return 201, thread.payload()

    async def active_threads(self, call: Call) -> Reply:
        guild = self._guild(call)
        threads = [t for t in guild.threads if not t.archived]
        members = [
            t.thread_member_payload(self.world.bot_user.id)
            for t in threads
            if self.world.bot_user.id in t.thread_members
        ]
        return ok({"threads": [t.payload() for t in threads], "members": members})

    # -- thread members ------------------------------------------------------------------------

    def _thread(self, call: Call) -> SimChannel:
        thread = self._channel(call)
        if not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return thread

    async def list_thread_members(self, call: Call) -> Reply:
        thread = self._thread(call)
        return ok([thread.thread_member_payload(u) for u in thread.thread_members])

    async def get_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        user_id = call.int("user_id")
        if user_id not in thread.thread_members:
            raise err.unknown("Member", err.UNKNOWN_MEMBER)
        return ok(thread.thread_member_payload(user_id))

    async def join_thread(self, call: Call) -> Reply:
        thread = self._thread(call)
        self._thread_add(thread, self.world.bot_user.id)
        return NO_CONTENT

    async def leave_thread(self, call: Call) -> Reply:
        thread = self._thread(call)
        self._thread_remove(thread, self.world.bot_user.id)
        return NO_CONTENT

    async def add_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        guild = thread.guild
        assert guild is not None
        member = self._member(guild, call.int("user_id"))
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        is_member = self.world.bot_user.id in thread.thread_members
        if thread.type == PRIVATE_THREAD and not is_member:
            self._require(thread, guild, perms.MANAGE_THREADS)
        parent = thread.parent
        if parent is not None and not member.permissions_in(parent) & perms.VIEW_CHANNEL:
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        self._thread_add(thread, member.id)
        return NO_CONTENT

    async def remove_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        guild = thread.guild
        assert guild is not None
        user_id = call.int("user_id")
        if thread.owner_id != self.world.bot_user.id:
            self._require(thread, guild, perms.MANAGE_THREADS)
        self._thread_remove(thread, user_id)
        return NO_CONTENT

    def _thread_add(self, thread: SimChannel, user_id: int) -> None:
        guild = thread.guild
        assert guild is not None
        if user_id in thread.thread_members:
            return
        thread.thread_members[user_id] = real_now()
        added = thread.thread_member_payload(user_id)
        member = guild.members_by_id.get(user_id)
        if member is not None:
            added["member"] = member.payload()
        self.world.emit(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread.id),
                "guild_id": str(guild.id),
                "member_count": min(len(thread.thread_members), 50),
                "added_members": [added],
            },
            guild.id,
        )

    def _thread_remove(self, thread: SimChannel, user_id: int) -> None:
        guild = thread.guild
        assert guild is not None
        if thread.thread_members.pop(user_id, None) is None:
            return
        self.world.emit(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread.id),
                "guild_id": str(guild.id),
                "member_count": min(len(thread.thread_members), 50),
                "removed_member_ids": [str(user_id)],
            },
            guild.id,
        )
