"""/sobriety through the simulator: what members see when they set, show, reset and remove."""

from __future__ import annotations

from typing import Any

import pytest

from bot.simulator import InteractionResult
from tests.e2e.conftest import World

pytestmark = pytest.mark.usefixtures("bot")


def _title(reply: InteractionResult) -> str:
    assert reply.embeds, reply.content
    return str(reply.embeds[0]["title"])


def _fields(reply: InteractionResult) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}


async def test_set_then_show_counts_days_in_the_members_time(world: World) -> None:
    sim, alice = world.sim, world.alice
    reply = await sim.slash(alice, "sobriety set", date="2026-01-01")
    assert reply.ephemeral
    assert _title(reply) == "sobriety: 59 days"  # 1 Jan to 1 Mar 2026

    shown = await sim.slash(alice, "sobriety show")
    assert shown.ephemeral
    assert _title(shown) == "sobriety: 59 days"
    assert shown.embeds[0]["description"] == "2 months since 1 January 2026."
    assert _fields(shown)["Next milestone"].startswith("60 days on Monday 2 March 2026")


async def test_a_member_far_east_is_already_on_tomorrow(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "timezone set", zone="Pacific/Kiritimati")  # 02:00 on 2 March there
    reply = await sim.slash(alice, "sobriety set", date="2026-03-02")
    assert _title(reply) == "sobriety: 0 days"
    assert "future" in (await sim.slash(world.bob, "sobriety set", date="2026-03-02")).content


async def test_several_labelled_counters_and_the_limit_of_ten(world: World) -> None:
    sim, alice = world.sim, world.alice
    for n in range(10):
        reply = await sim.slash(alice, "sobriety set", date="2025-06-01", label=f"habit {n}")
        assert reply.embeds, reply.content
    eleventh = await sim.slash(alice, "sobriety set", date="2025-06-01", label="one more")
    assert eleventh.ephemeral
    assert "10 counters" in eleventh.content
    labels = await sim.autocomplete(alice, "sobriety show", "label", "habit")
    assert len(labels) == 10
    everything = await sim.slash(alice, "sobriety show")
    assert [e["title"] for e in everything.embeds] == [f"habit {n}: 273 days" for n in range(10)]
    assert _title(await sim.slash(alice, "sobriety show", label="HABIT 3")) == "habit 3: 273 days"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"date": "2025-02-30"}, "isn't a date on the calendar"),
        ({"date": "yesterday"}, "YYYY-MM-DD, for example `2026-03-01`"),
        ({"date": "03/04/2025"}, "YYYY-MM-DD"),
        ({"date": "2026-03-05"}, "in the future"),
        ({"date": "1899-12-31"}, "1900"),
        ({"date": "2026-01-01", "time": "25:00"}, "HH:MM"),
        ({"date": "2026-01-01", "time": "9pm"}, "HH:MM"),
        ({"date": "2026-01-01", "label": "x" * 41}, "40 characters"),
        ({"date": "2026-01-01", "label": "@everyone"}, "mentions"),
        ({"date": "2026-01-01", "label": "bad\u0007bell"}, "control characters"),
    ],
)
async def test_bad_input_is_explained_and_changes_nothing(
    world: World, options: dict[str, Any], needle: str
) -> None:
    sim, alice = world.sim, world.alice
    reply = await sim.slash(alice, "sobriety set", **options)
    assert reply.ephemeral
    assert needle in reply.content
    assert not reply.embeds
    assert "don't have a counter yet" in (await sim.slash(alice, "sobriety show")).content


async def test_private_counters_stay_private(world: World) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await sim.slash(alice, "sobriety set", date="2025-12-01")
    peek = await sim.slash(bob, "sobriety show", member=alice)
    assert peek.ephemeral
    assert "private" in peek.content
    assert not peek.embeds
    # A member with no counter at all looks exactly the same: nothing is learned.
    assert (
        await sim.slash(bob, "sobriety show", member=world.dana)
    ).content == peek.content.replace("alice", "dana")

    await sim.slash(alice, "sobriety privacy", visibility="members")
    shared = await sim.slash(bob, "sobriety show", member=alice)
    assert shared.ephemeral
    assert _title(shared) == "sobriety: 90 days"
    # Others see the count, never the history, privacy choices or journey.
    assert set(_fields(shared)) == {"Next milestone"}


