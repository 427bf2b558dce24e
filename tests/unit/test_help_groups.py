"""/help sorts any command into its audience from how it is declared, so a new feature's
commands appear in the right group without anyone editing a list."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.checks import moderator_only
from cogs.privacy.help import MENTORS, MODERATORS, PARTICIPANTS, embeds_for, grouped


async def _answer(interaction: discord.Interaction[Any]) -> None:
    await interaction.response.send_message("ok")


def _tree() -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents.none())
    )
    tree.add_command(app_commands.Command(name="journal", description="Write", callback=_answer))
    tree.add_command(app_commands.Command(name="crisis", description="Lines", callback=_answer))
    mentees: app_commands.Command[Any, ..., Any] = app_commands.Command(
        name="mentees", description="Yours", callback=_answer, extras={"audience": "mentors"}
    )
    tree.add_command(mentees)
    tree.add_command(
        moderator_only()(app_commands.Command(name="alerts", description="Open", callback=_answer))
    )
    setup = app_commands.Group(
        name="config", description="Settings", default_permissions=discord.Permissions(32)
    )
    setup.add_command(app_commands.Command(name="show", description="Show", callback=_answer))
    tree.add_command(setup)
    return tree


def test_commands_fall_into_their_audience_with_crisis_first() -> None:
    groups = grouped(_tree())
    assert groups == {
        PARTICIPANTS: ["`/crisis`: Lines", "`/journal`: Write"],
        MENTORS: ["`/mentees`: Yours"],
        MODERATORS: ["`/alerts`: Open", "`/config show`: Show"],
    }


def test_only_moderators_see_the_moderator_group() -> None:
    groups = grouped(_tree())
    member = [f.name for e in embeds_for(groups, moderator=False) for f in e.fields]
    moderator = [f.name for e in embeds_for(groups, moderator=True) for f in e.fields]
    assert member == [PARTICIPANTS, MENTORS]
    assert moderator == [PARTICIPANTS, MENTORS, MODERATORS]
