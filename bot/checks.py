"""Checks Steady makes itself on every command that needs them.

Discord's `default_member_permissions` only hides commands, and server admins can change it; the
bot still decides who is a moderator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.tree import NotModerator

if TYPE_CHECKING:
    from bot.app import SteadyBot

T = TypeVar("T")

NOT_MODERATOR = (
    "This command is for moderators: members with the Manage Server permission or the "
    "server's moderator role. Nothing was changed."
)


async def is_moderator(interaction: discord.Interaction[SteadyBot]) -> bool:
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    role_ids = frozenset(role.id for role in member.roles)
    return await interaction.client.services.settings.is_moderator(
        interaction.guild_id, role_ids, interaction.permissions.manage_guild
    )


# The moderator checks handed out, so /help can tell moderator commands from the rest without
# each feature listing its own.
_moderator_checks: set[Callable[..., Any]] = set()


def moderator_only() -> Callable[[T], T]:
    async def predicate(interaction: discord.Interaction[SteadyBot]) -> bool:
        if not await is_moderator(interaction):
            raise NotModerator(NOT_MODERATOR)
        return True

    _moderator_checks.add(predicate)
    return app_commands.check(predicate)


def is_moderator_check(check: Callable[..., Any]) -> bool:
    """Whether `check` (from a command's `checks`) is `moderator_only`'s."""
    return check in _moderator_checks
