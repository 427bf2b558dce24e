"""Guilds: the guild itself, creating channels, roles, members and their roles."""

from __future__ import annotations

from bot.simulator import errors as err
from bot.simulator import permissions as perms
from bot.simulator.errors import ApiError
from bot.simulator.intents import GUILD_MEMBERS
from bot.simulator.limits import FormErrors
from bot.simulator.routes.base import BOT, NO_CONTENT, Call, Reply, Route, RouteGroup, ok
from bot.simulator.state import TEXT, VOICE, SimChannel, SimMember, SimRole


class GuildRoutes(RouteGroup):
    def routes(self) -> list[Route]:
        member_role = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        return [
            ("GET", "/guilds/{guild_id}", self.get_guild, BOT),
            ("GET", "/guilds/{guild_id}/channels", self.list_channels, BOT),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel, BOT),
            ("GET", "/guilds/{guild_id}/roles", self.list_roles, BOT),
            ("GET", "/guilds/{guild_id}/roles/member-counts", self.role_member_counts, BOT),
            ("GET", "/guilds/{guild_id}/members", self.list_members, BOT),
            ("GET", "/guilds/{guild_id}/members/{member_id}", self.get_member, BOT),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}", self.kick_member, BOT),
            ("PUT", member_role, self.add_role, BOT),
            ("DELETE", member_role, self.remove_role, BOT),
        ]

    async def get_guild(self, call: Call) -> Reply:
        return ok(self._guild(call).rest_payload(with_counts=call.flag("with_counts")))

    async def list_channels(self, call: Call) -> Reply:
        guild = self._guild(call)
        return ok([c.payload() for c in guild.channels if not c.is_thread])

    async def create_channel(self, call: Call) -> Reply:
        guild = self._guild(call)
        self._require(None, guild, perms.MANAGE_CHANNELS)
        body = call.body
        kind = int(body.get("type") or TEXT)
        name = str(body.get("name") or "")
        errors = FormErrors()
        if not name:
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.too_long(("name",), name, 100)
        if kind not in (TEXT, VOICE, 4):
            errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4}.")
        errors.raise_if_any()
        parent = body.get("parent_id")
        channel = SimChannel(
            self.world.ids.next(),
            kind,
            name,
            self.world,
            guild=guild,
            parent_id=int(parent) if parent else None,
            topic=body.get("topic"),
            overwrites=[
                perms.Overwrite(
                    int(o["id"]),
                    int(o.get("type", 0)),
                    int(o.get("allow") or 0),
                    int(o.get("deny") or 0),
                )
                for o in body.get("permission_overwrites") or []
            ],
        )
        guild._add_channel(channel)
        return 201, channel.payload()

    async def list_roles(self, call: Call) -> Reply:
        return ok([r.payload() for r in self._guild(call).roles.values()])

    async def role_member_counts(self, call: Call) -> Reply:
        """How many members hold each role (not @everyone), as Discord answers it."""
        guild = self._guild(call)
        return ok({str(r.id): len(r.members) for r in guild.roles.values() if not r.is_everyone})

    async def list_members(self, call: Call) -> Reply:
        guild = self._guild(call)
        if not self.world.privileged_intents & GUILD_MEMBERS:
            # Listing members needs the GUILD_MEMBERS intent enabled for the application.
            raise ApiError(403, err.MISSING_ACCESS, "Missing Access")
        after = int(call.query.get("after", 0))
        limit = min(int(call.query.get("limit", 1)), 1000)
        members = sorted((m for m in guild.members if m.id > after), key=lambda m: m.id)
        return ok([m.payload() for m in members[:limit]])

    async def get_member(self, call: Call) -> Reply:
        guild = self._guild(call)
        return ok(self._member(guild, call.int("member_id")).payload())

    def _member_and_role(self, call: Call) -> tuple[SimMember, SimRole]:
        guild = self._guild(call)
        member = self._member(guild, call.int("user_id"))
        role = guild.roles.get(call.int("role_id"))
        if role is None:
            raise err.unknown("Role", err.UNKNOWN_ROLE)
        self._require(None, guild, perms.MANAGE_ROLES)
        return member, role

    async def add_role(self, call: Call) -> Reply:
        member, role = self._member_and_role(call)
        if role.position >= max(r.position for r in member.guild.me.roles):
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        member.add_role(role)
        return NO_CONTENT

    async def remove_role(self, call: Call) -> Reply:
        member, role = self._member_and_role(call)
        member.remove_role(role)
        return NO_CONTENT

    async def kick_member(self, call: Call) -> Reply:
        """Kick Members, and only someone below the bot's highest role (never the owner);
        a member in voice is disconnected first, as in `SimGuild.remove_member`."""
        guild = self._guild(call)
        member = self._member(guild, call.int("user_id"))
        self._require(None, guild, perms.KICK_MEMBERS)
        top = max((r.position for r in guild.me.roles), default=0)
        theirs = max((r.position for r in member.roles), default=0)
        if member.id == guild.owner_id or member is guild.me or theirs >= top:
            raise ApiError(403, err.MISSING_PERMISSIONS, "Missing Permissions")
        guild.remove_member(member)
        return NO_CONTENT
