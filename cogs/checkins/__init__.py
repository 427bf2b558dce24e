"""The check-in feature's Discord adapter: /checkin, /checkins …, /sos, /setup checkins and
/setup crisis-line, and the persistent buttons on alerts and prompts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.checkins.alert_buttons import PERSISTENT
from cogs.checkins.commands import CheckinCog
from cogs.checkins.form import PromptButton
from cogs.checkins.setup_commands import attach_setup_commands

if TYPE_CHECKING:
    from bot.app import SteadyBot


async def setup(bot: SteadyBot) -> None:
    await bot.add_cog(CheckinCog(bot))
    attach_setup_commands(bot)
    bot.add_dynamic_items(*PERSISTENT, PromptButton)
