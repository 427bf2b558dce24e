"""`run_bot` builds Steady like `python -m bot run`; `advance` stops at every due time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from discord.http import handle_message_parameters
from sqlalchemy.engine import URL

from bot.simulator import CommandNotAvailable, Simulator, SimulatorError
from tests.simulator.conftest import World

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Agenda:
    """Timed work that records the clock reading each time one of its items runs."""

    def __init__(self, bot_clock_now: Callable[[], datetime], due: list[datetime]) -> None:
        self._now = bot_clock_now
        self.due = sorted(due)
        self.ran: list[tuple[datetime, datetime]] = []

    async def next_due(self) -> datetime | None:
        return self.due[0] if self.due else None

    async def run_due(self) -> None:
        now = self._now()
        while self.due and self.due[0] <= now:
            self.ran.append((self.due.pop(0), now))


async def test_advance_runs_each_item_at_its_own_due_time(
    sim: Simulator, world: World, database_url: URL
) -> None:
    async with sim.run_bot(database_url=database_url, now=START) as bot:
        assert sim.clock is not None
        agenda = Agenda(
            sim.clock.now,
            [START + timedelta(hours=1), START + timedelta(hours=5), START + timedelta(hours=30)],
        )
        bot.timed_work.append(agenda)
        await sim.advance(days=1)
        assert agenda.ran == [
            (START + timedelta(hours=1), START + timedelta(hours=1)),
            (START + timedelta(hours=5), START + timedelta(hours=5)),
        ]
        assert sim.clock.now() == START + timedelta(days=1)
        await sim.advance(hours=6, minutes=30)
        assert agenda.ran[-1] == (START + timedelta(hours=30), START + timedelta(hours=30))
        assert sim.clock.now() == START + timedelta(hours=30, minutes=30)
        with pytest.raises(SimulatorError):
            await sim.advance(to=START)


async def test_run_bot_registers_commands_and_a_restart_keeps_the_world(
    sim: Simulator, world: World, database_url: URL
) -> None:
    async with sim.run_bot(database_url=database_url, now=START) as bot:
        assert bot.user is not None
        assert bot.user.id == sim.application_id
        registered = [
            r for r in sim.requests if r.route == "PUT /applications/{application_id}/commands"
        ]
        assert len(registered) == 1
        assert registered[0].status == 200
        r = await sim.slash(world.alice, "crisis")
        assert r.ephemeral
        first_session = bot.ws.session_id
    assert bot.is_closed()
    assert not sim.gateway.connected

    async with sim.run_bot(database_url=database_url) as again:
        assert again is not bot
        assert again.ws.session_id != first_session
        assert sim.clock is not None
        assert sim.clock.now() == START
        assert again.get_guild(world.guild.id) is not None
        assert [m.content for m in sim.messages(world.general, viewer=world.alice)] == [r.content]
        again_r = await sim.slash(world.alice, "crisis")
        assert again_r.content == r.content


async def test_moderator_commands_are_hidden_from_members(
    sim: Simulator, world: World, database_url: URL
) -> None:
    async with sim.run_bot(database_url=database_url, now=START):
        with pytest.raises(CommandNotAvailable):
            await sim.slash(world.alice, "setup show")
        refused = await sim.slash(world.alice, "setup show", bypass_permissions=True)
        assert refused.ephemeral
        shown = await sim.slash(world.mo, "setup show")
        assert shown.ephemeral
        assert shown.content != refused.content


async def test_simulated_time_counts_towards_the_nonce_window(
    sim: Simulator, world: World, database_url: URL
) -> None:
    """A repeat within minutes is the same message; a retry hours later (in the bot's time)
    is a new one, as it would be on Discord."""
    async with sim.run_bot(database_url=database_url, now=START) as bot:

        async def post(nonce: str) -> None:
            params = handle_message_parameters(content="hello", nonce=nonce)
            await bot.http.send_message(world.general.id, params=params)

        await post("n1")
        await post("n1")
        assert len(sim.messages(world.general)) == 1
        await sim.advance(hours=2)
        await post("n1")
        assert len(sim.messages(world.general)) == 2
