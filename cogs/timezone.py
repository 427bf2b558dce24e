"""/timezone: the zone a member's days, reminders and check-ins are counted in."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.timezones import suggest_timezones

if TYPE_CHECKING:
    from bot.app import SteadyBot

_SOURCE = {
    "member": "you chose it",
    "server": "the server's timezone; you haven't chosen your own",
    "default": "Steady's default; neither you nor the server has chosen one",
}


async def timezone_autocomplete(
    _interaction: discord.Interaction[SteadyBot], current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in suggest_timezones(current)]


@app_commands.guild_only()
class TimezoneCog(commands.GroupCog, group_name="timezone", group_description="Your timezone"):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="set", description="Set your timezone so days roll over at your midnight"
    )
    @app_commands.describe(zone="An IANA timezone such as America/New_York; start typing a city")
    @app_commands.autocomplete(zone=timezone_autocomplete)
    async def set_(self, interaction: discord.Interaction[SteadyBot], zone: str) -> None:
        assert interaction.guild_id is not None
        chosen = await self.bot.services.settings.set_member_timezone(
            interaction.guild_id, interaction.user.id, zone
        )
        local = self.bot.clock.now().astimezone(ZoneInfo(chosen))
        await interaction.response.send_message(
            f"Your timezone is now **{chosen}** (it's {local:%H:%M} on {local:%A} there). "
            "Your days now roll over at your local midnight.",
            ephemeral=True,
        )

    @app_commands.command(name="show", description="Show the timezone Steady uses for you")
    async def show(self, interaction: discord.Interaction[SteadyBot]) -> None:
        assert interaction.guild_id is not None
        current = await self.bot.services.settings.member_timezone(
            interaction.guild_id, interaction.user.id
        )
        await interaction.response.send_message(
            f"Your timezone is **{current.zone}** ({_SOURCE[current.source]}). "
            "Change it with `/timezone set`.",
            ephemeral=True,
        )


async def setup(bot: SteadyBot) -> None:
    await bot.add_cog(TimezoneCog(bot))
