"""Conformance: discord.js 14, an independent client, run against the simulator.

discord.py's leniencies can hide a simulator that is wrong in ways a real Discord is not; a
second library used against real Discord every day checks the wire format from another side.
The discord.js bot (tests/conformance/discordjs/driver.mjs) answers interactions by itself and
acts as the bot when asked; members act from here, and each step checks what both ends saw.

Needs node and npm (the pinned discord.js is installed into .cache/conformance/ on first use);
without them the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.simulator import Simulator
from tests.conformance.node_client import (
    ClientUnavailable,
    NodeClient,
    install_discordjs,
    running_discordjs,
)
from tests.simulator.conftest import World


@pytest.fixture(scope="session")
def discordjs_modules() -> Path:
    try:
        return install_discordjs()
    except ClientUnavailable as why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"conformance: discord.js cannot be installed under CI: {why}")
        pytest.skip(f"conformance: discord.js cannot be installed here ({why})")


@pytest.fixture
async def djs(
    sim: Simulator, world: World, discordjs_modules: Path, tmp_path: Path
) -> AsyncIterator[NodeClient]:
    log = tmp_path / "discordjs-debug.log"
    async with running_discordjs(sim, discordjs_modules, log=log) as client:
        try:
            await client.wait_for("ready")
            yield client
            assert client.errors == [], client.errors
            refused = [(r.route, r.status, r.response) for r in sim.requests if not r.ok]
            assert refused == [], "the simulator refused what discord.js sent"
        finally:
            # Shown by pytest only when the test fails.
            print(log.read_text(errors="replace")[-6000:])


async def test_discordjs_logs_in_and_caches_the_guild(
    sim: Simulator, world: World, djs: NodeClient
) -> None:
    ready = await djs.wait_for("ready")
    assert ready["user"] == {"id": str(sim.application_id), "username": "Steady", "bot": True}
    assert ready["application"]["id"] == str(sim.application_id)
    assert ready["commands"] == ["checkin"]
    (guild,) = ready["guilds"]
    assert guild["name"] == "Recovery Circle"
    assert [c["name"] for c in guild["channels"]] == ["general"]
    assert {r["name"] for r in guild["roles"]} >= {"@everyone", "Moderators"}
    assert guild["me"] == str(sim.application_id)
    assert guild["can_send_in_general"]


async def test_a_deferred_command_a_follow_up_a_form_and_components(
    sim: Simulator, world: World, djs: NodeClient
) -> None:
    answer = await sim.slash(world.alice, "checkin", note="steady")
    seen = await djs.wait_for("interaction", lambda e: e.get("command") == "checkin")
    assert (seen["user"], seen["channel"], seen["note"]) == (
        str(world.alice.id),
        str(world.general.id),
        "steady",
    )
    assert answer.deferred
    assert answer.content == "Thanks for checking in, alice."
    assert not answer.ephemeral
    answered = await djs.wait_for("answered")
    assert answered["reply"] == str(answer.message.id)  # type: ignore[union-attr]
    private = [m for m in sim.messages(world.general, viewer=world.alice) if m.ephemeral]
    assert [m.content for m in private] == ["Only you can see this."]
    assert str(private[0].id) == answered["follow_up"]
    assert not [m for m in sim.messages(world.general, viewer=world.mo) if m.ephemeral]

    form = await sim.click(world.alice, answer, label="Open form")
    assert form.modal is not None
    assert form.modal["title"] == "Check in"
    thanks = await sim.submit_modal(world.alice, form, {"feeling": "rough morning, better now"})
    submitted = await djs.wait_for("interaction", lambda e: e.get("modal") == "feeling-form")
    assert submitted["feeling"] == "rough morning, better now"
    assert submitted["from_message"] == str(answer.message.id)  # type: ignore[union-attr]
    assert thanks.content == "Noted: rough morning, better now"
    assert thanks.ephemeral


async def test_a_message_with_components_is_clicked_and_updated(
    sim: Simulator, world: World, djs: NodeClient
) -> None:
    sent = await djs.do("send", channel=str(world.general.id))
    (message,) = sim.messages(world.general)
    assert str(message.id) == sent["message"]
    assert sent["components"] == 2
    assert message.embeds[0]["title"] == "Daily check-in"
    hello = await sim.click(world.mo, message, label="Say hello")
    assert hello.content == "Hello, mo!"
    assert hello.ephemeral
    mood = await sim.select(world.alice, message, ["rough"], placeholder="Mood")
    seen = await djs.wait_for("interaction", lambda e: e.get("select") == "mood")
    assert seen["values"] == ["rough"]
    assert mood.message is message
    assert message.content == "Mood today: rough"
    assert message.components == []


async def test_a_thread_from_a_message_and_a_member_posting_in_it(
    sim: Simulator, world: World, djs: NodeClient
) -> None:
    sent = await djs.do("send", channel=str(world.general.id))
    started = await djs.do(
        "thread", channel=str(world.general.id), message=sent["message"], member=str(world.alice.id)
    )
    thread = sim.world.channels[int(started["thread"])]
    assert thread.name == "Check-in thread"
    assert started["members"] == sorted([str(world.alice.id), str(sim.application_id)])
    assert started["thread"] in started["active"]
    assert [m.content for m in sim.messages(thread)] == ["Welcome to the thread."]
    await djs.wait_for("thread_create", lambda e: e["id"] == started["thread"])
    posted = sim.post(world.alice, thread, "thanks for the space")
    seen = await djs.wait_for("message", lambda e: e["id"] == str(posted.id))
    assert seen["in_thread"]
    assert seen["channel"] == str(thread.id)


async def test_a_scheduled_event_its_subscribers_and_a_dm(
    sim: Simulator, world: World, djs: NodeClient
) -> None:
    created = await djs.do("scheduledEvent", guild=str(world.guild.id))
    (event,) = world.guild.scheduled_events
    assert str(event.id) == created["event"]
    await djs.wait_for("scheduled_event_create", lambda e: e["id"] == created["event"])
    sim.rsvp(world.alice, event)
    added = await djs.wait_for("scheduled_event_user_add")
    assert (added["id"], added["user"]) == (created["event"], str(world.alice.id))
    subscribers = await djs.do("subscribers", guild=str(world.guild.id), event=created["event"])
    assert subscribers["users"] == [str(world.alice.id)]

    note = await djs.do("dm", user=str(world.alice.id))
    (dm,) = sim.dms(world.alice)
    assert str(dm.id) == note["message"]
    assert dm.content == "A quiet note, just for you."


async def test_resume_replays_what_happened_while_discordjs_was_cut_off(
    sim: Simulator, world: World, djs: NodeClient
) -> None:
    missed: list[int] = []
    await sim.disconnect(
        while_down=lambda: missed.append(sim.post(world.mo, world.general, "still here").id)
    )
    resumed = await djs.wait_for("resumed")
    assert resumed["replayed"] >= 1
    await djs.wait_for("message", lambda e: e["id"] == str(missed[0]))
    assert [r for r in sim.gateway.log if r[1] == 6], "discord.js should RESUME, not IDENTIFY"
    assert len([r for r in sim.gateway.log if r[1] == 2]) == 1
    # The resumed session still carries interactions.
    answer = await sim.slash(world.alice, "checkin")
    assert answer.content == "Thanks for checking in, alice."
