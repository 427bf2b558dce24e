"""/audit and /stats: what moderators did, and how the server is doing, never content."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from cogs.privacy import render

if TYPE_CHECKING:
    from typing import TypeAlias

    from bot.app import SteadyBot

    Interaction: TypeAlias = discord.Interaction[SteadyBot]


class ModerationCog(commands.Cog):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        self.service = bot.services.privacy

    @app_commands.command(name="audit", description="Moderators: who did what, and when")
    @app_commands.describe(
        member="Only actions by or about this member", days="How far back (default 30)"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def audit(
        self,
        interaction: Interaction,
        member: discord.User | None = None,
        days: app_commands.Range[int, 1, 365] = 30,
    ) -> None:
        assert interaction.guild_id is not None
        entries = await self.service.audit(
            interaction.guild_id, member_id=member.id if member else None, days=days
        )
        await interaction.response.send_message(render.audit(entries, days), ephemeral=True)

    @app_commands.command(name="stats", description="Moderators: totals for this server")
    @app_commands.describe(days="How far back (default 30)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def stats(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        assert interaction.guild_id is not None
        figures = await self.service.stats(interaction.guild_id, days=days)
        await interaction.response.send_message(embed=render.stats(figures, days), ephemeral=True)
