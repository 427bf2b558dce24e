"""Uploads: 10 MiB a file, payload_json metadata, image sizes, attachment:// links, Attach Files."""

from __future__ import annotations

import io
import struct
import zlib

import discord
import pytest

from bot.simulator import Simulator
from tests.simulator.conftest import ProbeClient, World


def png(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR chunk: enough for anyone who reads its size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + crc


def _channel(client: ProbeClient, world: World) -> discord.TextChannel:
    channel = client.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_file_over_10_mib_is_refused_with_40005(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    big = discord.File(io.BytesIO(b"x" * (10 * 1024 * 1024 + 1)), filename="big.bin")
    with pytest.raises(discord.HTTPException) as refused:
        await _channel(running, world).send(file=big)
    assert (refused.value.status, refused.value.code) == (413, 40005)
    assert sim.messages(world.general) == []
    exact = discord.File(io.BytesIO(b"x" * (10 * 1024 * 1024)), filename="ok.bin")
    await _channel(running, world).send(file=exact)
    assert len(sim.messages(world.general)) == 1


async def test_attachments_carry_the_description_and_an_image_s_size(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    chart = discord.File(io.BytesIO(png(3, 2)), filename="chart.png", description="Streak chart")
    notes = discord.File(io.BytesIO(b"hello"), filename="notes.txt")
    sent = await _channel(running, world).send(files=[chart, notes])
    first, second = sent.attachments
    assert (first.filename, first.description) == ("chart.png", "Streak chart")
    assert (first.width, first.height, first.content_type) == (3, 2, "image/png")
    assert (second.width, second.height, second.description) == (None, None, None)
    assert second.content_type is not None
    assert second.content_type.startswith("text/plain")


async def test_embeds_may_point_at_uploads_and_an_unknown_upload_is_refused(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = _channel(running, world)
    embed = discord.Embed(title="Your streak").set_image(url="attachment://chart.png")
    sent = await channel.send(embed=embed, file=discord.File(io.BytesIO(png(4, 4)), "chart.png"))
    image = sent.embeds[0].image
    assert image.url == sent.attachments[0].url
    assert (image.width, image.height) == (4, 4)
    wrong = discord.Embed(title="Your streak").set_image(url="attachment://missing.png")
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(embed=wrong, file=discord.File(io.BytesIO(png(4, 4)), "chart.png"))
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert "embeds.0.image.url" in str(refused.value)
    assert len(sim.messages(world.general)) == 1


async def test_uploading_needs_attach_files_in_the_channel(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    world.general.set_permissions(world.guild.bot_role, attach_files=False)
    channel = _channel(running, world)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("here", file=discord.File(io.BytesIO(b"hi"), "hi.txt"))
    assert refused.value.code == 50013
    await channel.send("text still works")
    assert [m.content for m in sim.messages(world.general)] == ["text still works"]


async def test_an_edit_keeps_listed_attachments_and_names_new_uploads_from_payload_json(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = _channel(running, world)
    sent = await channel.send(
        files=[discord.File(io.BytesIO(b"a"), "a.txt"), discord.File(io.BytesIO(b"b"), "b.txt")]
    )
    keep = sent.attachments[0]
    fresh = discord.File(io.BytesIO(png(1, 1)), "upload.png", description="New chart")
    edited = await sent.edit(attachments=[keep, fresh])
    assert [(a.filename, a.description) for a in edited.attachments] == [
        ("a.txt", None),
        ("upload.png", "New chart"),
    ]
