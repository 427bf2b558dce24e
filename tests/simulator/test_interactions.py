"""Slash commands, buttons, selects, modals and autocomplete against a small discord.py bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.simulator import CommandNotAvailable, InteractionFailed, Simulator, SimulatorError
from tests.simulator.conftest import ProbeClient, World, build_world

CALLBACK = "POST /interactions/{webhook_id}/{webhook_token}/callback"


class NoteModal(discord.ui.Modal, title="Check-in note"):
    note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
        label="Note", custom_id="note", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted: {self.note.value}", ephemeral=True)


class Panel(discord.ui.View):
    @discord.ui.button(label="Confirm", custom_id="panel:confirm")
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        await interaction.response.send_modal(NoteModal())

    @discord.ui.button(label="Cancel", custom_id="panel:cancel")
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        await interaction.response.edit_message(content="cancelled", view=None)

    @discord.ui.select(
        custom_id="panel:mood",
        placeholder="Mood",
        options=[discord.SelectOption(label=m, value=m) for m in ("good", "okay", "rough")],
    )
    async def mood(
        self, interaction: discord.Interaction, select: discord.ui.Select[Panel]
    ) -> None:
        await interaction.response.send_message(f"mood: {select.values[0]}", ephemeral=True)


@dataclass
class Probe:
    release: asyncio.Event = field(default_factory=asyncio.Event)
    outcome: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def add_commands(client: ProbeClient, probe: Probe) -> None:
    tree = client.tree

    @tree.command(description="Say hello privately")
    async def hello(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"hi {name}", ephemeral=True)

    sobriety = app_commands.Group(name="sobriety", description="Your sobriety date")

    @sobriety.command(name="set", description="Set your sobriety date")
    async def sobriety_set(interaction: discord.Interaction, date: str) -> None:
        await interaction.response.send_message(f"{interaction.user.name} set {date}")

    tree.add_command(sobriety)

    setup = app_commands.Group(
        name="setup",
        description="Server setup",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    @setup.command(name="milestones", description="Where milestones are posted")
    async def setup_milestones(
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
    ) -> None:
        member = interaction.user
        assert isinstance(member, discord.Member)
        if not member.guild_permissions.manage_guild:
            await interaction.response.send_message("Moderators only.", ephemeral=True)
            return
        await interaction.response.send_message(
            f"milestones go to {channel.mention}", view=Panel(timeout=None)
        )

    tree.add_command(setup)

    @tree.command(description="Never answers in time")
    async def slow(interaction: discord.Interaction) -> None:
        await probe.release.wait()
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            probe.outcome.set_result(exc)

    @tree.command(description="Thinks, then answers")
    async def think(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await probe.release.wait()
        try:
            await interaction.followup.send("done thinking")
        except discord.HTTPException as exc:
            probe.outcome.set_result(exc)

    @tree.command(description="Defers, then edits")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited")
        await interaction.followup.send("and a follow-up", ephemeral=True)

    timezone = app_commands.Group(name="timezone", description="Your timezone")

    @timezone.command(name="set", description="Set your timezone")
    async def timezone_set(interaction: discord.Interaction, zone: str) -> None:
        await interaction.response.send_message(f"zone {zone}", ephemeral=True)

    @timezone_set.autocomplete("zone")
    async def zones(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        known = ["Europe/London", "Europe/Paris", "America/New_York"]
        return [app_commands.Choice(name=z, value=z) for z in known if z.startswith(current)]

    tree.add_command(timezone)

    @tree.command(description="Shows a form whose field allows too much")
    async def bigform(interaction: discord.Interaction, limit: int) -> None:
        modal = discord.ui.Modal(title="Journal")
        modal.add_item(discord.ui.TextInput(label="Entry", custom_id="entry", max_length=limit))
        try:
            await interaction.response.send_modal(modal)
        except discord.HTTPException as exc:
            await interaction.response.send_message(f"refused {exc.code}", ephemeral=True)

    @tree.command(description="Works in DMs too")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def where(interaction: discord.Interaction) -> None:
        place = "a DM" if interaction.guild_id is None else "a server"
        await interaction.response.send_message(f"you are in {place}")


@pytest.fixture
async def probe() -> Probe:
    return Probe()


@pytest.fixture
async def bot(
    sim: Simulator, world: World, client: ProbeClient, probe: Probe
) -> AsyncIterator[ProbeClient]:
    add_commands(client, probe)
    async with sim.run_client(client):
        yield client


async def test_commands_are_registered_with_their_options(sim: Simulator, bot: ProbeClient) -> None:
    setup = sim.command("setup")
    assert setup["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    (milestones,) = setup["options"]
    assert milestones["name"] == "milestones"
    assert milestones["options"][0]["type"] == 7
    assert sim.command("hello")["id"].isdigit()


async def test_slash_reply_and_subcommand_groups(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    r = await sim.slash(world.alice, "sobriety set", date="2026-01-01")
    assert r.content == "alice set 2026-01-01"
    assert not r.ephemeral
    assert [m.content for m in sim.messages(world.general)] == ["alice set 2026-01-01"]
    assert r.message is not None
    assert r.message.author is sim.bot_user


async def test_ephemeral_replies_are_seen_only_by_the_invoker(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    r = await sim.slash(world.alice, "hello", name="bob")
    assert (r.content, r.ephemeral) == ("hi bob", True)
    assert sim.messages(world.general) == []
    assert [m.content for m in sim.messages(world.general, viewer=world.alice)] == ["hi bob"]
    assert sim.messages(world.general, viewer=world.mo) == []


async def test_options_arrive_resolved_and_in_channel_says_where(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    wins = world.guild.add_text_channel("milestones")
    r = await sim.slash(
        world.mo, "setup milestones", channel=wins, role=world.mods, in_channel=wins
    )
    assert r.content == f"milestones go to <#{wins.id}>"
    assert r.message is not None
    assert r.message.channel is wins


async def test_default_member_permissions_hide_commands_unless_bypassed(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    with pytest.raises(CommandNotAvailable):
        await sim.slash(world.alice, "setup milestones", channel=world.general)
    r = await sim.slash(
        world.alice, "setup milestones", channel=world.general, bypass_permissions=True
    )
    assert (r.content, r.ephemeral) == ("Moderators only.", True)


async def test_unacknowledged_interactions_fail_and_a_late_answer_gets_10062(probe: Probe) -> None:
    async with Simulator(ack_timeout=0.2) as sim:
        world = build_world(sim)
        client = ProbeClient(discord.Intents.default())
        add_commands(client, probe)
        async with sim.run_client(client):
            with pytest.raises(InteractionFailed, match="did not respond"):
                await sim.slash(world.alice, "slow")
            probe.release.set()
            late = await asyncio.wait_for(probe.outcome, 5)
    assert isinstance(late, discord.NotFound)
    assert late.code == 10062


async def test_deferral_then_follow_up(
    sim: Simulator, world: World, bot: ProbeClient, probe: Probe
) -> None:
    task = asyncio.create_task(sim.slash(world.alice, "think"))
    await sim.wait_for_request(CALLBACK)
    (loading,) = sim.messages(world.general, viewer=world.alice)
    assert loading.loading
    assert loading.ephemeral
    probe.release.set()
    r = await task
    assert r.deferred
    assert (r.content, r.ephemeral) == ("done thinking", True)
    # The first follow-up replaces the "thinking…" message.
    assert [m.content for m in sim.messages(world.general, viewer=world.alice)] == ["done thinking"]


async def test_deferral_then_edit_and_ephemeral_follow_up(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    r = await sim.slash(world.alice, "edit")
    assert r.content == "edited"
    assert not r.ephemeral
    seen_by_alice = await sim.wait_until(
        lambda: (
            [m.content for m in sim.messages(world.general, viewer=world.alice)][1:]
            and [m.content for m in sim.messages(world.general, viewer=world.alice)]
        )
    )
    assert seen_by_alice == ["edited", "and a follow-up"]
    assert [m.content for m in sim.messages(world.general)] == ["edited"]


async def test_follow_ups_after_the_token_expired_are_refused(probe: Probe) -> None:
    now = [0.0]
    async with Simulator(time_source=lambda: now[0]) as sim:
        world = build_world(sim)
        client = ProbeClient(discord.Intents.default())
        add_commands(client, probe)
        async with sim.run_client(client):
            task = asyncio.create_task(sim.slash(world.alice, "think"))
            await sim.wait_for_request(CALLBACK)
            now[0] += 15 * 60 + 1
            probe.release.set()
            with pytest.raises(InteractionFailed, match="token expired"):
                await task
            refused = await asyncio.wait_for(probe.outcome, 5)
    assert isinstance(refused, discord.HTTPException)
    assert (refused.status, refused.code) == (401, 50027)


async def test_a_second_acknowledgement_is_refused_with_40060(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    r = await sim.slash(world.alice, "hello", name="bob")
    url = f"{sim.api_base}/interactions/{r.interaction.id}/{r.interaction.token}/callback"
    again = {"type": 4, "data": {"content": "again"}}
    async with aiohttp.ClientSession() as session, session.post(url, json=again) as response:
        assert response.status == 400
        assert (await response.json())["code"] == 40060


async def test_buttons_modals_and_message_updates(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    r = await sim.slash(world.mo, "setup milestones", channel=world.general)
    assert [b["label"] for b in r.message.buttons()] == ["Confirm", "Cancel"]  # type: ignore[union-attr]
    opened = await sim.click(world.alice, r, label="Confirm")
    assert opened.modal is not None
    assert opened.modal["title"] == "Check-in note"
    submitted = await sim.submit_modal(world.alice, opened, {"note": "rough day"})
    assert (submitted.content, submitted.ephemeral) == ("noted: rough day", True)
    with pytest.raises(Exception, match="200"):
        await sim.submit_modal(world.alice, opened, {"note": "x" * 201})
    cancelled = await sim.click(world.mo, r, custom_id="panel:cancel")
    assert cancelled.content == "cancelled"
    assert cancelled.components == []
    assert cancelled.message is r.message


async def test_select_menus(sim: Simulator, world: World, bot: ProbeClient) -> None:
    r = await sim.slash(world.mo, "setup milestones", channel=world.general)
    picked = await sim.select(world.alice, r, ["rough"], placeholder="Mood")
    assert picked.content == "mood: rough"
    with pytest.raises(Exception, match="not an option"):
        await sim.select(world.alice, r, ["great"], custom_id="panel:mood")


async def test_autocomplete_returns_the_offered_choices(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    choices = await sim.autocomplete(world.alice, "timezone set", "zone", "Europe/")
    assert [c["value"] for c in choices] == ["Europe/London", "Europe/Paris"]


async def test_modal_text_inputs_are_limited_to_4000(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    refused = await sim.slash(world.alice, "bigform", limit=4001)
    assert refused.content == "refused 50035"
    form = await sim.slash(world.alice, "bigform", limit=4000)
    assert form.modal is not None
    with pytest.raises(SimulatorError, match="4000"):
        await sim.submit_modal(world.alice, form, {"entry": "x" * 4001})


async def test_commands_in_direct_messages(sim: Simulator, world: World, bot: ProbeClient) -> None:
    dm = sim.dm_channel(world.alice)
    r = await sim.slash(world.alice, "where", in_channel=dm)
    assert r.content == "you are in a DM"
    assert [m.content for m in sim.dms(world.alice)] == ["you are in a DM"]
    with pytest.raises(CommandNotAvailable):
        await sim.slash(world.alice, "setup milestones", channel=world.general, in_channel=dm)


async def test_the_transcript_shows_what_each_member_saw(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    wins = world.guild.add_text_channel("milestones")
    await sim.slash(world.alice, "hello", name="bob")
    await sim.slash(world.mo, "setup milestones", channel=wins)
    assert sim.transcript.lines[:4] == [
        "alice ▸ /hello name:bob",
        "#general (only alice sees)  Steady: hi bob",
        "mo ▸ /setup milestones channel:#milestones",
        "#general  Steady: milestones go to #milestones\n"
        "      [Confirm] [Cancel] [Mood: good, okay, rough]",
    ]
