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
    # Carol's DMs are closed: nothing of hers reached any channel.
    assert "@carol reached" not in transcript
    # /setup status reads as a moderator's client shows it, not as raw markup.
    assert "<t:" not in transcript
    assert "DMs closed (403/50007) (just now)" in transcript
    # A step Discord itself would not allow says so.
    assert "bypasses Discord's command visibility" in transcript
    # Headings carry the date and the members' local time.
    heading = (
        "── A moderator sets the server up "
        "(Sun 1 Mar 2026, 12:00 UTC · 07:00 New York · 12:00 London) ──"
    )
    assert heading in transcript
