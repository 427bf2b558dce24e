"""Confirm buttons never die silently: an expired prompt says so, and a press of a prompt from
before a restart gets a kind answer instead of Discord's "This interaction failed"."""

from __future__ import annotations

from sqlalchemy.engine import URL

from bot.simulator import InteractionResult, SimMessage
from tests.e2e.conftest import START, World, url_text


def _buttons(message: SimMessage) -> list[str]:
    return [str(c.get("label")) for row in message.components for c in row.get("components", [])]


async def test_an_expired_prompt_says_so_and_loses_its_buttons(
    world: World, database_url: URL
) -> None:
    sim, alice = world.sim, world.alice
    async with sim.run_bot(url_text(database_url), START, confirm_timeout_seconds=0.2):
        await sim.slash(alice, "sobriety set", date="2026-01-01")
        prompt = await sim.slash(alice, "sobriety reset")
        assert prompt.message is not None
        message = prompt.message
        assert _buttons(message) == ["Confirm", "Cancel"]

        def expired_prompt() -> SimMessage | None:
            return message if "expired" in message.content else None

        expired = await sim.wait_until(expired_prompt)
        assert _buttons(expired) == []
        assert "nothing was changed" in expired.content
        assert "/sobriety reset" in expired.content
        shown = await sim.slash(alice, "sobriety show")
        assert shown.embeds[0]["title"] == "sobriety: 59 days"


async def test_a_prompt_from_before_a_restart_is_answered_kindly(
    world: World, database_url: URL
) -> None:
    sim, alice = world.sim, world.alice
    url = url_text(database_url)
    async with sim.run_bot(url, START):
        await sim.slash(alice, "sobriety set", date="2026-01-01")
        reset: InteractionResult = await sim.slash(alice, "sobriety reset")
        remove: InteractionResult = await sim.slash(alice, "sobriety remove", label="sobriety")
    async with sim.run_bot(url):
        pressed = await sim.click(alice, reset, label="Confirm")
        assert pressed.ephemeral
        assert "expired" in pressed.content
        assert "run the command again" in pressed.content
        assert not pressed.components
        cancelled = await sim.click(alice, remove, label="Cancel")
        assert "expired" in cancelled.content
        # Nothing was reset or removed by the stale presses.
        shown = await sim.slash(alice, "sobriety show")
        assert shown.embeds[0]["title"] == "sobriety: 59 days"
