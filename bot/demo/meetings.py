"""The demo's meetings: a weekly evening group is created and mirrored in Discord's Events,
its reminder posts gather RSVPs in place, a member's own DM reminder arrives, and voice
presence becomes attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.rendering import DEFAULT_ZONE, readable_timestamps
from bot.demo.stage import Stage
from bot.simulator import SimScheduledEvent

TITLE = "Evening IOP group"
# Tuesday 3 March, 19:00 in New York (EST) is midnight UTC.
FIRST = datetime(2026, 3, 4, 0, tzinfo=UTC)
_ENTITY = {1: "stage", 2: "voice channel", 3: "external"}


def _event(s: Stage) -> SimScheduledEvent:
    [event] = [event for event in s.guild.scheduled_events if not event.deleted]
    return event


def _show_event(s: Stage, event: SimScheduledEvent) -> None:
    """The meeting's Discord event as the server's Events list shows it."""
    where = (
        f"🔊 {s.sim.world.channels[event.channel_id].name}"
        if event.channel_id is not None
        else f"📍 {event.location}"
    )
    start = readable_timestamps(f"<t:{int(event.starts_at.timestamp())}:F>", s.now, DEFAULT_ZONE)
    s.lines.append(
        f"Events in {s.guild.name}  “{event.name}” · {start} "
        f"({event.starts_at:%a %H:%M} UTC) · {_ENTITY.get(event.entity_type, '?')} {where}"
    )


async def _in_voice_at(s: Stage, minutes: int) -> None:
    """Move the clock to `minutes` after the session began."""
    await s.sim.advance(seconds=(FIRST + timedelta(minutes=minutes) - s.now).total_seconds())
    s.aside(f"{minutes} minutes into the session")


async def meetings(s: Stage) -> None:
    sim = s.sim
    groups = s.guild.add_text_channel("groups")
    room = s.guild.add_voice_channel("Group room")
    iop = s.guild.add_role("IOP group", mentionable=True)
    for member in (s.alice, s.bob, s.sam):
        member.add_role(iop)

    s.note("A moderator creates a weekly group: Tuesdays and Thursdays, 19:00 in New York")
    await sim.slash(
        s.mo,
        "meeting create",
        title=TITLE,
        weekdays="tue,thu",
        time="19:00",
        timezone="America/New_York",
        channel=groups,
        voice=room,
        reminders="24h,1h",
        role=iop,
        description="Peer group for the evening IOP track. Come as you are.",
    )
    s.aside(
        "New York moves its clocks on Sunday 8 March: the group stays at 19:00 there, so from "
        "10 March it starts at 23:00 UTC instead of midnight"
    )
    await sim.advance(seconds=1)
    s.aside("the server's Events now list the next session, in the group's voice channel")
    _show_event(s, _event(s))
    await sim.slash(s.mo, "setup meetings")

    s.note("Sam wants his own reminder, by DM, 2 hours before")
    await sim.autocomplete(s.sam, "meeting subscribe", "meeting", "even")
    await sim.slash(s.sam, "meeting subscribe", meeting=TITLE, before="2h")

    await s.until(
        FIRST - timedelta(hours=24),
        "24 hours before: the reminder post in #groups, pinging only @IOP group",
    )
    [post] = [m for m in sim.messages(groups) if m.components]
    await sim.click(s.alice, post, label="Going")
    await sim.advance(seconds=1)
    await sim.click(s.bob, post, label="Can't make it")
    await sim.advance(seconds=1)
    s.aside("each answer edits the post's counts in place; nobody is named")

    await s.until(
        datetime(2026, 3, 3, 9, tzinfo=UTC),
        "09:00 in London: a day after his restart, Sam's new streak is celebrated",
    )
    await s.until(FIRST - timedelta(hours=2), "22:00 in London: Sam's own DM reminder")
    await s.until(FIRST - timedelta(hours=1), "One hour before: the second post")

    await s.until(FIRST, "19:00 in New York: the group meets in the voice room")
    await _in_voice_at(s, 2)
    sim.join_voice(s.alice, room)
    await s.settle()
    await _in_voice_at(s, 5)
    sim.join_voice(s.bob, room)
    await s.settle()
    await _in_voice_at(s, 8)
    sim.leave_voice(s.bob)
    await s.settle()
    await _in_voice_at(s, 50)
    sim.leave_voice(s.alice)
    await s.settle()

    await s.until(
        FIRST + timedelta(hours=1, minutes=5),
        "The session is over: attendance is counted and the event moves to Thursday",
    )
    _show_event(s, _event(s))
    await sim.slash(s.alice, "meeting attendance")
    s.aside("bob dropped in for 3 minutes; the server counts 10 or more (`/setup meetings`)")
    await sim.slash(s.bob, "meeting attendance")
