"""Threads: starting one (alone or from a message), their members, and a guild's active ones."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.ids import real_now
from bot.simulator.limits import FormErrors, FormErrorsOf, Path
from bot.simulator.routes.base import (
    BOT,
    NO_CONTENT,
    Call,
    Reply,
    Route,
    RouteGroup,
    ok,
    query_int,
)
from bot.simulator.state import JSON, PRIVATE_THREAD, PUBLIC_THREAD, TEXT, SimChannel

ARCHIVED = 50083
# Discord's only auto-archive durations, in minutes.
AUTO_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


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

    def _new_thread(
        self, parent: SimChannel, body: JSON, kind: int, *, thread_id: int | None = None
    ) -> SimChannel:
        guild = parent.guild
        if guild is None or parent.type != TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        errors = FormErrors()
        name = str(body.get("name") or "")
        if not name:
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long(("name",), name, 100)
        duration = body.get("auto_archive_duration")
        if duration is not None:
            check_auto_archive_duration(errors, ("auto_archive_duration",), duration)
        errors.raise_if_any()
        bit = (
            perms.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else perms.CREATE_PUBLIC_THREADS
        )
        self._require(parent, guild, bit)
        thread = SimChannel(
            thread_id or self.world.ids.next(),
            kind,
            name,
            self.world,
            guild=guild,
            parent_id=parent.id,
            owner_id=self.world.bot_user.id,
            invitable=bool(body.get("invitable", True)),
            auto_archive_duration=int(duration or 1440),
            last_activity=self.world.now(),
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
        # The thread takes the message's id; the message now shows it (MESSAGE_UPDATE).
        thread = self._new_thread(parent, call.body, PUBLIC_THREAD, thread_id=message.id)
        message.thread_id = thread.id
        self.world.message_changed(message)
        guild_id = parent.guild.id if parent.guild else None
        self.world.emit("MESSAGE_UPDATE", message.payload(self.world), guild_id)
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

    def _active_thread(self, call: Call) -> SimChannel:
        thread = self._thread(call)
        if thread.archived:
            raise ApiError(400, ARCHIVED, "Thread is archived")
        return thread

    def _thread_member(self, thread: SimChannel, user_id: int, with_member: bool) -> JSON:
        data = thread.thread_member_payload(user_id)
        member = thread.guild.members_by_id.get(user_id) if thread.guild else None
        if with_member and member is not None:
            data["member"] = member.payload()
        return data

    async def list_thread_members(self, call: Call) -> Reply:
        """Ascending by user id; `after` (a user id), `limit` 1-100 (default 100), `with_member`."""
        thread = self._thread(call)
        errors = FormErrors()
        limit = query_int(errors, call, "limit", 100, low=1, high=100)
        after = query_int(errors, call, "after", 0, low=0, high=None)
        errors.raise_if_any()
        users = sorted(u for u in thread.thread_members if u > after)[:limit]
        with_member = call.flag("with_member")
        return ok([self._thread_member(thread, u, with_member) for u in users])

    async def get_thread_member(self, call: Call) -> Reply:
        thread = self._thread(call)
        user_id = call.int("user_id")
        if user_id not in thread.thread_members:
            raise err.unknown("Member", err.UNKNOWN_MEMBER)
        return ok(self._thread_member(thread, user_id, call.flag("with_member")))

    async def join_thread(self, call: Call) -> Reply:
        thread = self._active_thread(call)
        thread.add_member(self.world.bot_user.id)
        return NO_CONTENT

    async def leave_thread(self, call: Call) -> Reply:
        thread = self._active_thread(call)
        thread.remove_member(self.world.bot_user.id)
        return NO_CONTENT

    async def add_thread_member(self, call: Call) -> Reply:
        """Discord: "Requires the ability to send messages in the thread" and that it is not
        archived; a private thread also needs the bot in it (or Manage Threads), and one that
        is not `invitable` lets only moderators add people."""
        thread = self._active_thread(call)
        guild = thread.guild
        assert guild is not None
        member = self._member(guild, call.int("user_id"))
        mine = self._me(guild).permissions_in(thread)
        moderator = bool(mine & perms.MANAGE_THREADS)
        if thread.type == PRIVATE_THREAD:
            if self.world.bot_user.id not in thread.thread_members and not moderator:
                raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
            if not thread.invitable and not moderator:
                raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(thread, guild, perms.SEND_IN_THREADS)
        parent = thread.parent
        if parent is not None and not member.permissions_in(parent) & perms.VIEW_CHANNEL:
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        thread.add_member(member.id)
        return NO_CONTENT

    async def remove_thread_member(self, call: Call) -> Reply:
        """Manage Threads, or being the creator of a private thread; not while archived."""
        thread = self._active_thread(call)
        guild = thread.guild
        assert guild is not None
        user_id = call.int("user_id")
        creator = thread.type == PRIVATE_THREAD and thread.owner_id == self.world.bot_user.id
        if not creator:
            self._require(thread, guild, perms.MANAGE_THREADS)
        thread.remove_member(user_id)
        return NO_CONTENT


def check_auto_archive_duration(errors: FormErrors, path: Path, value: object) -> None:
    if value not in AUTO_ARCHIVE_DURATIONS:
        errors.add(path, "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080).")
