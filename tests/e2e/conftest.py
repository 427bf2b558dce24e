"""The end-to-end harness: the real bot, logged in through discord.py to the simulator.

Nothing of Steady's own is mocked here; tests act as members do (slash commands, clicks,
modals, the clock moving on) and assert on what members and mentors see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.simulator import SimChannel, SimGuild, SimMember, SimRole, Simulator

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class World:
    """A small recovery community: members, a moderator role and a few channels."""

    sim: Simulator
    guild: SimGuild
    general: SimChannel
    milestones: SimChannel
    mods: SimRole
    alice: SimMember
    bob: SimMember
    mo: SimMember  # moderator through the Manage Server permission of the Moderators role
    carol: SimMember  # moderator, DMs closed
    dana: SimMember  # holds the "Helpers" role, which is not a moderator role until configured
    helpers: SimRole


@pytest.fixture
def world(sim: Simulator) -> World:
    guild = sim.add_guild("Recovery Circle")
    mods = guild.add_role("Moderators", manage_guild=True)
    helpers = guild.add_role("Helpers")
    return World(
        sim=sim,
        guild=guild,
        general=guild.channel("general"),
        milestones=guild.add_text_channel("milestones"),
        mods=mods,
        alice=guild.add_member("alice"),
        bob=guild.add_member("bob"),
        mo=guild.add_member("mo", roles=[mods]),
        carol=guild.add_member("carol", roles=[mods], dms_open=False),
        dana=guild.add_member("dana", roles=[helpers]),
        helpers=helpers,
    )


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def bot(sim: Simulator, world: World, database_url: URL) -> AsyncIterator[SteadyBot]:
    async with sim.run_bot(database_url=url_text(database_url), now=START) as running:
        yield running
