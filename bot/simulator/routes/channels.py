"""Channels: reading, editing and deleting one, and its permission overwrites."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.limits import FormErrors
from bot.simulator.routes.base import BOT, NO_CONTENT, Call, Reply, Route, RouteGroup, ok


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
        is_own_thread = channel.is_thread and channel.owner_id == self.world.bot_user.id
        if not is_own_thread:
            bit = perms.MANAGE_THREADS if channel.is_thread else perms.MANAGE_CHANNELS
            self._require(channel, guild, bit)
        errors = FormErrors()
        if "name" in body:
            errors.too_long(("name",), str(body["name"]), 100)
            if not body["name"]:
                errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_if_any()
        for key in ("name", "topic"):
            if key in body:
                setattr(channel, key, body[key])
        for key in ("archived", "locked", "invitable"):
            if key in body and channel.is_thread:
                setattr(channel, key, bool(body[key]))
        if "auto_archive_duration" in body:
            channel.auto_archive_duration = int(body["auto_archive_duration"])
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        self.world.emit(event, channel.payload(), guild.id)
        return ok(channel.payload())

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
