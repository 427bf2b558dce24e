"""Logs never hold what members said or when they got sober, at any level Steady logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.app import SteadyBot
from bot.logs import setup_logging
from tests.e2e.conftest import World

SECRETS = ("2026-02-23", "23 February", "gambling", "rough patch")


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Steady's own logging set-up at DEBUG, what an operator turns on when something is
    wrong; restored afterwards."""
    names = ("", "discord", "aiosqlite", "asyncpg", "sqlalchemy", "apscheduler", "alembic")
    saved = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers))
        for name in names
    }
    setup_logging("DEBUG")
    logging.getLogger().addHandler(caplog.handler)
    yield caplog
    for name, (level, handlers) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).handlers[:] = handlers


async def test_a_whole_journey_leaves_nothing_personal_in_the_logs(
    world: World, bot: SteadyBot, debug_logging: pytest.LogCaptureFixture
) -> None:
    caplog = debug_logging
    sim, alice = world.sim, world.alice
    await sim.slash(world.mo, "setup milestones", channel=world.milestones)
    await sim.slash(alice, "sobriety set", date="2026-02-23", label="gambling")
    await sim.slash(alice, "sobriety set", date="rough patch")  # refused, kindly
    await sim.slash(alice, "sobriety privacy", label="gambling", celebrate="channel")
    sim.fail_next("POST /channels/{channel_id}/messages", 500)
    await sim.advance(days=1)
    prompt = await sim.slash(alice, "sobriety reset", label="gambling")
    await sim.click(alice, prompt, label="Confirm")
    await sim.slash(alice, "sobriety history", label="gambling")

    assert caplog.records, "the run logged nothing at all, so this test would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in SECRETS:
            assert secret not in text, f"{record.name} logged {secret!r}"


async def test_the_privacy_journeys_leave_nothing_personal_in_the_logs(
    world: World, bot: SteadyBot, debug_logging: pytest.LogCaptureFixture
) -> None:
    caplog = debug_logging
    sim, alice, bob, mo = world.sim, world.alice, world.bob, world.mo
    await sim.slash(alice, "sobriety set", date="2026-02-23", label="gambling")
    await sim.slash(alice, "sobriety privacy", label="gambling", visibility="members")
    await sim.slash(bob, "sobriety show", member=alice, label="gambling")
    await sim.slash(alice, "privacy access-log")
    export = await sim.slash(alice, "privacy export")
    assert "gambling" in export.files[0].text, "the export must hold what the logs must not"
    await sim.slash(alice, "help")
    await sim.slash(alice, "privacy policy")
    await sim.slash(mo, "privacy erase-member", user_id="rough patch")  # refused, kindly
    await sim.slash(bob, "sobriety set", date="2026-02-23", label="gambling")
    await sim.click(
        mo,
        await sim.slash(mo, "privacy erase-member", user_id=str(bob.id)),
        label="Delete everything",
    )
    await sim.click(alice, await sim.slash(alice, "privacy delete"), label="Delete everything")
    await sim.slash(mo, "audit")
    await sim.slash(mo, "stats")
    await sim.advance(minutes=1)

    assert caplog.records, "the run logged nothing at all, so this test would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in SECRETS:
            assert secret not in text, f"{record.name} logged {secret!r}"
