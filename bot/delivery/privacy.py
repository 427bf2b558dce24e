"""Whether a fallback channel is private enough for a private message (pure; no I/O).

Judged from what a bot without the members intent can read: the channel's overwrites, the
guild's roles, and how many members hold each role (Discord's role member counts). A channel
is private when @everyone cannot view it and the roles that can are held, together, by at most
`SHARE` of the server's members. What this cannot know: exactly who holds a role (only counts,
approximate, at this moment), roles given to members later, and members allowed one by one by
their own overwrite (few people, each named by a moderator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

VIEW_CHANNEL = 1 << 10
ADMINISTRATOR = 1 << 3
PRIVATE_THREAD = 12
PUBLIC_THREADS = frozenset({10, 11})
DM_CHANNEL_TYPES = frozenset({1, 3})
ROLE_OVERWRITE = 0
# Roles that can view the channel, held together by more than this share of the members,
# make it as good as public (a "Members" role everyone gets on joining, say).
SHARE = 0.5


def is_thread_or_dm_private(channel: Mapping[str, Any]) -> bool | None:
    """True for a private thread or a DM; None when the channel itself must be judged."""
    kind = int(channel.get("type", 0))
    if kind == PRIVATE_THREAD or kind in DM_CHANNEL_TYPES:
        return True
    return None


def viewing_roles(
    channel: Mapping[str, Any], roles: Sequence[Mapping[str, Any]], guild_id: int
) -> set[int] | None:
    """The roles (not @everyone) whose members can view `channel`, or None when @everyone can
    view it: Discord's permission order (base role permissions, then the @everyone overwrite,
    then the role's overwrite; Administrator sees everything)."""
    by_id = {int(r["id"]): r for r in roles}
    everyone = int(by_id[guild_id]["permissions"]) if guild_id in by_id else 0
    overwrites = {
        int(o["id"]): (int(o.get("allow") or 0), int(o.get("deny") or 0))
        for o in channel.get("permission_overwrites") or []
        if int(o.get("type", ROLE_OVERWRITE)) == ROLE_OVERWRITE
    }

    def can_view(base: int, role_id: int | None) -> bool:
        if base & ADMINISTRATOR:
            return True
        allow, deny = overwrites.get(guild_id, (0, 0))
        perms = (base & ~deny) | allow
        if role_id is not None and role_id in overwrites:
            allow, deny = overwrites[role_id]
            perms = (perms & ~deny) | allow
        return bool(perms & VIEW_CHANNEL)

    if can_view(everyone, None):
        return None
    return {
        role_id
        for role_id, role in by_id.items()
        if role_id != guild_id and can_view(everyone | int(role["permissions"]), role_id)
    }


def few_enough(role_ids: set[int], counts: Mapping[int, int], members: int) -> bool:
    """Whether the roles' holders together are at most `SHARE` of the members (overlaps
    counted twice, which only errs towards calling a channel public). A role without a count
    (made since the guild was read, or left out) is taken as held by everyone: unknown must err
    the same way."""
    if members <= 0:
        return False
    return sum(counts.get(r, members) for r in role_ids) <= SHARE * members
