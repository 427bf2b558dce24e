"""What a client may send on the gateway: JSON in text or binary frames, and what is refused.

hikari sends every payload as a binary frame; Discord reads those as JSON too. A payload
Discord cannot decode closes the connection with 4002 rather than being ignored, so a client
with a bug sees it at once instead of waiting forever for READY.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.simulator import Simulator
from tests.simulator.conftest import World


@pytest.fixture
async def ws(sim: Simulator) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(sim.gateway_url + "?encoding=json&v=10") as ws,
    ):
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        yield ws


def identify(sim: Simulator) -> dict[str, Any]:
    return {"op": 2, "d": {"token": sim.token, "intents": 1, "properties": {}}}


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> int:
    frame = await ws.receive(timeout=5)
    assert frame.type is aiohttp.WSMsgType.CLOSE, frame
    code: int = frame.data
    return code


async def test_identify_in_a_binary_frame_gets_ready(
    sim: Simulator, world: World, ws: aiohttp.ClientWebSocketResponse
) -> None:
    await ws.send_bytes(json.dumps(identify(sim)).encode())
    ready = await ws.receive_json(timeout=5)
    assert ready["t"] == "READY"
    guild_create = await ws.receive_json(timeout=5)
    assert guild_create["t"] == "GUILD_CREATE"
    assert guild_create["d"]["id"] == str(world.guild.id)
    await ws.send_bytes(b'{"op": 1, "d": 2}')
    assert (await ws.receive_json(timeout=5))["op"] == 11


@pytest.mark.parametrize(
    "payload",
    [
        b"\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15",  # zlib, not JSON
        b"\xff\xfe not utf-8",
        b'{"op": 2, "d": ',  # cut off
        b"[1, 2]",  # JSON, but not a payload object
        b'{"d": {}}',  # no opcode
        b'{"op": "2", "d": {}}',  # opcode as a string
    ],
)
async def test_an_undecodable_binary_payload_closes_with_4002(
    sim: Simulator, ws: aiohttp.ClientWebSocketResponse, payload: bytes
) -> None:
    await ws.send_bytes(payload)
    assert await closed_with(ws) == 4002
    assert not sim.gateway.sessions


async def test_undecodable_text_closes_with_4002(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str("hello, gateway")
    assert await closed_with(ws) == 4002


async def test_a_payload_over_4096_bytes_closes_with_4002(
    sim: Simulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    payload = identify(sim)
    payload["d"]["properties"] = {"os": "x" * 4096}
    await ws.send_str(json.dumps(payload))
    assert await closed_with(ws) == 4002
    assert not sim.gateway.sessions


async def test_an_unknown_opcode_closes_with_4001(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json({"op": 42, "d": None})
    assert await closed_with(ws) == 4001


async def test_requesting_members_before_identify_closes_with_4003(
    world: World, ws: aiohttp.ClientWebSocketResponse
) -> None:
    await ws.send_json({"op": 8, "d": {"guild_id": str(world.guild.id), "query": "", "limit": 0}})
    assert await closed_with(ws) == 4003


async def test_a_heartbeat_before_identify_is_answered(
    ws: aiohttp.ClientWebSocketResponse,
) -> None:
    await ws.send_json({"op": 1, "d": None})
    assert (await ws.receive_json(timeout=5))["op"] == 11
