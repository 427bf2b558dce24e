"""Fixtures for testing the simulator itself with small discord.py clients (not Steady)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.simulator import SimChannel, SimGuild, SimMember, SimRole, Simulator


class ProbeClient(discord.Client):
    """A plain client with a command tree, counting how often it became ready."""

    def __init__(self, intents: discord.Intents, **options: Any) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.05, **options)
        self.tree: app_commands.CommandTree[ProbeClient] = app_commands.CommandTree(self)
        self.ready_count = 0

    async def on_ready(self) -> None:
        self.ready_count += 1

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s before re-identifying (Discord's identify limit); not needed here.
        return None


@dataclass
class World:
    sim: Simulator
    guild: SimGuild
    general: SimChannel
    mods: SimRole
    alice: SimMember
    mo: SimMember
    carol: SimMember
    extra: dict[str, Any] = field(default_factory=dict)


def build_world(sim: Simulator) -> World:
    guild = sim.add_guild("Recovery Circle")
    mods = guild.add_role("Moderators", manage_guild=True)
    return World(
        sim=sim,
        guild=guild,
        general=guild.channel("general"),
        mods=mods,
        alice=guild.add_member("alice"),
        mo=guild.add_member("mo", roles=[mods]),
        carol=guild.add_member("carol", roles=[mods], dms_open=False),
    )


@pytest.fixture
def world(sim: Simulator) -> World:
    return build_world(sim)


@pytest.fixture
def make_client() -> Callable[..., ProbeClient]:
    def make(**intents: bool) -> ProbeClient:
        chosen = discord.Intents.default()
        for name, value in intents.items():
            setattr(chosen, name, value)
        return ProbeClient(chosen)

    return make


@pytest.fixture
def client(make_client: Callable[..., ProbeClient]) -> ProbeClient:
    return make_client()


@pytest.fixture
async def running(sim: Simulator, world: World, client: ProbeClient) -> AsyncIterator[ProbeClient]:
    """`client` connected with whatever commands the test added to `client.tree` beforehand."""
    async with sim.run_client(client):
        yield client


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[Callable[..., Any]]:
    """A raw HTTP client with the bot token: returns (status, headers, body)."""
    async with aiohttp.ClientSession() as session:

        async def call(
            method: str, path: str, body: Any = None, *, auth: bool = True
        ) -> tuple[int, Any, Any]:
            headers = {"Authorization": f"Bot {sim.token}"} if auth else {}
            async with session.request(
                method, sim.api_base + path, json=body, headers=headers
            ) as response:
                data = (
                    await response.json() if response.content_type == "application/json" else None
                )
                return response.status, response.headers, data

        yield call
