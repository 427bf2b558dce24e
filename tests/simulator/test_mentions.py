"""allowed_mentions: the defaults per context, `parse` exclusive with id lists, text displays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.simulator import SimRole, Simulator
from tests.simulator.conftest import ProbeClient, World


@pytest.fixture
def circle(world: World) -> SimRole:
    return world.guild.add_role("Circle", mentionable=True)


@pytest.fixture
async def bot(
    sim: Simulator, world: World, client: ProbeClient, circle: SimRole
) -> AsyncIterator[ProbeClient]:
    text = f"{world.alice.mention} and {circle.mention}"

    @client.tree.command(description="Replies with mentions, allowed_mentions left out")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(text)

    @client.tree.command(description="Defers, then follows up with mentions")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send(text)
        await interaction.followup.send(text)

    @client.tree.command(description="Posts in the channel with mentions")
    async def post(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send(text)
        await interaction.response.send_message("posted", ephemeral=True)

    @client.tree.command(description="Posts a Components V2 text display with a mention")
    async def card(interaction: discord.Interaction) -> None:
        view = discord.ui.LayoutView()
        view.add_item(discord.ui.TextDisplay(f"Welcome {world.mo.mention}"))
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send(view=view)
        await interaction.response.send_message("posted", ephemeral=True)

    async with sim.run_client(client):
        yield client


async def test_interaction_replies_parse_only_user_mentions_by_default(
    sim: Simulator, world: World, bot: ProbeClient, circle: SimRole
) -> None:
    world.mo.add_role(circle)
    r = await sim.slash(world.carol, "ping")
    assert r.message is not None
    assert r.message.mentions == [world.alice.id]
    assert r.message.mention_roles == []


async def test_follow_ups_are_webhook_messages_and_parse_only_users(
    sim: Simulator, world: World, bot: ProbeClient, circle: SimRole
) -> None:
    await sim.slash(world.carol, "later")
    both = await sim.wait_until(
        lambda: sim.messages(world.general)[1:] and sim.messages(world.general)
    )
    assert [(m.mentions, m.mention_roles) for m in both] == [([world.alice.id], [])] * 2


async def test_channel_messages_parse_everything_by_default(
    sim: Simulator, world: World, bot: ProbeClient, circle: SimRole
) -> None:
    await sim.slash(world.carol, "post")
    (message,) = sim.messages(world.general)
    assert message.mention_roles == [circle.id]


async def test_mentions_in_text_displays_count(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    await sim.slash(world.carol, "card")
    (message,) = sim.messages(world.general)
    assert message.mentions == [world.mo.id]


async def _post(sim: Simulator, world: World, body: dict[str, Any]) -> tuple[int, Any]:
    url = f"{sim.api_base}/channels/{world.general.id}/messages"
    headers = {"Authorization": f"Bot {sim.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize("kind", ["users", "roles"])
async def test_parse_together_with_an_id_list_of_that_kind_is_refused(
    sim: Simulator, world: World, bot: ProbeClient, circle: SimRole, kind: str
) -> None:
    ids = [str(world.alice.id)] if kind == "users" else [str(circle.id)]
    body = {"content": "hi", "allowed_mentions": {"parse": [kind], kind: ids}}
    status, answer = await _post(sim, world, body)
    assert (status, answer["code"]) == (400, 50035)
    assert answer["errors"]["allowed_mentions"]["_errors"]
    assert sim.messages(world.general) == []


async def test_parse_everyone_with_a_users_list_is_accepted(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    body = {
        "content": f"{world.alice.mention} hi",
        "allowed_mentions": {"parse": ["everyone"], "users": [str(world.alice.id)]},
    }
    status, _ = await _post(sim, world, body)
    assert status == 200
    (message,) = sim.messages(world.general)
    assert message.mentions == [world.alice.id]
