"""What `/setup mentoring` checks about the channels it is given (Discord permissions)."""

from __future__ import annotations

import discord


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
