"""REST: wire details, limits, closed DMs, nonces, mentions, rate limits and injected faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest

from bot.simulator import Simulator
from tests.simulator.conftest import ProbeClient, World, build_world

MESSAGES = "POST /channels/{channel_id}/messages"


async def test_json_content_type_is_exactly_application_json(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    status, headers, body = await http("GET", "/users/@me")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["id"] == str(sim.application_id)


async def test_bot_routes_need_the_token_and_unknown_routes_are_404(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    status, _, body = await http("GET", "/users/@me", auth=False)
    assert (status, body["code"]) == (401, 0)
    status, _, _ = await http("GET", "/no/such/route")
    assert status == 404
    assert sim.requests[-1].route == "GET /no/such/route"


async def test_requests_are_recorded_with_discord_py_route_names(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("hello")
    last = sim.requests[-1]
    assert last.method == "POST"
    assert last.route == MESSAGES
    assert last.params == {"channel_id": str(world.general.id)}
    assert last.json["content"] == "hello"
    assert last.status == 200
    assert [m.content for m in sim.messages(world.general)] == ["hello"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "embeds.0.fields.0.value"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "embeds"),
        ({"embeds": [{"title": "t"}] * 11}, "embeds"),
        (
            {
                "components": [
                    {
                        "type": 1,
                        "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"b{i}"}],
                    }
                    for i in range(6)
                ]
            },
            "components",
        ),
        (
            {
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 3,
                                "custom_id": "s",
                                "options": [{"label": str(i), "value": str(i)} for i in range(26)],
                            }
                        ],
                    }
                ]
            },
            "components.options",
        ),
    ],
)
async def test_limits_are_answered_with_400_and_50035(
    sim: Simulator, world: World, http: Callable[..., Any], payload: dict[str, Any], field: str
) -> None:
    status, _, body = await http("POST", f"/channels/{world.general.id}/messages", payload)
    assert status == 400
    assert body["code"] == 50035
    assert body["message"] == "Invalid Form Body"
    node = body["errors"]
    for part in field.split("."):
        node = node[part]
    assert node["_errors"][0]["message"]
    assert sim.messages(world.general) == []


async def test_limits_at_the_edge_are_fine_and_discord_py_sees_the_error(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("x" * 2000, embed=discord.Embed(title="t" * 256, description="d" * 4096))
    with pytest.raises(discord.HTTPException) as raised:
        await channel.send("x" * 2001)
    assert raised.value.status == 400
    assert raised.value.code == 50035
    assert "content" in raised.value.text
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(embeds=[])
    assert empty.value.code == 50006


async def test_a_dm_to_a_member_with_closed_dms_is_403_50007(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"members"}
    client = make_client(members=True)
    async with sim.run_client(client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        alice = guild.get_member(world.alice.id)
        carol = guild.get_member(world.carol.id)
        assert alice is not None
        assert carol is not None
        await alice.send("You have a reminder")
        with pytest.raises(discord.Forbidden) as refused:
            await carol.send("You have a reminder")
    assert (refused.value.status, refused.value.code) == (403, 50007)
    assert [m.content for m in sim.dms(world.alice)] == ["You have a reminder"]
    assert sim.dms(world.carol) == []


async def test_an_enforced_nonce_posts_once(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("Milestone: 30 days", nonce="outbox-17")
    again = await channel.send("Milestone: 30 days", nonce="outbox-17")
    other = await channel.send("Milestone: 60 days", nonce="outbox-18")
    assert first.id == again.id != other.id
    assert [m.content for m in sim.messages(world.general)] == [
        "Milestone: 30 days",
        "Milestone: 60 days",
    ]
    assert sim.requests[-2].json["enforce_nonce"] is True


async def test_mentions_list_only_those_really_pinged(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    pinged_role = world.guild.add_role("Mentors", mentionable=True)
    world.alice.add_role(pinged_role)
    text = f"{world.alice.mention} {world.mo.mention} {pinged_role.mention} @everyone"

    quiet = await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    only_mo = await channel.send(
        text,
        allowed_mentions=discord.AllowedMentions(
            users=[discord.Object(world.mo.id)], roles=False, everyone=False
        ),
    )
    roles = await channel.send(
        text, allowed_mentions=discord.AllowedMentions(users=False, roles=True, everyone=True)
    )
    by_id = {m.id: m for m in sim.messages(world.general)}
    assert by_id[quiet.id].mentions == []
    assert by_id[only_mo.id].mentions == [world.mo.id]
    # @everyone needs the Mention Everyone permission, which the bot does not have by default.
    assert by_id[roles.id].mentions == [world.alice.id]
    assert by_id[roles.id].mention_everyone is False


async def test_the_channel_message_limit_answers_429_with_headers(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    path = f"/channels/{world.general.id}/messages"
    for number in range(5):
        status, headers, _ = await http("POST", path, {"content": str(number)})
        assert status == 200
        assert headers["X-RateLimit-Remaining"] == str(4 - number)
    status, headers, body = await http("POST", path, {"content": "one too many"})
    assert status == 429
    assert body["retry_after"] > 0
    assert body["global"] is False
    assert int(headers["Retry-After"]) >= 1
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert float(headers["X-RateLimit-Reset-After"]) > 0
    assert headers["X-RateLimit-Bucket"]
    assert headers["X-RateLimit-Scope"] == "user"
    assert headers["Via"]
    other = world.guild.add_text_channel("milestones")
    status, _, _ = await http("POST", f"/channels/{other.id}/messages", {"content": "fine"})
    assert status == 200
    assert len(sim.messages(world.general)) == 5


async def test_the_global_limit_answers_429_global(http: Callable[..., Any], world: World) -> None:
    statuses = [(await http("GET", "/users/@me"))[0] for _ in range(50)]
    assert set(statuses) == {200}
    status, headers, body = await http("GET", "/users/@me")
    assert status == 429
    assert body["global"] is True
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"


async def test_discord_py_honours_the_rate_limit_headers() -> None:
    async with Simulator(channel_message_rate_limit=(5, 0.3)) as sim:
        world = build_world(sim)
        client = ProbeClient(discord.Intents.default())
        async with sim.run_client(client):
            channel = client.get_channel(world.general.id)
            assert isinstance(channel, discord.TextChannel)
            await asyncio.gather(*(channel.send(f"line {i}") for i in range(8)))
        assert len(sim.messages(world.general)) == 8
        posts = [r for r in sim.requests if r.route == MESSAGES]
        # discord.py waits when X-RateLimit-Remaining reaches 0, so it is never refused.
        assert [r.status for r in posts] == [200] * 8


async def test_fail_next_fails_exactly_one_matching_request(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    sim.fail_next(MESSAGES, 403, 50013)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("first")
    assert refused.value.code == 50013
    await channel.send("second")
    assert [m.content for m in sim.messages(world.general)] == ["second"]
    assert [r.status for r in sim.requests if r.route == MESSAGES] == [403, 200]


async def test_an_injected_429_says_how_long_to_wait_in_body_and_header(
    sim: Simulator, world: World, http: Callable[..., Any]
) -> None:
    path = f"/channels/{world.general.id}/messages"
    sim.fail_next(MESSAGES, 429, retry_after=42.5)
    status, headers, body = await http("POST", path, {"content": "wait"})
    assert status == 429
    assert (body["retry_after"], body["global"]) == (42.5, False)
    assert headers["Retry-After"] == "43"
    assert headers["Via"]  # discord.py reads such a 429 as a rate limit, not a ban
    sim.fail_next(MESSAGES, 429)  # the default stays a short wait
    status, headers, body = await http("POST", path, {"content": "wait"})
    assert (status, body["retry_after"], headers["Retry-After"]) == (429, 0.05, "1")
    assert sim.messages(world.general) == []


async def test_a_network_drop_answers_nothing_and_posts_nothing(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    sim.fail_next(MESSAGES, 0)
    with pytest.raises(aiohttp.ClientError):
        await channel.send("lost")
    assert sim.messages(world.general) == []
    await channel.send("after")
    assert [m.content for m in sim.messages(world.general)] == ["after"]


async def test_a_failed_500_is_retried_by_discord_py(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    sim.fail_next(MESSAGES, 500)
    await channel.send("eventually")
    assert [r.status for r in sim.requests if r.route == MESSAGES] == [500, 200]
    assert [m.content for m in sim.messages(world.general)] == ["eventually"]


async def test_private_threads_are_seen_only_by_added_members(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    sim.privileged_intents = {"members"}
    client = make_client(members=True)
    async with sim.run_client(client):
        channel = client.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        created = client.wait_for("thread_create", timeout=5)
        thread = await channel.create_thread(
            name="alice & mo", type=discord.ChannelType.private_thread
        )
        assert (await created).id == thread.id
        joined = client.wait_for("thread_member_join", timeout=5)
        await thread.add_user(discord.Object(world.alice.id))
        assert (await joined).id == world.alice.id
        await thread.send("Welcome, this space is for the two of you.")

    (sim_thread,) = world.guild.threads
    assert sim_thread.type == 12
    assert sim_thread.parent_id == world.general.id
    assert world.alice.id in sim_thread.thread_members
    outsider = world.guild.add_member("zed")
    assert world.alice.can_see(sim_thread)
    assert not outsider.can_see(sim_thread)
    assert sim.messages(sim_thread, viewer=outsider) == []
    assert [m.content for m in sim.messages(sim_thread, viewer=world.alice)] == [
        "Welcome, this space is for the two of you."
    ]


async def test_public_thread_from_a_message(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    channel = running.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Check-in thread")
    thread = await message.create_thread(name="Today")
    await thread.edit(archived=True)
    (sim_thread,) = world.guild.threads
    assert sim_thread.type == 11
    assert sim_thread.archived
    await thread.send("Reopened by posting")
    assert not sim_thread.archived


async def test_scheduled_events_create_edit_delete(
    sim: Simulator, world: World, make_client: Callable[..., ProbeClient]
) -> None:
    from datetime import timedelta

    room = world.guild.add_voice_channel("IOP room")
    client = make_client(guild_scheduled_events=True)
    async with sim.run_client(client):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        voice = guild.get_channel(room.id)
        assert isinstance(voice, discord.VoiceChannel)
        start = discord.utils.utcnow() + timedelta(days=2)
        event = await guild.create_scheduled_event(
            name="Tuesday IOP group",
            start_time=start,
            channel=voice,
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        updated = client.wait_for("scheduled_event_update", timeout=5)
        await event.edit(name="Tuesday IOP group (moved)", start_time=start + timedelta(hours=1))
        _, after = await updated
        assert after.name == "Tuesday IOP group (moved)"
        (sim_event,) = world.guild.scheduled_events
        assert sim_event.channel_id == room.id
        assert sim_event.entity_type == 2
        with pytest.raises(discord.HTTPException) as invalid:
            await guild.create_scheduled_event(
                name="Nowhere",
                start_time=start,
                entity_type=discord.EntityType.external,
                end_time=start + timedelta(hours=1),
                location="",
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        assert invalid.value.code == 50035
        deleted = client.wait_for("scheduled_event_delete", timeout=5)
        await event.delete()
        assert (await deleted).id == event.id
    assert world.guild.scheduled_events == []


async def test_the_bot_needs_permission_to_see_and_post(
    sim: Simulator, world: World, running: ProbeClient
) -> None:
    updated = running.wait_for("guild_channel_update", timeout=5)
    quiet = world.guild.add_text_channel("announcements")
    quiet.set_permissions(world.guild.me, send_messages=False)
    await updated
    hidden = world.guild.add_text_channel("staff")
    hidden.set_permissions(world.guild.everyone, view_channel=False)
    hidden.set_permissions(world.guild.bot_role, view_channel=False)
    announcements = running.get_channel(quiet.id)
    assert isinstance(announcements, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as cannot_send:
        await announcements.send("hello")
    assert cannot_send.value.code == 50013
    staff = discord.PartialMessageable(state=running._connection, id=hidden.id)
    with pytest.raises(discord.Forbidden) as cannot_see:
        await staff.send("hello")
    assert cannot_see.value.code == 50001
    assert world.mo.can_see(quiet)
    assert not world.mo.can_see(hidden)
