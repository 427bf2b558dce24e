"""`python -m bot demo`: a scripted morning in a recovery community, fully offline.

The real bot runs against the local Discord simulator on a fresh SQLite file with a
controllable clock; the transcript shows what each member sees, whether in a channel, a DM or
an ephemeral reply only they can see.
"""

from __future__ import annotations

import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.simulator import Simulator

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


# Whose local time the section headings show, beside UTC.
LOCAL_TIMES = (("New York", "America/New_York"), ("London", "Europe/London"))
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")


async def run_demo(out: TextIO) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="steady-demo-") as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'steady.db'}"
        async with Simulator() as sim:
            await _scenario(sim, url)
            assert sim.clock is not None
            out.write(readable_timestamps(sim.transcript.text(), sim.clock.now()) + "\n")
    elapsed = time.monotonic() - started
    out.write(f"\nDemo finished in {elapsed:.1f} s. Nothing left this machine.\n")


def heading(text: str, when: datetime) -> str:
    """A section heading with the date and the time in UTC and where the members live."""
    local = " · ".join(
        f"{when.astimezone(ZoneInfo(zone)):%H:%M} {place}" for place, zone in LOCAL_TIMES
    )
    return f"\n── {text} ({when:%a %-d %b %Y}, {when:%H:%M} UTC · {local}) ──"


def readable_timestamps(text: str, now: datetime) -> str:
    """`<t:…>` markup as a member's Discord client shows it (here in UTC; "R" against `now`)."""

    def shown(match: re.Match[str]) -> str:
        at = datetime.fromtimestamp(int(match.group(1)), tz=UTC)
        if match.group(2) != "R":
            return f"{at:%-d %b %Y %H:%M} UTC"
        minutes = round((now - at).total_seconds() / 60)
        if abs(minutes) < 1:
            return "just now"
        if abs(minutes) < 90:
            amount = f"{abs(minutes)} minute{'' if abs(minutes) == 1 else 's'}"
        else:
            hours = round(abs(minutes) / 60)
            amount = f"{hours} hour{'' if hours == 1 else 's'}"
        return f"{amount} ago" if minutes > 0 else f"in {amount}"

    return _TIMESTAMP.sub(shown, text)


async def _scenario(sim: Simulator, url: str) -> None:
    guild = sim.add_guild("Recovery Circle")
    mods = guild.add_role("Moderators", manage_guild=True)
    milestones = guild.add_text_channel("milestones")
    alice = guild.add_member("alice")
    sam = guild.add_member("sam")
    bob = guild.add_member("bob")
    mo = guild.add_member("mo", roles=[mods])
    carol = guild.add_member("carol", dms_open=False)

    def note(text: str, at: datetime | None = None) -> None:
        assert sim.clock is not None
        sim.transcript.lines.append(heading(text, at or sim.clock.now()))

    def aside(text: str) -> None:
        sim.transcript.lines.append(f"    [{text}]")

    async def until(instant: datetime, text: str) -> None:
        note(text, instant)
        assert sim.clock is not None
        await sim.advance(seconds=(instant - sim.clock.now()).total_seconds())

    async with sim.run_bot(database_url=url, now=START):
        note("A moderator sets the server up")
        await sim.slash(mo, "setup timezone", zone="America/New_York")
        await sim.slash(mo, "setup milestones", channel=milestones, hour=9)
        await sim.slash(mo, "setup show")
        aside(
            "bob is not a moderator, so Discord hides /setup from him; the demo bypasses "
            "Discord's command visibility to show that Steady refuses him itself"
        )
        await sim.slash(bob, "setup timezone", zone="Asia/Tokyo", bypass_permissions=True)

        note("Members set their timezone and counters; everything they see is private")
        await sim.autocomplete(alice, "timezone set", "zone", "new_y")
        await sim.slash(alice, "timezone set", zone="America/New_York")
        await sim.slash(alice, "sobriety set", date="2026-02-23")
        await sim.slash(alice, "sobriety privacy", celebrate="channel", visibility="members")
        await sim.slash(sam, "timezone set", zone="Europe/London")
        await sim.slash(sam, "sobriety set", date="2026-01-31", label="alcohol")
        await sim.slash(sam, "sobriety show", label="alcohol")
        await sim.slash(carol, "sobriety set", date="2026-02-23")
        await sim.slash(bob, "sobriety show", member=sam)
        await sim.slash(bob, "sobriety show", member=alice)

        note("Bad input gets a kind explanation and changes nothing")
        await sim.slash(bob, "sobriety set", date="yesterday")
        await sim.slash(bob, "sobriety set", date="2025-02-30")
        await sim.slash(bob, "timezone set", zone="EST")

        await until(
            datetime(2026, 3, 2, 9, tzinfo=UTC),
            "The night passes. 09:00 in London: Sam's milestone, by DM as Sam chose",
        )
        await until(
            datetime(2026, 3, 2, 14, tzinfo=UTC),
            "09:00 in New York: Alice chose the channel; Carol chose DMs, but hers are closed",
        )
        note("Nothing of Carol's went public: her congratulation waits for /sobriety show")
        await sim.slash(carol, "sobriety show")

        note("A hard day: Sam restarts a streak; nothing of the journey is lost")
        prompt = await sim.slash(sam, "sobriety reset", label="alcohol")
        await sim.click(sam, prompt, label="Confirm")
        await sim.slash(sam, "sobriety history", label="alcohol")
        await sim.slash(sam, "crisis")

        note("Sam finds a mentor: Bob offers, a moderator approves, Sam asks, Bob accepts")
        mentoring = guild.add_text_channel("mentoring")
        await sim.slash(mo, "setup mentoring", channel=mentoring)
        await sim.slash(
            bob,
            "mentor apply",
            kind="mentor",
            focus="alcohol, family",
            availability="18:00-22:00",
            about="Four years sober; evenings are when I'm around.",
        )
        await sim.slash(mo, "mentors approve", member=bob)
        await sim.slash(sam, "mentor request", focus="alcohol", note="Evenings are the hardest")
        await sim.advance(seconds=1)
        aside("the offer reaches Bob alone; Sam's note is shown only to mentors it is offered to")
        [offer] = [message for message in sim.dms(bob) if message.components]
        await sim.click(bob, offer, label="Accept")
        await sim.advance(seconds=1)
        aside(
            "the pair's private thread in #mentoring: only Sam and Bob (and moderators) see it; "
            "ending the pairing archives and locks it, never deletes it"
        )
        await sim.slash(sam, "mentor status")

        note("A check-in asking for support reaches Sam's mentor, who says they're reaching out")
        form = await sim.slash(sam, "checkin")
        await sim.submit_modal(
            sam, form, {"mood": "2", "craving": "7", "note": "rough night", "support": "yes"}
        )
        await sim.advance(seconds=2)
        await sim.click(bob, sim.dms(bob)[-1], label="I'm reaching out")
        await sim.advance(seconds=2)

        note("Delivery health, for moderators")
        await sim.slash(mo, "setup status")
