"""Mentor and sponsor matching: /mentor for members, /mentors for moderators, and the
persistent buttons of offers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs import confirm
from cogs.mentoring.buttons import MENTORING_ITEMS
from cogs.mentoring.member import MentorCog
from cogs.mentoring.moderators import MentorsCog

if TYPE_CHECKING:
    from bot.app import SteadyBot


async def setup(bot: SteadyBot) -> None:
    confirm.install(bot)
    await bot.add_cog(MentorCog(bot))
    await bot.add_cog(MentorsCog(bot))
    # Registered as the cog loads, before the gateway connects, so that clicks on offers sent
    # before a restart are routed.
    bot.add_dynamic_items(*MENTORING_ITEMS)
