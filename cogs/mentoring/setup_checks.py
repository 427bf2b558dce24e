"""What `/setup mentoring` checks about the channels it is given (Discord permissions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.services.mentoring.settings import MentoringSettingsService


def review_channel_problem(channel: discord.TextChannel) -> str | None:
    """Why `channel` can't take application notices, or None: applications are for moderators
    only, and Steady must be able to post there."""
    guild = channel.guild
    if channel.permissions_for(guild.default_role).view_channel:
        return (
            f"{channel.mention} can be seen by @everyone, and applications are for moderators "
            "only. Please choose a channel hidden from @everyone. Nothing was changed."
        )
    me = guild.me
    if me is not None:
        mine = channel.permissions_for(me)
        if not (mine.view_channel and mine.send_messages):
            return (
                f"I can't post in {channel.mention}. Please let Steady view and send messages "
                "there, then run this again. Nothing was changed."
            )
    return None


# What Steady needs where pairs' threads are made: to make a private thread, post the
# introduction in it, and lock it when the pairing ends.
THREAD_PERMISSIONS = {
    "view_channel": "View Channel",
    "create_private_threads": "Create Private Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "manage_threads": "Manage Threads",
}


def missing_thread_permissions(channel: discord.abc.GuildChannel) -> list[str]:
    me = channel.guild.me
    if me is None:
        return []
    mine = channel.permissions_for(me)
    return [label for flag, label in THREAD_PERMISSIONS.items() if not getattr(mine, flag)]


def pairs_channel_problem(channel: discord.TextChannel) -> str | None:
    """Why `channel` can't hold pairs' private threads, or None."""
    missing = missing_thread_permissions(channel)
    if not missing:
        return None
    return (
        f"To make each pair's private thread in {channel.mention}, Steady needs "
        f"{', '.join(missing)} there. Please grant them, then run this again. Nothing was changed."
    )


def pairs_space_status(guild: discord.Guild, channel_id: int | None) -> str | None:
    """For `/setup status`: why new pairs are introduced by DM instead of in a private
    thread, or None when threads can be made."""
    if channel_id is None:
        return (
            "No mentoring channel is set, so new pairs are introduced by DM. "
            "`/setup mentoring channel:` sets one for private threads."
        )
    channel = guild.get_channel(channel_id)
    if channel is None:
        return (
            "The mentoring channel no longer exists, so new pairs are introduced by DM. "
            "`/setup mentoring channel:` sets another."
        )
    missing = missing_thread_permissions(channel)
    if missing:
        return (
            f"Steady lacks {', '.join(missing)} in {channel.mention}, so new pairs are "
            "introduced by DM and ended pairs' threads may not lock."
        )
    return None


async def add_pairs_status(
    embed: discord.Embed, settings: MentoringSettingsService, guild: discord.Guild
) -> None:
    """`/setup status`: a line on pairs' threads, in a server that uses mentoring, when new
    pairs are introduced by DM instead."""
    view = await settings.view(guild.id)
    problem = pairs_space_status(guild, view.channel_id)
    if view.in_use and problem is not None:
        embed.add_field(name="Mentoring pairs", value=problem, inline=False)
