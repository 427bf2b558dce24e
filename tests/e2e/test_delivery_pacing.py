"""Every request that reaches Discord counts against the one process's pacer, including those
discord.py sends again within one call (after a short 429), so later requests wait for them
as for any other (bot/delivery/pacing.py)."""

from __future__ import annotations

from bot.app import SteadyBot
from bot.delivery.outbox import Target
from bot.delivery.pacing import WindowPacer
from bot.simulator import Simulator
from tests.e2e.conftest import World
from tests.e2e.test_delivery import SEND, send, texts


async def test_a_send_discord_py_repeats_after_a_short_429_counts_twice(
    sim: Simulator, world: World, bot: SteadyBot
) -> None:
    pacer = WindowPacer(burst=48, window=600.0)  # nothing ages out while the test runs
    bot.dispatcher.pacer = pacer
    before = len(sim.requests)
    sim.fail_next(SEND, 429, retry_after=0.2)  # discord.py sleeps through it and sends again
    await send(bot, world, Target("channel", world.general.id), "the group starts at 7")
    await sim.advance(seconds=1)

    assert texts(sim.messages(world.general))[-1] == "the group starts at 7"
    sends = [r for r in sim.requests[before:] if r.route == SEND]
    assert [r.status for r in sends] == [429, 200]
    reached = [r for r in sim.requests[before:] if not r.path.endswith("/callback")]
    assert pacer.counted == len(reached)  # each of them, the resend included
    await pacer.close()
