"""The command tree: one place where errors become kind, ephemeral replies; and publishing it."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.errors import SteadyError

if TYPE_CHECKING:
    from bot.app import SteadyBot

log = logging.getLogger(__name__)


class NotModerator(app_commands.CheckFailure):
    """Raised by the moderator check; its message is shown to the member."""


class CommandsRefused(Exception):
    """Discord would not take the slash commands; the message is one line for the operator."""


class SteadyTree(app_commands.CommandTree["SteadyBot"]):
    async def on_error(
        self, interaction: discord.Interaction[SteadyBot], error: app_commands.AppCommandError
    ) -> None:
        await send_error(interaction, explain(interaction, error))


async def publish(tree: app_commands.CommandTree[Any], guild_id: int | None) -> int:
    """Publish the slash commands to one server, or globally when `guild_id` is None; how many.
    Raises CommandsRefused, naming the server, when Discord says no."""
    guild = discord.Object(guild_id) if guild_id is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    try:
        return len(await tree.sync(guild=guild))
    except discord.HTTPException as exc:
        where = f"server {guild_id}" if guild_id is not None else "all servers"
        reason = " ".join((exc.text or "").split()) or "no reason given"
        hint = (
            " Is Steady in that server, added with the applications.commands scope?"
            if guild_id is not None and exc.status in (403, 404)
            else ""
        )
        raise CommandsRefused(
            f"Discord refused the slash commands for {where} ({exc.status}: {reason}).{hint}"
        ) from exc


def explain(interaction: discord.Interaction[SteadyBot], error: Exception) -> str:
    """What the member is told; anything unexpected is logged under a short incident id."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, SteadyError):
        return original.message
    if isinstance(original, NotModerator):
        return str(original)
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command works inside a server, not in direct messages."
    if isinstance(original, app_commands.TransformerError):
        return "I couldn't understand one of the options you gave. Please check it and try again."
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use this command here."
    incident = secrets.token_hex(4)
    command = interaction.command.qualified_name if interaction.command else "interaction"
    # The exception is logged with its traceback but without the interaction's options, which
    # may hold a member's note or dates.
    log.error("incident %s in /%s", incident, command, exc_info=original)
    return (
        "Something went wrong on my side and nothing was changed. "
        f"If it keeps happening, please tell a moderator the incident code `{incident}`."
    )


async def send_error(interaction: discord.Interaction[SteadyBot], message: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error reply (interaction expired)")
