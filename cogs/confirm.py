"""A Confirm / Cancel prompt for commands that change something a member cares about."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.tree import explain, send_error

if TYPE_CHECKING:
    from typing import TypeAlias

    from bot.app import SteadyBot

    Interaction: TypeAlias = discord.Interaction[SteadyBot]


class ConfirmView(discord.ui.View):
    def __init__(
        self,
        owner_id: int,
        on_confirm: Callable[[Interaction], Awaitable[None]],
        *,
        confirm_label: str = "Confirm",
        danger: bool = False,
        timeout: float = 600,
    ) -> None:
        super().__init__(timeout=timeout)
        self._owner_id = owner_id
        self._on_confirm = on_confirm
        self.confirm.label = confirm_label
        self.confirm.style = discord.ButtonStyle.danger if danger else discord.ButtonStyle.primary

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id != self._owner_id:
            await interaction.response.send_message(
                "This button belongs to someone else's command.", ephemeral=True
            )
            return False
        return True

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.primary)
    async def confirm(
        self, interaction: Interaction, _button: discord.ui.Button[ConfirmView]
    ) -> None:
        self.stop()
        await self._on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: Interaction, _button: discord.ui.Button[ConfirmView]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled — nothing was changed.", embed=None, view=None
        )

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await send_error(interaction, explain(interaction, error))
