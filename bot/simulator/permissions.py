"""Permission arithmetic the way Discord computes it (guild base, then channel overwrites)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import discord

ALL = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
SEND_IN_THREADS = discord.Permissions(send_messages_in_threads=True).value
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
MANAGE_THREADS = discord.Permissions(manage_threads=True).value
CREATE_PUBLIC_THREADS = discord.Permissions(create_public_threads=True).value
CREATE_PRIVATE_THREADS = discord.Permissions(create_private_threads=True).value
MANAGE_EVENTS = discord.Permissions(manage_events=True).value
MANAGE_ROLES = discord.Permissions(manage_roles=True).value
MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value
MENTION_EVERYONE = discord.Permissions(mention_everyone=True).value

# What a fresh server grants @everyone.
EVERYONE_DEFAULT = discord.Permissions(
    view_channel=True,
    create_instant_invite=True,
    change_nickname=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    use_application_commands=True,
    connect=True,
    speak=True,
    stream=True,
    use_voice_activation=True,
).value

# What the bot's managed role grants unless the test says otherwise: enough for Steady's
# features, deliberately not Administrator, so permission mistakes in the bot surface here.
BOT_DEFAULT = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    manage_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_external_emojis=True,
    manage_events=True,
    create_events=True,
    manage_roles=True,
    manage_channels=True,
    connect=True,
).value

# `app_permissions` of an interaction in the DM with the bot. Discord documents that it includes
# ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS; the rest is what a DM
# lets anyone do. Not the bot's guild role: no Manage Roles, no Manage Channels in a DM.
DM_APP = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    add_reactions=True,
    attach_files=True,
    embed_links=True,
    mention_everyone=True,
    use_external_emojis=True,
).value
ATTACH_FILES = discord.Permissions(attach_files=True).value


# Scheduled events and voice (kept apart from the message permissions above).
CREATE_EVENTS = discord.Permissions(create_events=True).value
CONNECT = discord.Permissions(connect=True).value
MUTE_MEMBERS = discord.Permissions(mute_members=True).value
MOVE_MEMBERS = discord.Permissions(move_members=True).value
KICK_MEMBERS = discord.Permissions(kick_members=True).value


def from_flags(flags: Mapping[str, bool]) -> int:
    """`manage_guild=True`-style keyword flags as a bit set (names are discord.py's)."""
    return discord.Permissions(**flags).value


@dataclass
class Overwrite:
    target_id: int
    kind: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, object]:
        return {
            "id": str(self.target_id),
            "type": self.kind,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


def guild_permissions(*, everyone: int, role_permissions: Iterable[int], is_owner: bool) -> int:
    if is_owner:
        return ALL
    value = everyone
    for perms in role_permissions:
        value |= perms
    if value & ADMINISTRATOR:
        return ALL
    return value


def apply_overwrites(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    role_ids: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> int:
    """Discord's order: @everyone overwrite, then all role overwrites together, then member."""
    if base & ADMINISTRATOR:
        return ALL
    by_target = {(o.kind, o.target_id): o for o in overwrites}
    value = base
    everyone = by_target.get((0, guild_id))
    if everyone is not None:
        value = (value & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in role_ids:
        role = by_target.get((0, role_id))
        if role is not None:
            allow |= role.allow
            deny |= role.deny
    value = (value & ~deny) | allow
    member = by_target.get((1, member_id))
    if member is not None:
        value = (value & ~member.deny) | member.allow
    return value
