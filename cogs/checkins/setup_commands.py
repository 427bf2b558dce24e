"""/setup checkins and /setup crisis-line add|remove, registered on the setup cog's group so
that the /setup package does not grow with every feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.checks import moderator_only
from bot.services.checkins.config import CheckinConfig
from bot.services.checkins.service import SetupChange

if TYPE_CHECKING:
    from bot.app import SteadyBot


def _is_public(channel: discord.abc.GuildChannel) -> bool:
    return channel.permissions_for(channel.guild.default_role).view_channel


def _can_ping(role: discord.Role | None, channel: discord.abc.GuildChannel) -> bool:
    if role is None:
        return False
    me = channel.guild.me
    return role.mentionable or (me is not None and channel.permissions_for(me).mention_everyone)


def ping_problems(
    guild: discord.Guild, config: CheckinConfig, moderator_role_id: int | None
) -> list[str]:
    """What would stop steps 1 and 2 from reaching people, in words a moderator can act on."""
    if config.alerts_channel_id is None:
        return [
            "No alerts channel is set, so alerts can only reach members' mentors: set one with "
            "`/setup checkins alerts-channel:`."
        ]
    channel = guild.get_channel(config.alerts_channel_id)
    if channel is None:
        return ["I can't see the alerts channel any more; please choose it again."]
    problems = []
    on_call = guild.get_role(config.on_call_role_id) if config.on_call_role_id else None
    if on_call is None:
        problems.append(
            "No on-call role is set, so step 1 posts without pinging anyone: set `on-call-role:`."
        )
    elif not _can_ping(on_call, channel):
        problems.append(
            f"I can't ping {on_call.mention}: make the role mentionable (Server Settings → Roles) "
            "or give Steady the Mention Everyone permission in the alerts channel."
        )
    moderators = guild.get_role(moderator_role_id) if moderator_role_id else None
    if moderators is None:
        problems.append(
            "No moderator role is set, so step 2 cannot ping moderators: set one with "
            "`/setup moderator-role`."
        )
    elif not _can_ping(moderators, channel):
        problems.append(
            f"I can't ping {moderators.mention}: make the role mentionable or give Steady the "
            "Mention Everyone permission in the alerts channel."
        )
    return problems


async def add_checkin_alerts_status(
    bot: SteadyBot, guild: discord.Guild, embed: discord.Embed
) -> None:
    """/setup status: whether a request for support can reach anyone beyond a mentor here."""
    config = await bot.services.checkins.config(guild.id)
    moderator_role = (await bot.services.settings.guild(guild.id)).moderator_role_id
    problems = ping_problems(guild, config, moderator_role)
    embed.add_field(
        name="Check-in alerts",
        value="\n".join(f"• {p}" for p in problems)[:1024]
        if problems
        else "Unclaimed alerts reach the on-call role, then the moderators.",
        inline=False,
    )


@app_commands.command(name="checkins", description="Check-in alerts: channel, roles, thresholds")
@app_commands.rename(
    alerts_channel="alerts-channel",
    on_call_role="on-call-role",
    craving_alert="craving-alert",
    mood_alert="mood-alert",
    first_step_minutes="first-step-minutes",
    second_step_minutes="second-step-minutes",
    keep_notes_days="keep-notes-days",
)
@app_commands.describe(
    alerts_channel="A channel hidden from @everyone where unclaimed alerts are posted",
    on_call_role="Supporters pinged when a mentor has not answered",
    craving_alert="Craving at or above this raises an alert (default 8)",
    mood_alert="Mood at or below this raises an alert (default 1)",
    first_step_minutes="Minutes before the on-call role is pinged (default 15)",
    second_step_minutes="Minutes before moderators are pinged (default 30)",
    keep_notes_days="Days notes are kept; scores stay a year (default 90)",
)
@moderator_only()
async def setup_checkins(
    interaction: discord.Interaction[SteadyBot],
    alerts_channel: discord.TextChannel | None = None,
    on_call_role: discord.Role | None = None,
    craving_alert: int | None = None,
    mood_alert: int | None = None,
    first_step_minutes: int | None = None,
    second_step_minutes: int | None = None,
    keep_notes_days: int | None = None,
) -> None:
    assert interaction.guild is not None
    if alerts_channel is not None and _is_public(alerts_channel):
        await interaction.response.send_message(
            f"{alerts_channel.mention} can be seen by @everyone, and alerts are about members "
            "who asked for help. Please choose a channel hidden from @everyone (only the "
            "on-call supporters and moderators can view it). Nothing was changed.",
            ephemeral=True,
        )
        return
    if on_call_role is not None and on_call_role.is_default():
        await interaction.response.send_message(
            "@everyone can't be the on-call role. Please pick a role your supporters hold. "
            "Nothing was changed.",
            ephemeral=True,
        )
        return
    services = interaction.client.services
    config = await services.checkins.configure(
        interaction.guild.id,
        interaction.user.id,
        SetupChange(
            alerts_channel_id=alerts_channel.id if alerts_channel else None,
            on_call_role_id=on_call_role.id if on_call_role else None,
            craving_alert=craving_alert,
            mood_alert=mood_alert,
            first_step_minutes=first_step_minutes,
            second_step_minutes=second_step_minutes,
            keep_notes_days=keep_notes_days,
        ),
    )
    guild_view = await services.settings.guild(interaction.guild.id)
    first = int(config.timings.first_step.total_seconds() // 60)
    second = int(config.timings.second_step.total_seconds() // 60)
    lines = [
        "Check-in alerts: channel "
        + (f"<#{config.alerts_channel_id}>" if config.alerts_channel_id else "not set")
        + ", on-call role "
        + (f"<@&{config.on_call_role_id}>" if config.on_call_role_id else "not set")
        + f"; an alert when craving ≥ {config.thresholds.craving_alert} or mood ≤ "
        f"{config.thresholds.mood_alert}; on-call after {first} min, moderators after {second} "
        f"min (urgent: 5 and 10); notes kept {config.keep_notes_days} days.",
    ]
    problems = ping_problems(interaction.guild, config, guild_view.moderator_role_id)
    if problems:
        lines.append("**Alerts may not reach people yet:**")
        lines += [f"• {problem}" for problem in problems]
    await interaction.response.send_message("\n".join(lines), ephemeral=True)


crisis_line = app_commands.Group(
    name="crisis-line", description="Extra local crisis lines shown on every crisis card"
)


@crisis_line.command(name="add", description="Add a local line to every crisis card")
@app_commands.describe(
    name="What it's called", contact="A number, text line or link", note="When it's open, etc."
)
@moderator_only()
async def add_line(
    interaction: discord.Interaction[SteadyBot],
    name: str,
    contact: str,
    note: str | None = None,
) -> None:
    assert interaction.guild_id is not None
    line = await interaction.client.services.checkins.add_crisis_line(
        interaction.guild_id, interaction.user.id, name=name, contact=contact, note=note
    )
    await interaction.response.send_message(
        f"Added **{line.name}** ({line.contact}) to every crisis card on this server.",
        ephemeral=True,
    )


@crisis_line.command(name="remove", description="Remove a local line from the crisis card")
@app_commands.describe(name="The line's name")
@moderator_only()
async def remove_line(interaction: discord.Interaction[SteadyBot], name: str) -> None:
    assert interaction.guild_id is not None
    removed = await interaction.client.services.checkins.remove_crisis_line(
        interaction.guild_id, interaction.user.id, name=name
    )
    await interaction.response.send_message(
        f"Removed **{removed}** from the crisis card.", ephemeral=True
    )


def attach_setup_commands(bot: SteadyBot) -> None:
    setup = bot.tree.get_command("setup")
    if not isinstance(setup, app_commands.Group):
        raise RuntimeError("cogs.setup must be loaded before cogs.checkins")
    setup.add_command(setup_checkins)
    setup.add_command(crisis_line)
