"""The simulated Discord world: users, guilds, roles, members, channels, threads, messages, events.

Objects here are what tests hold (`guild.add_member("alice")` returns a `SimMember`). They know
how to render themselves as Discord payloads and announce their changes through `World.emit`,
which the gateway turns into dispatch events for connected bots.
"""

from bot.simulator.state.channels import SimChannel
from bot.simulator.state.constants import (
    CATEGORY,
    COMPONENTS_V2,
    DM,
    EPHEMERAL,
    JSON,
    LOADING,
    LOCALES,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    THREAD_TYPES,
    VOICE,
    Emit,
)
from bot.simulator.state.guilds import SimGuild
from bot.simulator.state.members import SimMember, SimRole, SimUser, user_of
from bot.simulator.state.messages import (
    SimFile,
    SimMessage,
    component_texts,
    numbered_components,
    walk_components,
)
from bot.simulator.state.scheduled_events import SimScheduledEvent
from bot.simulator.state.world import World

__all__ = [
    "CATEGORY",
    "COMPONENTS_V2",
    "DM",
    "EPHEMERAL",
    "JSON",
    "LOADING",
    "LOCALES",
    "PRIVATE_THREAD",
    "PUBLIC_THREAD",
    "TEXT",
    "THREAD_TYPES",
    "VOICE",
    "Emit",
    "SimChannel",
    "SimFile",
    "SimGuild",
    "SimMember",
    "SimMessage",
    "SimRole",
    "SimScheduledEvent",
    "SimUser",
    "World",
    "component_texts",
    "numbered_components",
    "user_of",
    "walk_components",
]
