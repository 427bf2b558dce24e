"""/crisis: help that is always one command away. Steady gives no medical advice."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import SteadyBot

CRISIS_TEXT = (
    "**If you are in danger right now, call your local emergency number.**\n\n"
    "You can reach someone any time, for free:\n"
    "• **US**: call or text **988** (Suicide & Crisis Lifeline); SAMHSA helpline "
    "**1-800-662-4357** for substance use\n"
    "• **UK & Ireland**: Samaritans **116 123**\n"
    "• **Canada**: call or text **988**\n"
    "• **Australia**: Lifeline **13 11 14**\n"
    "• **Anywhere else**: https://findahelpline.com lists free, confidential lines by country\n\n"
    "Reaching out is a strong thing to do. Your mentor, your IOP team and the moderators here "
    "are people you can tell, too. Steady is a peer-support bot and can't give medical advice."
)


class CrisisCog(commands.Cog):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot

    @app_commands.command(name="crisis", description="Crisis lines you can reach right now")
    async def crisis(self, interaction: discord.Interaction[SteadyBot]) -> None:
        await interaction.response.send_message(CRISIS_TEXT, ephemeral=True, suppress_embeds=True)


async def setup(bot: SteadyBot) -> None:
    await bot.add_cog(CrisisCog(bot))