async def test_reset_keeps_history_and_is_kind(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    prompt = await sim.slash(alice, "sobriety reset")
    assert prompt.ephemeral
    assert "59 days will be kept" in prompt.content
    # Nothing changes until confirmed.
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 59 days"

    done = await sim.click(alice, prompt, label="Confirm")
    assert "courage" in done.content
    assert "/crisis" in done.content
    assert "mentor" in done.content
    for unkind in ("fail", "shame", "lost", "back to zero"):
        assert unkind not in done.content.lower()

    shown = await sim.slash(alice, "sobriety show")
    assert _title(shown) == "sobriety: 0 days"
    history = await sim.slash(alice, "sobriety history")
    assert history.ephemeral
    assert "2026-01-01 → 2026-03-01 — 59 days" in history.embeds[0]["description"]
    assert {f["name"]: f["value"] for f in history.embeds[0]["fields"]} == {
        "Longest streak": "59 days",
        "Total journey": "59 days",
    }


async def test_reset_cancel_and_bad_dates_change_nothing(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-10")
    before = await sim.slash(alice, "sobriety reset", date="2026-01-09")
    assert "before that" in before.content
    future = await sim.slash(alice, "sobriety reset", date="2026-04-01")
    assert "future" in future.content
    prompt = await sim.slash(alice, "sobriety reset", date="2026-02-01")
    cancelled = await sim.click(alice, prompt, label="Cancel")
    assert "nothing was changed" in cancelled.content
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 50 days"


async def test_backdating_is_not_a_relapse(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-02-01")
    await sim.slash(alice, "sobriety set", date="2025-11-01")
    history = await sim.slash(alice, "sobriety history")
    assert "→" not in history.embeds[0]["description"]
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 120 days"


async def test_remove_needs_confirmation_and_deletes_history(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01", label="nicotine")
    prompt = await sim.slash(alice, "sobriety remove", label="nicotine")
    assert "can't be undone" in prompt.content
    assert _title(await sim.slash(alice, "sobriety show", label="nicotine")).startswith("nicotine")
    done = await sim.click(alice, prompt, label="Delete")
    assert "deleted" in done.content
    gone = await sim.slash(alice, "sobriety show", label="nicotine")
    assert "don't have a counter yet" in gone.content


async def test_someone_elses_confirm_button_does_nothing(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    prompt = await sim.slash(alice, "sobriety reset")
    # Ephemeral: nobody else can even see the prompt to click it.
    from bot.simulator import SimulatorError

    with pytest.raises(SimulatorError):
        await sim.click(world.bob, prompt, label="Confirm")
    assert _title(await sim.slash(alice, "sobriety show")) == "sobriety: 59 days"


async def test_privacy_without_options_and_bad_label(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    reply = await sim.slash(alice, "sobriety privacy")
    assert "you only" in reply.content
    assert "by DM" in reply.content
    missing = await sim.slash(alice, "sobriety privacy", label="gambling", celebrate="off")
    assert "don't have a counter called" in missing.content


async def test_a_named_private_counter_stays_private_when_another_is_shared(
    world: World,
) -> None:
    sim, alice, bob = world.sim, world.alice, world.bob
    await sim.slash(alice, "sobriety set", date="2026-01-01", label="alcohol")
    await sim.slash(alice, "sobriety set", date="2026-02-01", label="gambling")
    await sim.slash(alice, "sobriety privacy", label="alcohol", visibility="members")
    assert _title(await sim.slash(bob, "sobriety show", member=alice, label="alcohol")).startswith(
        "alcohol"
    )
    private = await sim.slash(bob, "sobriety show", member=alice, label="gambling")
    assert "private" in private.content
    assert not private.embeds


async def test_labels_that_grow_when_case_folded_are_fine(world: World) -> None:
    reply = await world.sim.slash(world.alice, "sobriety set", date="2026-01-01", label="ß" * 40)
    assert _title(reply).startswith("ß" * 40)


@pytest.mark.parametrize("command", ["sobriety history", "sobriety remove", "sobriety reset"])
async def test_unknown_labels_are_explained(world: World, command: str) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    reply = await sim.slash(alice, command, label="gambling")
    assert reply.ephemeral
    assert "don't have a counter called “gambling”" in reply.content
    assert "Your counters: sobriety" in reply.content


async def test_a_second_confirm_of_the_same_reset_changes_nothing(world: World) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "sobriety set", date="2026-01-01")
    first = await sim.slash(alice, "sobriety reset")
    second = await sim.slash(alice, "sobriety reset")
    await sim.click(alice, first, label="Confirm")
    stale = await sim.click(alice, second, label="Confirm")
    assert "already restarted" in stale.content
    history = await sim.slash(alice, "sobriety history")
    assert history.embeds[0]["description"].count("→") == 1
