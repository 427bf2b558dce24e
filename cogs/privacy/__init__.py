"""/privacy: a member's copy of their data, its erasure, who saw it and the policy; moderators
erase a member who asked by other means. /help, /audit and /stats live beside it."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from bot.services.privacy.export_files import ExportTooLarge, export_files, member_ids, with_names
from bot.services.privacy.registry import MemberRef
from bot.services.privacy.service import parse_user_id
from cogs import confirm
from cogs.confirm import ConfirmView
from cogs.privacy import render
from cogs.privacy.help import HelpCog
from cogs.privacy.moderation import ModerationCog

if TYPE_CHECKING:
    from typing import TypeAlias

    from bot.app import SteadyBot

    Interaction: TypeAlias = discord.Interaction[SteadyBot]

log = logging.getLogger(__name__)

# Discord allows ten attachments per message.
FILES_PER_MESSAGE = 10
# Other people in an export are named; looking up more than this many would be slow.
MAX_NAMED = 50
UNKNOWN_PERSON = "a former member"


class PrivacyCog(
    commands.GroupCog,
    group_name="privacy",
    group_description="Your data in this server: copy it, delete it, see who saw it",
):
    def __init__(self, bot: SteadyBot) -> None:
        self.bot = bot
        self.service = bot.services.privacy
        # discord.py runs each event's listener as its own task: without this, a member who
        # leaves and rejoins quickly could have the rejoin handled first, and be erased.
        # Tasks start in the order events arrived and take the lock before any await.
        self._membership = asyncio.Lock()
        super().__init__()

    @app_commands.command(name="export", description="A copy of everything Steady holds about you")
    async def export(self, interaction: Interaction) -> None:
        if interaction.guild is None:
            await interaction.response.send_message(render.IN_A_SERVER, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        document = await self.service.export(MemberRef(interaction.guild.id, interaction.user.id))
        names = await _names(interaction.guild, member_ids(document))
        try:
            files = export_files(
                with_names(document, names, UNKNOWN_PERSON), interaction.filesize_limit
            )
        except ExportTooLarge:
            log.warning("an export had an item larger than the attachment limit")
            await interaction.followup.send(
                "Part of your data is too large for Discord to attach, so no copy was sent "
                "(rather than a partial one). Please ask a moderator to contact the bot's "
                "operator.",
                ephemeral=True,
            )
            return
        intro = "Here is everything Steady holds about you in this server (JSON" + (
            f", in {len(files)} files: each part says which it is)." if len(files) > 1 else ")."
        )
        for start in range(0, len(files), FILES_PER_MESSAGE):
            batch = files[start : start + FILES_PER_MESSAGE]
            await interaction.followup.send(
                intro if start == 0 else "More of your export:",
                files=[discord.File(io.BytesIO(data), filename=name) for name, data in batch],
                ephemeral=True,
            )

    @app_commands.command(name="delete", description="Erase everything Steady holds about you")
    async def delete(self, interaction: Interaction) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(render.IN_A_SERVER, ephemeral=True)
            return
        member = MemberRef(interaction.guild_id, interaction.user.id)

        async def confirmed(click: Interaction) -> None:
            erasure = await self.service.erase(member)
            await click.response.edit_message(content=render.erased(erasure), view=None)

        await interaction.response.send_message(
            render.DELETE_QUESTION,
            view=ConfirmView(
                interaction,
                confirmed,
                again="/privacy delete",
                confirm_label="Delete everything",
                danger=True,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="access-log", description="Who saw your data, newest first")
    async def access_log(self, interaction: Interaction) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(render.IN_A_SERVER, ephemeral=True)
            return
        rows = await self.service.access_log(MemberRef(interaction.guild_id, interaction.user.id))
        await interaction.response.send_message(render.access_log(rows), ephemeral=True)

    @app_commands.command(name="policy", description="What Steady stores, for how long, and why")
    async def policy(self, interaction: Interaction) -> None:
        keep_notes_days = None
        if interaction.guild_id is not None:
            config = await self.bot.services.checkins.config(interaction.guild_id)
            keep_notes_days = config.keep_notes_days
        text = render.policy(
            members_intent=self.bot.settings.members_intent, keep_notes_days=keep_notes_days
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="erase-member", description="Moderators: erase a member's data at their request"
    )
    @app_commands.describe(user_id="Their Discord user id (Developer Mode → Copy User ID)")
    @moderator_only()
    async def erase_member(
        self, interaction: Interaction, user_id: app_commands.Range[str, 1, 40]
    ) -> None:
        assert interaction.guild_id is not None  # moderator_only passed
        target = parse_user_id(user_id)
        member = MemberRef(interaction.guild_id, target)
        actor = interaction.user.id

        async def confirmed(click: Interaction) -> None:
            erasure = await self.service.erase(member, actor_id=actor)
            await click.response.edit_message(
                content=render.erased_for_moderator(erasure), view=None
            )

        await interaction.response.send_message(
            "Erase everything Steady holds about that member in this server? Their pairs end "
            "(the other person is told kindly, without a reason). This can't be undone.",
            view=ConfirmView(
                interaction,
                confirmed,
                again="/privacy erase-member",
                confirm_label="Delete everything",
                danger=True,
            ),
            ephemeral=True,
        )

    # -- members who leave (only with the members intent) ---------------------------------

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        async with self._membership:
            await self.service.member_left(payload.guild_id, payload.user.id)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        async with self._membership:
            await self.service.member_returned(member.guild.id, member.id)


async def _names(guild: discord.Guild, ids: set[int]) -> dict[int, str]:
    """Display names of the other people an export mentions (left members stay unnamed)."""
    names: dict[int, str] = {}
    for user_id in sorted(ids)[:MAX_NAMED]:
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.HTTPException:
                continue
        names[user_id] = member.display_name
    return names


async def setup(bot: SteadyBot) -> None:
    confirm.install(bot)
    await bot.add_cog(PrivacyCog(bot))
    await bot.add_cog(ModerationCog(bot))
    await bot.add_cog(HelpCog(bot))
