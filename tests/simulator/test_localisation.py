"""Localisation: validated command translations, the guild's locale and each member's locale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.simulator import Simulator, SimulatorError
from tests.simulator.conftest import ProbeClient, World


async def _upload(sim: Simulator, commands: list[dict[str, Any]]) -> tuple[int, Any]:
    url = f"{sim.api_base}/applications/{sim.application_id}/commands"
    headers = {"Authorization": f"Bot {sim.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.put(url, json=commands) as response,
    ):
        return response.status, await response.json()


def _command(**fields: Any) -> dict[str, Any]:
    return {"name": "checkin", "description": "Daily check-in", "type": 1} | fields


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name_localizations": {"xx-YY": "registro"}}, ["name_localizations", "xx-YY"]),
        ({"name_localizations": {"es-ES": "Registro"}}, ["name_localizations", "es-ES"]),
        ({"name_localizations": {"es-ES": "r" * 33}}, ["name_localizations", "es-ES"]),
        ({"description_localizations": {"es-ES": ""}}, ["description_localizations", "es-ES"]),
        (
            {"description_localizations": {"es-419": "x" * 101}},
            ["description_localizations", "es-419"],
        ),
        (
            {
                "options": [
                    {
                        "type": 3,
                        "name": "mood",
                        "description": "How are you?",
                        "description_localizations": {"klingon": "nuqneH"},
                    }
                ]
            },
            ["options", "0", "description_localizations", "klingon"],
        ),
    ],
)
async def test_bad_translations_are_refused_with_the_field_s_path(
    sim: Simulator, fields: dict[str, Any], path: list[str]
) -> None:
    status, body = await _upload(sim, [_command(**fields)])
    assert (status, body["code"]) == (400, 50035)
    node = body["errors"]["0"]
    for part in path:
        node = node[part]
    assert node["_errors"]


async def test_good_translations_are_kept(sim: Simulator) -> None:
    spanish = {
        "name_localizations": {"es-ES": "registro", "es-419": "registro"},
        "description_localizations": {"es-ES": "Registro diario"},
    }
    status, _ = await _upload(sim, [_command(**spanish)])
    assert status == 200
    assert sim.command("checkin")["name_localizations"] == spanish["name_localizations"]


@pytest.fixture
async def bot(sim: Simulator, world: World, client: ProbeClient) -> AsyncIterator[ProbeClient]:
    @client.tree.command(description="Says which languages it sees")
    async def lang(interaction: discord.Interaction) -> None:
        guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
        await interaction.response.send_message(f"{interaction.locale.value} {guild_locale}")

    async with sim.run_client(client):
        yield client


async def test_interactions_carry_the_member_s_and_the_guild_s_locale(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    assert (await sim.slash(world.alice, "lang")).content == "en-US en-US"
    world.guild.locale = "es-ES"
    world.alice.locale = "es-419"
    assert (await sim.slash(world.alice, "lang")).content == "es-419 es-ES"
    assert (await sim.slash(world.mo, "lang")).content == "en-US es-ES"
    with pytest.raises(SimulatorError, match="locale"):
        world.alice.locale = "Spanish"
    with pytest.raises(SimulatorError, match="locale"):
        world.guild.add_member("pilar", locale="es")
