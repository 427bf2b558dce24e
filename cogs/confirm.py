"""A Confirm / Cancel prompt for commands that change something a member cares about.

A prompt lives in this process only. When it times out, its message says so and loses its
buttons; a click on a prompt this process does not know (sent before a restart, or racing its
time-out) is answered by `StaleConfirmation` with a kind "run the command again" instead of
Discord's "This interaction failed".
"""

from __future__ import annotations

import logging
import re
import secrets
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.tree import explain, send_error

if TYPE_CHECKING:
    from typing import TypeAlias

    from bot.app import SteadyBot

    Interaction: TypeAlias = discord.Interaction[SteadyBot]

log = logging.getLogger(__name__)

PREFIX = "steady:confirm:"
# The prompts each running client has open, by token: a click on any other token is stale.
_open: weakref.WeakKeyDictionary[discord.Client, set[str]] = weakref.WeakKeyDictionary()


def _is_open(client: discord.Client, token: str) -> bool:
    return token in _open.get(client, set())


class ConfirmView(discord.ui.View):
    def __init__(
        self,
        origin: Interaction,
        on_confirm: Callable[[Interaction], Awaitable[None]],
        *,
        again: str,
        confirm_label: str = "Confirm",
        danger: bool = False,
    ) -> None:
        """`origin` is the command's interaction (its reply is the prompt); `again` names the
        command to run again once the prompt has expired, e.g. "/sobriety reset"."""
        # Well inside the 15 minutes an interaction token lives, so the expiry can still be
        # written into the prompt.
        super().__init__(timeout=origin.client.settings.confirm_timeout_seconds)
        self._origin = origin
        self._owner_id = origin.user.id
        self._on_confirm = on_confirm
        self._again = again
        self._token = secrets.token_hex(8)
        _open.setdefault(origin.client, set()).add(self._token)
        self.confirm.label = confirm_label
        self.confirm.style = discord.ButtonStyle.danger if danger else discord.ButtonStyle.primary
        self.confirm.custom_id = f"{PREFIX}{self._token}:yes"
        self.cancel.custom_id = f"{PREFIX}{self._token}:no"

    def stop(self) -> None:
        _open.get(self._origin.client, set()).discard(self._token)
        super().stop()

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

    async def on_timeout(self) -> None:
        self.stop()
        try:
            await self._origin.edit_original_response(
                content=(
                    "This question expired, so nothing was changed. "
                    f"Run `{self._again}` again whenever you're ready."
                ),
                embed=None,
                view=None,
            )
        except discord.HTTPException:
            # The prompt was dismissed or its token ran out: nothing is left to tidy up.
            log.debug("could not mark an expired confirmation")

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await send_error(interaction, explain(interaction, error))


class StaleConfirmation(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(PREFIX) + r"(?P<token>[0-9a-f]+):(?P<choice>yes|no)",
):
    """Any press of a confirm or cancel button; answers only those no open prompt handles."""

    def __init__(self, token: str, choice: str) -> None:
        super().__init__(discord.ui.Button(custom_id=f"{PREFIX}{token}:{choice}"))
        self.token = token

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StaleConfirmation:
        return cls(match["token"], match["choice"])

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        if _is_open(interaction.client, self.token):
            return  # the prompt's own view answers this press
        await interaction.response.edit_message(
            content=(
                "This question has expired, so nothing was changed. Please run the command again."
            ),
            embed=None,
            view=None,
        )


def install(bot: SteadyBot) -> None:
    """Let the bot answer presses of expired prompts; any cog using `ConfirmView` calls this."""
    bot.add_dynamic_items(StaleConfirmation)
