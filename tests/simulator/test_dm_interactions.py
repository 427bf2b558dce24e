"""Who can press what: a DM belongs to its two ends, and DM interactions carry DM permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.simulator import Simulator, SimulatorError
from tests.simulator.conftest import ProbeClient, World


class Nudge(discord.ui.View):
    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(timeout=None)
        self.seen = seen

    @discord.ui.button(label="I'm okay", custom_id="nudge:ok")
    async def ok(self, interaction: discord.Interaction, button: discord.ui.Button[Nudge]) -> None:
        self.seen["app_permissions"] = interaction.app_permissions
        self.seen["by"] = interaction.user.id
        await interaction.response.send_message("glad to hear it")


@pytest.fixture
async def seen() -> dict[str, Any]:
    return {}


@pytest.fixture
async def bot(
    sim: Simulator, world: World, client: ProbeClient, seen: dict[str, Any]
) -> AsyncIterator[ProbeClient]:
    @client.tree.command(description="Sends you a DM with a button")
    async def nudge(interaction: discord.Interaction) -> None:
        await interaction.user.send("How are you doing?", view=Nudge(seen))
        await interaction.response.send_message("sent", ephemeral=True)

    async with sim.run_client(client):
        yield client


async def test_only_the_two_ends_of_a_dm_can_press_its_buttons(
    sim: Simulator, world: World, bot: ProbeClient, seen: dict[str, Any]
) -> None:
    await sim.slash(world.alice, "nudge")
    (dm,) = sim.dms(world.alice)
    with pytest.raises(SimulatorError, match="cannot see"):
        await sim.click(world.mo, dm, label="I'm okay")
    assert sim.messages(dm.channel, viewer=world.mo) == []
    assert "by" not in seen
    r = await sim.click(world.alice, dm, label="I'm okay")
    assert r.content == "glad to hear it"
    assert seen["by"] == world.alice.id


async def test_dm_interactions_carry_the_documented_dm_app_permissions(
    sim: Simulator, world: World, bot: ProbeClient, seen: dict[str, Any]
) -> None:
    await sim.slash(world.alice, "nudge")
    (dm,) = sim.dms(world.alice)
    await sim.click(world.alice, dm, label="I'm okay")
    granted: discord.Permissions = seen["app_permissions"]
    documented = discord.Permissions(
        attach_files=True, embed_links=True, mention_everyone=True, use_external_emojis=True
    )
    assert documented.is_subset(granted)
    # The bot's guild role does not follow it into DMs.
    assert not granted.manage_roles
    assert not granted.manage_channels


async def test_a_member_cannot_post_or_run_commands_in_someone_else_s_dm(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    alices_dm = sim.dm_channel(world.alice)
    with pytest.raises(SimulatorError, match="someone else"):
        sim.post(world.mo, alices_dm, "hi alice")
    with pytest.raises(SimulatorError, match="someone else"):
        await sim.slash(world.mo, "nudge", in_channel=alices_dm)
    message = sim.post(world.alice, alices_dm, "hi Steady")
    assert message.visible_to(world.alice)
    assert not message.visible_to(world.mo)
