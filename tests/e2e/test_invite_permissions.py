"""The README asks only for the permissions Steady uses, and they are enough: the bot, invited
with exactly those, answers commands and posts celebrations in the milestones channel."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import discord
from sqlalchemy.engine import URL

from bot.simulator import Simulator
from tests.e2e.conftest import START, url_text

README = Path(__file__).resolve().parents[2] / "README.md"


def _invite_permissions() -> set[str]:
    """The permission names in the README's invite step, e.g. {"view_channel", …}."""
    text = README.read_text()
    step = text[text.index("2. Invite it") : text.index("3. Run it")]
    names = re.findall(r"\*([A-Z][A-Za-z ]+)\*", step)
    by_label = {"View Channels": "view_channel"}
    return {by_label.get(name, name.lower().replace(" ", "_")) for name in names}


def test_the_readme_asks_for_nothing_unused() -> None:
    # Read Message History: the outbox's look for a message whose send may have succeeded.
    assert _invite_permissions() == {
        "view_channel",
        "send_messages",
        "embed_links",
        "read_message_history",
    }


async def test_the_invite_permissions_are_enough(database_url: URL) -> None:
    granted = discord.Permissions(**dict.fromkeys(_invite_permissions(), True)).value
    async with Simulator(bot_permissions=granted) as sim:
        guild = sim.add_guild("Recovery Circle")
        mods = guild.add_role("Moderators", manage_guild=True)
        milestones = guild.add_text_channel("milestones")
        alice = guild.add_member("alice")
        mo = guild.add_member("mo", roles=[mods])
        async with sim.run_bot(url_text(database_url), START):
            await sim.slash(mo, "setup milestones", channel=milestones)
            await sim.slash(alice, "sobriety set", date="2026-02-23")
            await sim.slash(alice, "sobriety privacy", celebrate="channel")
            assert sim.clock is not None
            await sim.advance(
                seconds=(datetime(2026, 3, 2, 9, 1, tzinfo=UTC) - sim.clock.now()).total_seconds()
            )
            posts = sim.messages(milestones)
            assert len(posts) == 1
            assert "7 days" in str(posts[0].embeds[0]["description"])
