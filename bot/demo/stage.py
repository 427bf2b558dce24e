"""The demo's community and the few moves every scene uses: headings, asides, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.app import SteadyBot
from bot.demo.rendering import ReadableLines, heading
from bot.simulator import SimChannel, SimGuild, SimMember, SimRole, Simulator


@dataclass
class Stage:
    sim: Simulator
    lines: ReadableLines
    guild: SimGuild
    mods: SimRole
    milestones: SimChannel
    alice: SimMember  # New York
    sam: SimMember  # London
    bob: SimMember
    mo: SimMember  # a moderator
    carol: SimMember  # DMs closed
    bot: SteadyBot | None = None

    @property
    def now(self) -> datetime:
        assert self.sim.clock is not None
        return self.sim.clock.now()

    def note(self, text: str, at: datetime | None = None) -> None:
        self.lines.append(heading(text, at or self.now))

    def aside(self, text: str) -> None:
        self.lines.append(f"    [{text}]")

    async def until(self, instant: datetime, text: str) -> None:
        """A heading at `instant`, then the clock moves there and what was due happens."""
        self.note(text, instant)
        await self.sim.advance(seconds=(instant - self.now).total_seconds())

    async def settle(self) -> None:
        """Wait until the bot has handled the gateway events sent so far (a voice change):
        a command sent after them arrives on the same socket, so once it is answered the bot
        has read them, and the work it started for them is then awaited. Not shown: it is
        only the demo's way of waiting before the clock moves on."""
        assert self.bot is not None
        with self.lines.muted():
            await self.sim.slash(self.mo, "meeting mine")
        await self.bot.background_settled()


def cast(sim: Simulator, lines: ReadableLines) -> Stage:
    """The server and its members, before the bot connects."""
    guild = sim.add_guild("Recovery Circle")
    mods = guild.add_role("Moderators", manage_guild=True)
    return Stage(
        sim=sim,
        lines=lines,
        guild=guild,
        mods=mods,
        milestones=guild.add_text_channel("milestones"),
        alice=guild.add_member("alice"),
        sam=guild.add_member("sam"),
        bob=guild.add_member("bob"),
        mo=guild.add_member("mo", roles=[mods]),
        carol=guild.add_member("carol", dms_open=False),
    )
