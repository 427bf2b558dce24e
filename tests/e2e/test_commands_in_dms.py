"""Which commands work in DMs: every command that needs a server is guild-only as a whole
group (discord.py ignores guild_only() on a group's subcommands), and every command answers
kindly in DMs or is not offered there at all."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands

from bot.app import SteadyBot
from bot.simulator import CommandNotAvailable
from tests.e2e.conftest import World

# Commands that make sense without a server; everything else needs one.
# /privacy and /help explain themselves there (a member's data is per server).
WORKS_IN_DMS = {"crisis", "privacy", "help"}
GUILD = 0  # Discord's interaction context type for a server


def _leaves(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group,
) -> list[app_commands.Command[Any, ..., Any]]:
    if isinstance(command, app_commands.Group):
        return [leaf for child in command.commands for leaf in _leaves(child)]
    return [command]


def test_every_command_group_that_needs_a_server_is_guild_only(bot: SteadyBot) -> None:
    top_level = bot.tree.get_commands()
    assert {c.name for c in top_level} >= {"sobriety", "timezone", "setup", "crisis"}
    for command in top_level:
        published = command.to_dict(bot.tree)
        in_dms = published.get("dm_permission", True) and (
            published.get("contexts") is None or published["contexts"] != [GUILD]
        )
        assert in_dms == (command.name in WORKS_IN_DMS), command.name


@pytest.mark.usefixtures("bot")
async def test_every_command_answers_kindly_in_dms(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    dm = sim.dm_channel(alice)
    for top in bot.tree.get_commands():
        if not isinstance(top, app_commands.Command | app_commands.Group):
            continue  # a context menu is not typed in a channel
        for leaf in _leaves(top):
            name = leaf.qualified_name
            options: dict[str, Any] = {p.name: "x" for p in leaf.parameters if p.required}
            if top.name in WORKS_IN_DMS:
                reply = await sim.slash(alice, name, in_channel=dm, **options)
                assert reply.content or reply.embeds, name
                assert "Something went wrong" not in reply.content, name
                assert "Something went wrong" not in str(reply.embeds), name
            else:
                with pytest.raises(CommandNotAvailable, match="cannot be used in DMs"):
                    await sim.slash(alice, name, in_channel=dm, **options)
