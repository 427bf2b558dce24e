"""`make demo` runs the real bot offline and shows each feature as members see it."""

from __future__ import annotations

import io

from bot.demo import run_demo


async def test_demo_shows_every_feature_as_members_see_it() -> None:
    out = io.StringIO()
    await run_demo(out)
    transcript = out.getvalue()
    for seen in (
        "mo ▸ /setup milestones",
        "(only bob sees)  Steady: This command is for moderators",
        "DM to sam  Steady: 🎉 30 days",
        "#milestones  Steady: 🎉 A milestone",
        "@alice reached **7 days**",
        "you reached **7 days** (sobriety). Congratulations!",
        "Longest streak: 30 days",
        "988",
        "Delivery status",
        "**You accepted this offer.**",
        "#mentoring › Mentor pair #1  Steady: Welcome, @sam and @bob.",
        "Nothing left this machine.",
    ):
        assert seen in transcript, seen
    _assert_meetings_scene(transcript)
    # Carol's DMs are closed: nothing of hers reached any channel.
    assert "@carol reached" not in transcript
    # /setup status reads as a moderator's client shows it, not as raw markup.
    assert "<t:" not in transcript
    assert "DMs closed (403/50007) (just now)" in transcript
    # A step Discord itself would not allow says so.
    assert "bypasses Discord's command visibility" in transcript
    # Times read as each member's client shows them: Sam's in London, Bob's in New York.
    assert "The next session is Wed 4 Mar 2026 00:00 London time." in transcript
    assert "**@bob is reaching out** (09:00 New York time)" in transcript
    # Headings carry the date and the members' local time.
    heading = (
        "── A moderator sets the server up "
        "(Sun 1 Mar 2026, 12:00 UTC · 07:00 New York · 12:00 London) ──"
    )
    assert heading in transcript


def _assert_meetings_scene(transcript: str) -> None:
    """A weekly group is created, mirrored in Discord's Events, reminded with RSVP buttons whose
    counts change in place, reminded by DM at a member's own offset, and attended by voice."""
    scene = transcript[transcript.index("A moderator creates a weekly group") :]
    in_order = [
        "mo ▸ /meeting create title:Evening IOP group weekdays:tue,thu time:19:00",
        "The next five sessions:\n      Tue 3 Mar 2026 19:00 New York time\n"
        "      Thu 5 Mar 2026 19:00 New York time\n      Tue 10 Mar 2026 19:00 New York time",
        "Events in Recovery Circle  “Evening IOP group” · Tue 3 Mar 2026 19:00 New York time "
        "(Wed 00:00 UTC) · voice channel 🔊 Group room",
        "for at least **10 minutes** (the default) of a session count as attending",
        "sam ▸ /meeting subscribe meeting:Evening IOP group before:2h",
        "#groups  Steady: @IOP group\n      Evening IOP group\n      Starts in 24 hours",
        "[Going] [Can't make it]",
        "alice ▸ clicks [Going]",
        "#groups  Steady (edited): @IOP group",
        "RSVPs: Going: 1 · Can't make it: 0",
        "bob ▸ clicks [Can't make it]",
        "RSVPs: Going: 1 · Can't make it: 1",
        "DM to sam  Steady: A reminder for a group you subscribed to:\n      Evening IOP group\n"
        "      Starts in 2 hours",
        "#groups  Steady: @IOP group\n      Evening IOP group\n      Starts in 60 minutes",
        "alice ▸ joins voice Group room",
        "alice ▸ leaves voice",
        "Events in Recovery Circle  “Evening IOP group” · Thu 5 Mar 2026 19:00 New York time",
        "(only alice sees)  Steady: You attended 1 group in the last 30 days.",
        "(only bob sees)  Steady: You attended 0 groups in the last 30 days.",
    ]
    at = 0
    for seen in in_order:
        found = scene.find(seen, at)
        assert found >= 0, seen
        at = found + len(seen)
    # Each post pinged the group's role, and no reminder went out twice.
    assert scene.count("DM to sam  Steady: A reminder for a group you subscribed to") == 1
    assert scene.count("#groups  Steady: @IOP group") == 2
