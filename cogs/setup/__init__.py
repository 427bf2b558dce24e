"""/setup: moderators' server-wide settings. Features add their own subcommands to this group
(/setup checkins, /setup crisis-line, /setup meetings) from their cogs, so it does not grow with
every feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.setup.commands import SetupCog

if TYPE_CHECKING:
    from bot.app import SteadyBot


async def setup(bot: SteadyBot) -> None:
    await bot.add_cog(SetupCog(bot))
