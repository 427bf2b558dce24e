"""/privacy, /help, /audit and /stats through the real bot: a member copies and erases their
data, sees who looked at it, and moderators see actions and totals, never content."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db.models import AuditLog, MentoringPair
from bot.simulator import Simulator
from tests.e2e.conftest import START, World, url_text
from tests.privacy_search import tables_holding


async def _alice_pairs_with_bob_as_his_mentor(bot: SteadyBot, world: World) -> None:
    # Matching is not on main yet: the pair row is what it would have written.
    async with bot.database.transaction() as session:
        session.add(
            MentoringPair(
                guild_id=world.guild.id,
                mentee_id=world.bob.id,
                mentor_id=world.alice.id,
                kind="mentor",
                started_at=START,
            )
        )


async def test_a_member_exports_then_deletes_and_their_id_is_nowhere(
    world: World, bot: SteadyBot
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await sim.slash(alice, "timezone set", zone="Europe/London")
    await sim.slash(alice, "sobriety set", date="2026-01-10", label="alcohol")
    await sim.slash(alice, "sobriety privacy", label="alcohol", visibility="members")
    await sim.slash(bob, "sobriety show", member=alice)
    await _alice_pairs_with_bob_as_his_mentor(bot, world)

    export = await sim.slash(alice, "privacy export")
    assert export.ephemeral
    assert [f.filename for f in export.files] == ["steady-export.json"]
    data = json.loads(export.files[0].text)
    assert data["schema_version"] == 1
    features = data["features"]
    assert features["settings"]["timezone"] == "Europe/London"
    assert features["sobriety"]["counters"][0]["label"] == "alcohol"
    assert features["mentoring"]["pairs"][0]["other_member"] == "bob"
    seen = features["access_log"]["who_saw_your_data"][0]
    assert (seen["viewer_member"], seen["what"]) == ("bob", "sobriety.shared")

    prompt = await sim.slash(alice, "privacy delete")
    assert prompt.ephemeral
    assert "can't be undone" in prompt.content
    done = await sim.click(alice, prompt, label="Delete everything")
    assert "Steady removed" in done.content
    assert "counters, streaks and milestones: 1" in done.content
    await sim.advance(minutes=1)

    assert await tables_holding(bot.database, alice.id) == {}
    told = [m.content for m in sim.dms(bob)]
    assert any("pairing in this server has ended" in text for text in told)
    assert not any("alice" in text.lower() for text in told), "no name, no reason"
    shown = await sim.slash(alice, "sobriety show")
    assert "don't have a counter" in shown.content

    again = await sim.click(
        alice, await sim.slash(alice, "privacy delete"), label="Delete everything"
    )
    assert "nothing of yours left" in again.content
    async with bot.database.read() as session:
        erasures = (await session.scalars(select(AuditLog))).all()
    assert [(row.action, row.target_id) for row in erasures] == [("privacy.erasure", None)]
    removed = re.search(r"Steady removed (\d+) item", done.content)
    assert removed is not None
    assert erasures[0].count == int(removed[1])


async def test_cancelling_a_delete_changes_nothing(world: World, bot: SteadyBot) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-10")
    prompt = await sim.slash(alice, "privacy delete")
    cancelled = await sim.click(alice, prompt, label="Cancel")
    assert "nothing was changed" in cancelled.content
    assert "days" in (await sim.slash(alice, "sobriety show")).text().lower()


async def test_the_access_log_shows_who_looked_newest_first(world: World, bot: SteadyBot) -> None:
    sim, alice, bob, dana = world.sim, world.alice, world.bob, world.dana
    empty = await sim.slash(alice, "privacy access-log")
    assert "Nobody else has looked" in empty.content
    await sim.slash(alice, "sobriety set", date="2026-01-10")
    await sim.slash(alice, "sobriety privacy", visibility="members")
    await sim.slash(bob, "sobriety show", member=alice)
    await sim.advance(hours=1)
    await sim.slash(dana, "sobriety show", member=alice)
    await sim.slash(alice, "sobriety show")  # her own look is not someone else's

    log = await sim.slash(alice, "privacy access-log")
    assert log.ephemeral
    lines = log.content.splitlines()[1:]
    assert len(lines) == 2
    assert f"<@{dana.id}>" in lines[0]
    assert f"<@{bob.id}>" in lines[1]
    assert all("your shared counter" in line for line in lines)


async def test_moderators_see_audit_and_stats_with_small_counts_hidden(
    world: World, bot: SteadyBot
) -> None:
    sim, alice, mo = world.sim, world.alice, world.mo
    for member in (alice, world.bob):
        await sim.slash(member, "sobriety set", date="2026-01-10")
    stats = await sim.slash(mo, "stats")
    text = json.dumps(stats.embeds)
    assert "active counters: **fewer than 5**" in text
    assert stats.ephemeral

    await sim.slash(mo, "setup timezone", zone="Europe/London")
    await sim.advance(minutes=1)
    erased = await sim.click(
        mo,
        await sim.slash(mo, "privacy erase-member", user_id=str(alice.id)),
        label="Delete everything",
    )
    found = re.search(r"Erased: (\d+) item", erased.content)
    assert found is not None
    audit = await sim.slash(mo, "audit")
    newest, oldest = audit.content.splitlines()[1:]
    rows = f"{found[1]} row" + ("" if found[1] == "1" else "s")
    assert f"<@{mo.id}> ran an erasure ({rows})" in newest
    assert f"<@{mo.id}> changed the server's timezone" in oldest
    assert "Europe/London" not in audit.content
    assert str(alice.id) not in audit.content

    refusals: tuple[tuple[str, dict[str, Any]], ...] = (
        ("audit", {}),
        ("stats", {}),
        ("privacy erase-member", {"user_id": str(world.bob.id)}),
    )
    for command, options in refusals:
        refused = await sim.slash(alice, command, bypass_permissions=True, **options)
        assert "for moderators" in refused.content, command
    assert "sobriety_counters" in await tables_holding(bot.database, world.bob.id)


async def test_erase_member_refuses_what_is_not_an_id_with_an_example(
    world: World, bot: SteadyBot
) -> None:
    reply = await world.sim.slash(world.mo, "privacy erase-member", user_id="alice")
    assert reply.ephemeral
    assert "user_id:123456789012345678" in reply.content
    assert "Nothing was changed" in reply.content


async def test_help_shows_moderators_their_group_and_starts_with_crisis(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    member_reply = await sim.slash(world.alice, "help")
    moderator_reply = await sim.slash(world.mo, "help")
    # Every field of every embed: the list runs over several fields and embeds as it grows.
    member_fields = [f for embed in member_reply.embeds for f in embed.get("fields", [])]
    moderator_fields = [f for embed in moderator_reply.embeds for f in embed.get("fields", [])]
    assert not any(f["name"].startswith("For moderators") for f in member_fields)
    assert member_fields[0]["value"].startswith("`/crisis`")
    moderator_lines = "\n".join(
        f["value"] for f in moderator_fields if f["name"].startswith("For moderators")
    )
    for command in ("/setup status", "/audit", "/stats", "/privacy erase-member"):
        assert f"`{command}`" in moderator_lines
    assert "/privacy erase-member" not in json.dumps(member_reply.embeds)
    member_lines = "\n".join(f["value"] for f in member_fields)
    assert "`/privacy export`" in member_lines
    # Nothing cut off: every command a member can run is there.
    assert "`/meeting list`" in member_lines


async def test_export_and_delete_in_dms_explain_they_work_in_a_server(
    world: World, bot: SteadyBot
) -> None:
    dm = world.sim.dm_channel(world.alice)
    for command in ("privacy export", "privacy delete", "privacy access-log"):
        reply = await world.sim.slash(world.alice, command, in_channel=dm)
        assert "inside the server" in reply.content, command


async def test_the_policy_names_how_long_things_are_kept(world: World, bot: SteadyBot) -> None:
    policy = await world.sim.slash(world.alice, "privacy policy")
    assert "kept 7 days" in policy.content
    assert "`/privacy delete`" in policy.content
    assert "not told when members leave" in policy.content
    assert "notes are kept 90 days in this server" in policy.content
    # Every feature that keeps something about a member is named, meetings included.
    for kept in ("counters", "mentoring", "check-ins", "meetings", "attendance is seen only"):
        assert kept in policy.content
    options: dict[str, Any] = {"keep-notes-days": 14}
    await world.sim.slash(world.mo, "setup checkins", **options)
    changed = await world.sim.slash(world.alice, "privacy policy")
    assert "notes are kept 14 days in this server" in changed.content
    assert "scores a year" in changed.content


@pytest.fixture
async def bot_with_members_intent(
    sim: Simulator, world: World, database_url: URL
) -> AsyncIterator[SteadyBot]:
    sim.privileged_intents = {"members"}
    async with sim.run_bot(
        database_url=url_text(database_url), now=START, members_intent=True
    ) as running:
        yield running


async def test_a_member_who_leaves_is_erased_thirty_days_later_unless_they_return(
    world: World, bot_with_members_intent: SteadyBot
) -> None:
    sim, alice, bob, guild = world.sim, world.alice, world.bob, world.guild
    bot = bot_with_members_intent
    for member in (alice, bob):
        await sim.slash(member, "sobriety set", date="2026-01-10")
    guild.remove_member(alice)
    guild.remove_member(bob)
    await sim.advance(days=1)
    back = guild.add_member("bob")
    await sim.advance(days=28)
    assert "sobriety_counters" in await tables_holding(bot.database, alice.id)
    # A day to spare: the bot may handle her leaving only after the clock moved on.
    await sim.advance(days=2, minutes=5)

    # Only the finished erasure's own record keeps her id, until it is pruned with finished
    # timed work (README, Privacy).
    assert await tables_holding(bot.database, alice.id) == {"due_work": ["subject_id"]}
    assert "sobriety_counters" in await tables_holding(bot.database, back.id)
    policy = await sim.slash(back, "privacy policy")
    assert "erased 30 days later" in policy.content


async def test_an_export_larger_than_the_attachment_limit_comes_in_complete_parts(
    world: World, bot: SteadyBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, alice = world.sim, world.alice
    labels = [f"counter {n}" for n in range(10)]
    for label in labels:
        await sim.slash(alice, "sobriety set", date="2026-01-10", label=label)
    # Discord tells the bot the limit in each interaction; a small one forces a split.
    monkeypatch.setattr("bot.simulator.interactions.FILE_SIZE_LIMIT", 2_000)

    export = await sim.slash(alice, "privacy export")
    assert len(export.files) > 2
    assert f"in {len(export.files)} files" in export.content
    counters = []
    for number, file in enumerate(export.files, start=1):
        assert len(file.data) <= 2_000
        part = json.loads(file.text)
        assert (part["part"], part["parts"]) == (number, len(export.files))
        counters += part["features"].get("sobriety", {}).get("counters", [])
    assert sorted(c["label"] for c in counters) == labels
