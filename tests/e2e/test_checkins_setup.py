"""Moderators setting up check-in alerts: private channels only, honest warnings about pings,
extra crisis lines, and the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import URL

from bot.app import SteadyBot
from bot.db import Database
from bot.db.models import AuditLog
from tests.e2e.checkins_helpers import hyphenated, set_up_alerts
from tests.e2e.conftest import World


async def test_a_public_alerts_channel_is_refused_with_the_reason(
    world: World, bot: SteadyBot
) -> None:
    reply = await world.sim.slash(
        world.mo, "setup checkins", **hyphenated(alerts_channel=world.general)
    )
    assert reply.ephemeral
    assert "can be seen by @everyone" in reply.content
    assert "Nothing was changed" in reply.content
    # Nothing changed: a check-in without a mentor still finds no supporter here.
    checkin = await world.sim.slash(world.alice, "checkin", mood=3, craving=2, support=True)
    assert "No supporter is set up" in checkin.content


async def test_roles_steady_cannot_ping_are_named_with_what_to_change(
    world: World, bot: SteadyBot
) -> None:
    sim, guild = world.sim, world.guild
    quiet = guild.add_role("Quiet on call")  # not mentionable
    channel = guild.add_text_channel("alerts")
    channel.set_permissions(guild.everyone, view_channel=False)
    channel.set_permissions(guild.bot_role, view_channel=True)
    await sim.advance(seconds=1)
    reply = await sim.slash(
        world.mo, "setup checkins", **hyphenated(alerts_channel=channel, on_call_role=quiet)
    )
    assert "Alerts may not reach people yet" in reply.content
    assert f"I can't ping <@&{quiet.id}>: make the role mentionable" in reply.content
    assert "No moderator role is set" in reply.content


async def test_bad_setup_values_and_non_moderators_change_nothing(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    order = await sim.slash(
        world.mo, "setup checkins", **hyphenated(first_step_minutes=30, second_step_minutes=20)
    )
    assert "must be later than" in order.content
    keep = await sim.slash(world.mo, "setup checkins", **hyphenated(keep_notes_days=400))
    assert "`keep-notes-days` is from 1 to 365" in keep.content
    member = await sim.slash(world.alice, "setup checkins", bypass_permissions=True)
    assert "This command is for moderators" in member.content


async def test_crisis_lines_are_added_shown_and_removed_with_an_audit_trail(
    world: World, bot: SteadyBot, database_url: URL
) -> None:
    sim = world.sim
    added = await sim.slash(
        world.mo, "setup crisis-line add", name="Harbor Line", contact="555-0199", note="24/7"
    )
    assert "Added **Harbor Line**" in added.content
    twice = await sim.slash(world.mo, "setup crisis-line add", name="harbor line", contact="1")
    assert "already a line named" in twice.content
    sos = await sim.slash(world.alice, "sos")
    assert "**Harbor Line**: 555-0199 — 24/7" in sos.embeds[0]["description"]
    removed = await sim.slash(world.mo, "setup crisis-line remove", name="Harbor Line")
    assert "Removed **Harbor Line**" in removed.content
    missing = await sim.slash(world.mo, "setup crisis-line remove", name="Harbor Line")
    assert "no crisis line named" in missing.content
    database = Database.connect(database_url)
    try:
        async with database.read() as session:
            actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    finally:
        await database.dispose()
    assert actions == ["checkins.crisis_line.add", "checkins.crisis_line.remove"]


async def test_setup_status_says_when_alerts_cannot_reach_anyone(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    before = await sim.slash(world.mo, "setup status")
    [field] = [f for f in before.embeds[0]["fields"] if f["name"] == "Check-in alerts"]
    assert "No alerts channel is set" in field["value"]
    await set_up_alerts(world)
    after = await sim.slash(world.mo, "setup status")
    [field] = [f for f in after.embeds[0]["fields"] if f["name"] == "Check-in alerts"]
    assert field["value"] == "Unclaimed alerts reach the on-call role, then the moderators."
