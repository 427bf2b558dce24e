"""/help: the commands this member can use, one line each, built from the bot's own command
tree so a new feature's commands appear without anyone editing a list.

A command is a moderator's when it (or its group) carries `moderator_only()` or needs Manage
Server by default; a mentor's when it (or its group) says `extras={"audience": "mentors"}`;
everyone's otherwise. Moderators see the moderator group; others do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import is_moderator, is_moderator_check

if TYPE_CHECKING:
    from typing import TypeAlias

    from bot.app import SteadyBot

    Interaction: TypeAlias = discord.Interaction[SteadyBot]

PARTICIPANTS = "For everyone"
MENTORS = "For mentors and sponsors"
MODERATORS = "For moderators"
AUDIENCE_KEY = "audience"
MENTORS_AUDIENCE = "mentors"
FIRST = "crisis"  # help that is always one command away comes first
FIELD_LIMIT = 1024
# Below Discord's 6,000 characters per embed, leaving room for the title and the footer.
EMBED_LIMIT = 5_500
FIELDS_LIMIT = 25

Leaf = app_commands.Command[Any, ..., Any]


def _leaves(command: Leaf | app_commands.Group) -> Iterator[Leaf]:
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from _leaves(child)
    else:
        yield command


def _lineage(command: Leaf) -> Iterator[Leaf | app_commands.Group]:
    current: Leaf | app_commands.Group | None = command
    while current is not None:
        yield current
        current = current.parent


def audience(command: Leaf) -> str:
    for node in _lineage(command):
        if node.extras.get(AUDIENCE_KEY) == MENTORS_AUDIENCE:
            return MENTORS
        # A group's own interaction_check is not a list of checks; its commands carry theirs.
        checks = node.checks if isinstance(node, app_commands.Command) else []
        if any(is_moderator_check(check) for check in checks):
            return MODERATORS
        permissions = node.default_permissions
        if permissions is not None and permissions.manage_guild:
            return MODERATORS
    return PARTICIPANTS


def grouped(tree: app_commands.CommandTree[Any]) -> dict[str, list[str]]:
    """Every slash command as `/name`, its one line, under its audience; /crisis first."""
    groups: dict[str, list[tuple[bool, str, str]]] = {PARTICIPANTS: [], MENTORS: [], MODERATORS: []}
    for top in tree.get_commands(type=discord.AppCommandType.chat_input):
        if not isinstance(top, app_commands.Command | app_commands.Group):
            continue
        for leaf in _leaves(top):
            name = leaf.qualified_name
            groups[audience(leaf)].append((name != FIRST, name, f"`/{name}`: {leaf.description}"))
    return {
        group: [line for _later, _name, line in sorted(entries)]
        for group, entries in groups.items()
        if entries
    }


def embeds_for(groups: dict[str, list[str]], *, moderator: bool) -> list[discord.Embed]:
    """The groups as embed fields, over as many embeds as Discord's limits need (a field holds
    1,024 characters, an embed 6,000 and 25 fields): every command is listed, none cut off."""
    fields: list[tuple[str, str]] = []
    for group, lines in groups.items():
        if group == MODERATORS and not moderator:
            continue
        field, name = "", group
        for line in lines:
            if len(field) + len(line) + 1 > FIELD_LIMIT:
                fields.append((name, field))
                field, name = "", f"{group} (continued)"
            field = f"{field}\n{line}" if field else line
        fields.append((name, field))
    embeds = [discord.Embed(title="Steady's commands", colour=discord.Colour.teal())]
    size = len(embeds[0].title or "")
    for name, value in fields:
        if size + len(name) + len(value) > EMBED_LIMIT or len(embeds[-1].fields) == FIELDS_LIMIT:
            embeds.append(discord.Embed(colour=discord.Colour.teal()))
            size = 0
        embeds[-1].add_field(name=name, value=value, inline=False)
        size += len(name) + len(value)
    embeds[-1].set_footer(text="Replies about your own data are only shown to you.")
    return embeds


class HelpCog(commands.Cog):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="The commands you can use, one line each")
    async def help(self, interaction: Interaction) -> None:
        moderator = await is_moderator(interaction)
        await interaction.response.send_message(
            embeds=embeds_for(grouped(self.bot.tree), moderator=moderator), ephemeral=True
        )
