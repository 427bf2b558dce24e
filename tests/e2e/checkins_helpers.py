"""Shared set-up for the check-in end-to-end tests: pairs, an alerts channel and roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL

from bot.db import Database
from bot.db.models import MentoringPair
from bot.simulator import SimChannel, SimMember, SimMessage, SimRole, Simulator
from tests.e2e.conftest import START, World


async def pair(
    url: URL, world: World, mentee: SimMember, mentor: SimMember, kind: str = "mentor"
) -> None:
    """A mentor or sponsor for `mentee`, as the matching feature would record it."""
    database = Database.connect(url)
    try:
        async with database.transaction() as session:
            session.add(
                MentoringPair(
                    guild_id=world.guild.id,
                    mentee_id=mentee.id,
                    mentor_id=mentor.id,
                    kind=kind,
                    state="active",
                    started_at=START,
                )
            )
    finally:
        await database.dispose()


@dataclass
class Alerts:
    channel: SimChannel
    on_call: SimRole
    erin: SimMember  # on call
    mod_team: SimRole  # the moderator role, mentionable


async def set_up_alerts(world: World, *, first: int | None = None) -> Alerts:
    """A private alerts channel, and mentionable on-call and moderator roles."""
    sim, guild = world.sim, world.guild
    on_call = guild.add_role("On call", mentionable=True)
    erin = guild.add_member("erin", roles=[on_call])
    channel = guild.add_text_channel("alerts")
    channel.set_permissions(guild.everyone, view_channel=False)
    channel.set_permissions(on_call, view_channel=True)
    channel.set_permissions(world.mods, view_channel=True)
    channel.set_permissions(guild.bot_role, view_channel=True)
    mod_team = guild.add_role("Mod team", mentionable=True)
    await sim.advance(seconds=1)
    await sim.slash(world.mo, "setup moderator-role", role=mod_team)
    options: dict[str, Any] = {"alerts-channel": channel, "on-call-role": on_call}
    if first is not None:
        options["first-step-minutes"] = first
    reply = await sim.slash(world.mo, "setup checkins", **options)
    assert "Alerts may not reach people" not in reply.content, reply.content
    return Alerts(channel, on_call, erin, mod_team)


def posts(sim: Simulator, channel: SimChannel) -> list[SimMessage]:
    return sim.messages(channel)


def latest(messages: list[SimMessage]) -> SimMessage:
    assert messages, "no message arrived"
    return messages[-1]


def hyphenated(**options: Any) -> dict[str, Any]:
    """`/setup checkins` options by their Discord names (`alerts_channel` → `alerts-channel`)."""
    return {name.replace("_", "-"): value for name, value in options.items()}
