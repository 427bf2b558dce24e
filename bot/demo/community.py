"""The demo's first morning: a moderator sets the server up, members keep their counters,
a milestone is celebrated, a mentor is found and a check-in asking for support is answered."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.demo.stage import Stage


async def community(s: Stage) -> None:
    s.note("A moderator sets the server up")
    await s.sim.slash(s.mo, "setup timezone", zone="America/New_York")
    await s.sim.slash(s.mo, "setup milestones", channel=s.milestones, hour=9)
    await s.sim.slash(s.mo, "setup show")
    s.aside(
        "bob is not a moderator, so Discord hides /setup from him; the demo bypasses "
        "Discord's command visibility to show that Steady refuses him itself"
    )
    await s.sim.slash(s.bob, "setup timezone", zone="Asia/Tokyo", bypass_permissions=True)

    s.note("Members set their timezone and counters; everything they see is private")
    await s.sim.autocomplete(s.alice, "timezone set", "zone", "new_y")
    await s.sim.slash(s.alice, "timezone set", zone="America/New_York")
    await s.sim.slash(s.alice, "sobriety set", date="2026-02-23")
    await s.sim.slash(s.alice, "sobriety privacy", celebrate="channel", visibility="members")
    await s.sim.slash(s.sam, "timezone set", zone="Europe/London")
    await s.sim.slash(s.sam, "sobriety set", date="2026-01-31", label="alcohol")
    await s.sim.slash(s.sam, "sobriety show", label="alcohol")
    await s.sim.slash(s.carol, "sobriety set", date="2026-02-23")
    await s.sim.slash(s.bob, "sobriety show", member=s.sam)
    await s.sim.slash(s.bob, "sobriety show", member=s.alice)

    s.note("Bad input gets a kind explanation and changes nothing")
    await s.sim.slash(s.bob, "sobriety set", date="yesterday")
    await s.sim.slash(s.bob, "sobriety set", date="2025-02-30")
    await s.sim.slash(s.bob, "timezone set", zone="EST")

    await s.until(
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        "The night passes. 09:00 in London: Sam's milestone, by DM as Sam chose",
    )
    await s.until(
        datetime(2026, 3, 2, 14, tzinfo=UTC),
        "09:00 in New York: Alice chose the channel; Carol chose DMs, but hers are closed",
    )
    s.note("Nothing of Carol's went public: her congratulation waits for /sobriety show")
    await s.sim.slash(s.carol, "sobriety show")

    s.note("A hard day: Sam restarts a streak; nothing of the journey is lost")
    prompt = await s.sim.slash(s.sam, "sobriety reset", label="alcohol")
    await s.sim.click(s.sam, prompt, label="Confirm")
    await s.sim.slash(s.sam, "sobriety history", label="alcohol")
    await s.sim.slash(s.sam, "crisis")

    s.note("Sam finds a mentor: Bob offers, a moderator approves, Sam asks, Bob accepts")
    mentoring = s.guild.add_text_channel("mentoring")
    await s.sim.slash(s.mo, "setup mentoring", channel=mentoring)
    await s.sim.slash(
        s.bob,
        "mentor apply",
        kind="mentor",
        focus="alcohol, family",
        availability="18:00-22:00",
        about="Four years sober; evenings are when I'm around.",
    )
    await s.sim.slash(s.mo, "mentors approve", member=s.bob)
    await s.sim.slash(s.sam, "mentor request", focus="alcohol", note="Evenings are the hardest")
    await s.sim.advance(seconds=1)
    s.aside("the offer reaches Bob alone; Sam's note is shown only to mentors it is offered to")
    [offer] = [message for message in s.sim.dms(s.bob) if message.components]
    await s.sim.click(s.bob, offer, label="Accept")
    await s.sim.advance(seconds=1)
    s.aside(
        "the pair's private thread in #mentoring: only Sam and Bob (and moderators) see it; "
        "ending the pairing archives and locks it, never deletes it"
    )
    await s.sim.slash(s.sam, "mentor status")

    s.note("A check-in asking for support reaches Sam's mentor, who says they're reaching out")
    form = await s.sim.slash(s.sam, "checkin")
    await s.sim.submit_modal(
        s.sam, form, {"mood": "2", "craving": "7", "note": "rough night", "support": "yes"}
    )
    await s.sim.advance(seconds=2)
    await s.sim.click(s.bob, s.sim.dms(s.bob)[-1], label="I'm reaching out")
    await s.sim.advance(seconds=2)

    s.note("Delivery health, for moderators")
    await s.sim.slash(s.mo, "setup status")
