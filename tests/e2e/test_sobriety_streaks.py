"""Streaks as members change them: a later date is a restart, an earlier one a correction, and
no streak is lost or deleted without the member seeing exactly what goes."""

from __future__ import annotations

import pytest

from bot.simulator import InteractionResult
from tests.e2e.conftest import World

pytestmark = pytest.mark.usefixtures("bot")


def _title(reply: InteractionResult) -> str:
    assert reply.embeds, reply.content
    return str(reply.embeds[0]["title"])


async def test_setting_a_later_date_asks_first_and_keeps_the_earlier_streak(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    # A relapse logged the obvious way: the counter set to today.
    prompt = await sim.slash(alice, "sobriety set", date="2026-03-01")
    assert prompt.ephemeral
    assert "59 days will be kept in your history" in prompt.content
    assert [c["label"] for row in prompt.components for c in row["components"]] == [
        "Confirm",
        "Cancel",
    ]
    # Nothing has changed until the member confirms.
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 59 days"

    done = await sim.click(alice, prompt, label="Confirm")
    assert "courage" in done.content
    assert "whole journey is 59 days" in done.content
    history = await sim.slash(alice, "sobriety history")
    assert "2026-01-01 → 2026-03-01 — 59 days" in history.embeds[0]["description"]
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 0 days"


async def test_cancelling_a_later_date_changes_nothing(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    prompt = await sim.slash(alice, "sobriety set", date="2026-02-15")
    cancelled = await sim.click(alice, prompt, label="Cancel")
    assert "nothing was changed" in cancelled.content
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 59 days"
    assert "→" not in (await sim.slash(alice, "sobriety history")).embeds[0]["description"]


async def test_an_earlier_date_is_a_correction_that_says_what_changed(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-02-01")
    reply = await sim.slash(alice, "sobriety set", date="2026-01-01")
    assert reply.ephemeral
    assert "now starts 2026-01-01 instead of 2026-02-01" in reply.content
    assert "59 days instead of 28 days" in reply.content
    assert "not a new streak" in reply.content
    assert _title(reply) == "sobriety: 59 days"


async def test_a_restart_through_set_keeps_the_time_of_day(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    prompt = await sim.slash(alice, "sobriety set", date="2026-02-20", time="08:15")
    await sim.click(alice, prompt, label="Confirm")
    shown = await sim.slash(alice, "sobriety show")
    assert "since 20 February 2026 (08:15)" in shown.embeds[0]["description"]


async def test_a_zero_day_reset_is_refused_kindly(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-03-01")
    reply = await sim.slash(alice, "sobriety reset")
    assert reply.ephemeral
    assert "nothing to restart" in reply.content
    assert "/crisis" in reply.content
    assert not reply.components
    same_day = await sim.slash(alice, "sobriety reset", date="2026-03-01")
    assert "nothing to restart" in same_day.content
    assert "→" not in (await sim.slash(alice, "sobriety history")).embeds[0]["description"]


async def test_a_start_time_later_than_now_today_is_refused(world: World) -> None:
    sim, alice = world.sim, world.alice  # it is 12:00 UTC
    reply = await sim.slash(alice, "sobriety set", date="2026-03-01", time="21:30")
    assert reply.ephemeral
    assert "only 12:00 where you are" in reply.content
    assert not reply.embeds
    assert _title(await sim.slash(alice, "sobriety set", date="2026-03-01", time="11:30"))


async def test_remove_names_the_whole_history_it_deletes(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    prompt = await sim.slash(alice, "sobriety reset", date="2026-02-01")
    await sim.click(alice, prompt, label="Confirm")
    ask = await sim.slash(alice, "sobriety remove", label="sobriety")
    assert "59 days across 2 streaks" in ask.content
    assert "can't be undone" in ask.content


@pytest.mark.parametrize("hidden", ["\u200b", "\u2060", "\ufeff", "\u200c", "\u00ad", "\u3164"])
async def test_labels_with_invisible_characters_are_refused(world: World, hidden: str) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01", label="alcohol")
    reply = await sim.slash(alice, "sobriety set", date="2026-02-01", label=f"alco{hidden}hol")
    assert reply.ephemeral
    assert "invisible character" in reply.content
    assert f"U+{ord(hidden):04X}" in reply.content
    assert hidden not in reply.content
    assert len((await sim.slash(alice, "sobriety show")).embeds) == 1


async def test_emoji_sequences_keep_their_joiner(world: World) -> None:
    sim, alice = world.sim, world.alice
    reply = await sim.slash(alice, "sobriety set", date="2026-01-01", label="👩\u200d💻 screens")
    assert _title(reply) == "👩\u200d💻 screens: 59 days"


async def test_look_alike_labels_are_one_counter(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01", label="Alcohol")
    # Full-width letters read the same: this corrects the same counter, it is not a second one.
    reply = await sim.slash(alice, "sobriety set", date="2025-12-01", label="ＡＬＣＯＨＯＬ")
    assert "Corrected" in reply.content
    assert len((await sim.slash(alice, "sobriety show")).embeds) == 1
    assert _title(await sim.slash(alice, "sobriety show", label="alcohol")) == "Alcohol: 90 days"


async def test_sharing_with_members_says_what_it_reveals(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01", label="alcohol")
    reply = await sim.slash(alice, "sobriety privacy", visibility="members")
    assert reply.ephemeral
    assert "label, start date" in reply.content
    private = await sim.slash(alice, "sobriety privacy", visibility="private")
    assert "label, start date" not in private.content


async def test_the_next_milestone_on_the_card_is_the_anniversary(world: World) -> None:
    sim, alice = world.sim, world.alice
    # Today, 1 March 2026, is day 1460 (4 × 365) since 2 March 2022, but 29 February 2024 lies
    # between: the fourth anniversary is tomorrow.
    reply = await sim.slash(alice, "sobriety set", date="2022-03-02")
    assert _title(reply) == "sobriety: 1460 days"
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Next milestone"] == "4 years on Monday 2 March 2026"
    assert reply.embeds[0]["description"].startswith("3 years, 11 months, 27 days")
