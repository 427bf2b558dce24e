"""A local Discord for tests and the offline demo: REST API v10 and gateway on loopback.

async with Simulator() as sim:
    guild = sim.add_guild("Recovery Circle")
    alice = guild.add_member("alice")
    async with sim.run_bot(database_url=url) as bot:
        r = await sim.slash(alice, "sobriety set", date="2026-01-01")
"""

from bot.simulator.errors import (
    ApiError,
    CommandNotAvailable,
    InteractionFailed,
    SimulatorError,
)
from bot.simulator.interactions import InteractionResult
from bot.simulator.server import SimRequest
from bot.simulator.simulator import Simulator
from bot.simulator.state import (
    SimChannel,
    SimFile,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimScheduledEvent,
    SimUser,
)

__all__ = [
    "ApiError",
    "CommandNotAvailable",
    "InteractionFailed",
    "InteractionResult",
    "SimChannel",
    "SimFile",
    "SimGuild",
    "SimMember",
    "SimMessage",
    "SimRequest",
    "SimRole",
    "SimScheduledEvent",
    "SimUser",
    "Simulator",
    "SimulatorError",
]
