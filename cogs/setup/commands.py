"""The /setup group and its core settings: show, timezone, moderator role, milestones,
mentoring and status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from cogs.checkins.setup_commands import add_checkin_alerts_status
from cogs.meetings.setup_command import add_meetings_settings
from cogs.mentoring.setup_checks import (
    add_pairs_status,
    pairs_channel_problem,
    review_channel_problem,
)
from cogs.setup.settings_card import ROLE_VISIBILITY, channel_text, settings_embed
from cogs.setup.status import render_status
from cogs.timezone import timezone_autocomplete

if TYPE_CHECKING:
    from bot.app import SteadyBot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SetupCog(
    commands.GroupCog, group_name="setup", group_description="Server settings for moderators"
):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show", description="Show this server's Steady settings")
    @moderator_only()
    async def show(self, interaction: discord.Interaction[SteadyBot]) -> None:
        assert interaction.guild_id is not None
        view = await self.bot.services.settings.guild(interaction.guild_id)
        embed = settings_embed(view)
        await add_meetings_settings(self.bot, interaction.guild_id, embed)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="timezone", description="Set the server's default timezone")
    @app_commands.describe(zone="An IANA timezone such as Europe/London; start typing a city")
    @app_commands.autocomplete(zone=timezone_autocomplete)
    @moderator_only()
    async def timezone(self, interaction: discord.Interaction[SteadyBot], zone: str) -> None:
        assert interaction.guild_id is not None
        # Re-planning every member's celebrations can take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = await self.bot.services.settings.set_guild_timezone(
            interaction.guild_id, zone, actor_id=interaction.user.id
        )
        await interaction.followup.send(
            f"The server's timezone is now **{chosen}**. Members who set their own with "
            "`/timezone set` keep theirs.",
            ephemeral=True,
        )

    @app_commands.command(
        name="moderator-role", description="Choose the role whose members may run /setup"
    )
    @app_commands.describe(role="Members with this role count as moderators")
    @moderator_only()
    async def moderator_role(
        self, interaction: discord.Interaction[SteadyBot], role: discord.Role
    ) -> None:
        assert interaction.guild_id is not None
        if not interaction.permissions.manage_guild:
            # A moderator by role must not be able to hand that role to anyone: only people
            # who manage the server decide who moderates it.
            await interaction.response.send_message(
                "Only members with the Manage Server permission can choose the moderator role. "
                "Nothing was changed.",
                ephemeral=True,
            )
            return
        if role.is_default():
            await interaction.response.send_message(
                "@everyone can't be the moderator role: every member would become a moderator. "
                "Please pick a role that only your moderators have.",
                ephemeral=True,
            )
            return
        await self.bot.services.settings.set_moderator_role(
            interaction.guild_id, role.id, actor_id=interaction.user.id
        )
        await interaction.response.send_message(
            f"Steady now treats members with {role.mention} as moderators. Discord still hides "
            f"`/setup` from them until the server owner allows it: {ROLE_VISIBILITY}",
            ephemeral=True,
        )

    @app_commands.command(
        name="milestones", description="Where and when milestone celebrations are posted"
    )
    @app_commands.describe(
        channel="The channel for members who chose to celebrate publicly",
        hour="Local hour (0-23) in each member's timezone when celebrations go out (default 9)",
        ladder="Day counts to celebrate, e.g. 1, 7, 30, 90, 365 (or `default`)",
    )
    @moderator_only()
    async def milestones(
        self,
        interaction: discord.Interaction[SteadyBot],
        channel: discord.TextChannel | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        ladder: app_commands.Range[str, 1, 400] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.bot.services.celebrations.configure_guild(
            interaction.guild_id,
            channel_id=channel.id if channel else None,
            hour=hour,
            raw_ladder=ladder,
            actor_id=interaction.user.id,
        )
        where = channel_text(view.milestones_channel_id)
        await interaction.followup.send(
            f"Milestone celebrations: channel {where}, at {view.celebration_hour:02d}:00 in each "
            f"member's own timezone, ladder {view.milestone_ladder or 'default'}. Members who "
            "chose `channel` are celebrated there; everyone else keeps their own choice.",
            ephemeral=True,
        )

    @app_commands.command(name="mentoring", description="Mentor and sponsor matching settings")
    @app_commands.describe(
        channel="Where each pair's private thread is created",
        review_channel="Gets a notice of each new application; must be hidden from @everyone",
        sponsor_days="Sober days a sponsor needs (default 365)",
        offer_hours="How long an offer waits for an answer (default 24)",
        focus_list="The focus areas members choose from, comma separated (or `default`)",
    )
    @app_commands.rename(
        review_channel="review-channel",
        sponsor_days="sponsor-days",
        offer_hours="offer-hours",
        focus_list="focus-list",
    )
    @moderator_only()
    async def mentoring(
        self,
        interaction: discord.Interaction[SteadyBot],
        channel: discord.TextChannel | None = None,
        review_channel: discord.TextChannel | None = None,
        sponsor_days: app_commands.Range[int, 0, 36500] | None = None,
        offer_hours: app_commands.Range[int, 1, 168] | None = None,
        focus_list: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        assert interaction.guild is not None
        problem = review_channel_problem(review_channel) if review_channel else None
        problem = problem or (pairs_channel_problem(channel) if channel else None)
        if problem is not None:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        view = await self.bot.services.mentoring.settings.configure(
            interaction.guild.id,
            interaction.user.id,
            channel_id=channel.id if channel else None,
            review_channel_id=review_channel.id if review_channel else None,
            sponsor_days=sponsor_days,
            offer_hours=offer_hours,
            raw_focus_list=focus_list,
        )
        await interaction.response.send_message(
            f"Mentoring: pairs' channel {channel_text(view.channel_id)}, applications to "
            f"{channel_text(view.review_channel_id)}, sponsors need {view.sponsor_days} sober "
            f"days, offers wait {view.offer_hours} hours. "
            f"Focus list: {', '.join(view.focus_list)}.",
            ephemeral=True,
        )

    @app_commands.command(
        name="status", description="Show the health of Steady's scheduled work and deliveries"
    )
    @moderator_only()
    async def status(self, interaction: discord.Interaction[SteadyBot]) -> None:
        assert interaction.guild_id is not None
        report = await self.bot.delivery_health.report(interaction.guild_id)
        embed = render_status(report)
        assert interaction.guild is not None
        await add_pairs_status(embed, self.bot.services.mentoring.settings, interaction.guild)
        await add_checkin_alerts_status(self.bot, interaction.guild, embed)
        await interaction.response.send_message(embed=embed, ephemeral=True)
