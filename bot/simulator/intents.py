"""Privileged gateway intents: which ones the application has enabled in the Developer Portal.

A bot identifying with a privileged intent the application has not enabled is closed with
4014, and `GET /guilds/{id}/members` needs GUILD_MEMBERS enabled (docs: events/gateway,
"Privileged Intents").
"""

from __future__ import annotations

from collections.abc import Iterable

GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# discord.py's names for them (`discord.Intents(members=True)`).
NAMES = {"members": GUILD_MEMBERS, "presences": GUILD_PRESENCES, "message_content": MESSAGE_CONTENT}

DISALLOWED_INTENTS = 4014


def privileged_bits(names: Iterable[str]) -> int:
    """`{"members", "message_content"}` as a bit set; unknown names are a test's mistake."""
    bits = 0
    for name in names:
        if name not in NAMES:
            raise ValueError(f"{name!r} is not a privileged intent (choose from {sorted(NAMES)})")
        bits |= NAMES[name]
    return bits


def application_flags(bits: int) -> int:
    """The application's `flags` for its enabled intents (GATEWAY_PRESENCE, _GUILD_MEMBERS,
    _MESSAGE_CONTENT: 1 << 12, 1 << 14, 1 << 18)."""
    flags = 0
    if bits & GUILD_PRESENCES:
        flags |= 1 << 12
    if bits & GUILD_MEMBERS:
        flags |= 1 << 14
    if bits & MESSAGE_CONTENT:
        flags |= 1 << 18
    return flags
