"""Channels: reading, editing and deleting one, and its permission overwrites."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.limits import FormErrors
from bot.simulator.routes.base import BOT, NO_CONTENT, Call, Reply, Route, RouteGroup, ok
from bot.simulator.routes.threads import ARCHIVED, check_auto_archive_duration
from bot.simulator.state import JSON, SimChannel


class ChannelRoutes(RouteGroup):
    def routes(self) -> list[Route]:
        overwrite = "/channels/{channel_id}/permissions/{target}"
        return [
            ("GET", "/channels/{channel_id}", self.get_channel, BOT),
            ("PATCH", "/channels/{channel_id}", self.patch_channel, BOT),
            ("DELETE", "/channels/{channel_id}", self.delete_channel, BOT),
            ("PUT", overwrite, self.put_overwrite, BOT),
            ("DELETE", overwrite, self.delete_overwrite, BOT),
        ]

    async def get_channel(self, call: Call) -> Reply:
        return ok(self._channel(call).payload())

    async def patch_channel(self, call: Call) -> Reply:
        channel = self._channel(call)
        body = call.body
        guild = channel.guild
        if guild is None:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        if channel.is_thread:
            return self._patch_thread(channel, body)
        self._require(channel, guild, perms.MANAGE_CHANNELS)
        errors = FormErrors()
        if "name" in body:
            errors.too_long(("name",), str(body["name"]), 100)
            if not body["name"]:
                errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_if_any()
        for key in ("name", "topic"):
            if key in body:
                setattr(channel, key, body[key])
        self.world.emit("CHANNEL_UPDATE", channel.payload(), guild.id)
        return ok(channel.payload())

    def _patch_thread(self, thread: SimChannel, body: JSON) -> Reply:
        """Discord's thread rules: an archived thread changes only by being unarchived in the
        same request; unarchiving an unlocked thread needs only Send Messages (in threads),
        a locked one Manage Threads; `locked` needs Manage Threads; the rest Manage Threads
        or being the thread's creator."""
        guild = thread.guild
        assert guild is not None
        mine = self._me(guild).permissions_in(thread)
        moderator = bool(mine & perms.MANAGE_THREADS)
        creator = thread.owner_id == self.world.bot_user.id
        unarchiving = thread.archived and body.get("archived") is False
        if thread.archived and not unarchiving:
            raise ApiError(400, ARCHIVED, "Thread is archived")
        locked = bool(body.get("locked", thread.locked))
        if "locked" in body or (unarchiving and locked):
            self._require(thread, guild, perms.MANAGE_THREADS)
        elif unarchiving:
            self._require(thread, guild, perms.SEND_IN_THREADS)
        others = {"name", "auto_archive_duration", "invitable"} | (
            set() if unarchiving else {"archived"}
        )
        if others & body.keys() and not (moderator or creator):
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        errors = FormErrors()
        if "name" in body:
            errors.too_long(("name",), str(body["name"]), 100)
            if not body["name"]:
                errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        if "auto_archive_duration" in body:
            check_auto_archive_duration(
                errors, ("auto_archive_duration",), body["auto_archive_duration"]
            )
        errors.raise_if_any()
        now = self.world.now()
        if "name" in body:
            thread.name = str(body["name"])
        for key in ("locked", "invitable"):
            if key in body:
                setattr(thread, key, bool(body[key]))
        if "auto_archive_duration" in body:
            thread.auto_archive_duration = int(body["auto_archive_duration"])
            thread.last_activity = now  # changing the duration counts as activity
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_changed_at = now
            if not thread.archived:
                thread.last_activity = now  # so does unarchiving
        self.world.emit("THREAD_UPDATE", thread.payload(), guild.id)
        return ok(thread.payload())

    async def delete_channel(self, call: Call) -> Reply:
        channel = self._channel(call)
        guild = channel.guild
        if guild is None:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(
            channel, guild, perms.MANAGE_THREADS if channel.is_thread else perms.MANAGE_CHANNELS
        )
        channel.deleted = True
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(guild.id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            self.world.emit("THREAD_DELETE", data, guild.id)
        else:
            self.world.emit("CHANNEL_DELETE", channel.payload(), guild.id)
        return ok(channel.payload())

    async def put_overwrite(self, call: Call) -> Reply:
        channel = self._channel(call)
        guild = channel.guild
        if guild is None or channel.is_thread:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(channel, guild, perms.MANAGE_ROLES)
        target = call.int("target")
        kind = int(call.body.get("type", 0))
        channel.overwrites = [o for o in channel.overwrites if o.target_id != target]
        channel.overwrites.append(
            perms.Overwrite(
                target, kind, int(call.body.get("allow") or 0), int(call.body.get("deny") or 0)
            )
        )
        self.world.emit("CHANNEL_UPDATE", channel.payload(), guild.id)
        return NO_CONTENT

    async def delete_overwrite(self, call: Call) -> Reply:
        channel = self._channel(call)
        guild = channel.guild
        if guild is None:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        self._require(channel, guild, perms.MANAGE_ROLES)
        target = call.int("target")
        channel.overwrites = [o for o in channel.overwrites if o.target_id != target]
        self.world.emit("CHANNEL_UPDATE", channel.payload(), guild.id)
        return NO_CONTENT
