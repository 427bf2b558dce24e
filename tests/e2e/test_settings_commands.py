"""/setup and /timezone as moderators and members use them, through the simulator."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from bot.app import SteadyBot
from tests.e2e.conftest import World

pytestmark = pytest.mark.usefixtures("bot")


async def test_member_sets_and_sees_their_timezone(world: World) -> None:
    sim, alice = world.sim, world.alice
    shown = await sim.slash(alice, "timezone show")
    assert shown.ephemeral
    assert "UTC" in shown.content
    assert "default" in shown.content.lower()

    reply = await sim.slash(alice, "timezone set", zone="Europe/London")
    assert reply.ephemeral
    assert "Europe/London" in reply.content

    shown = await sim.slash(alice, "timezone show")
    assert "Europe/London" in shown.content
    assert "you chose it" in shown.content


@pytest.mark.parametrize("bad", ["EST", "UTC+3", "Foo/Bar", "../../etc/passwd"])
async def test_bad_timezones_get_a_kind_ephemeral_error_and_change_nothing(
    world: World, bad: str
) -> None:
    sim, alice = world.sim, world.alice
    await sim.slash(alice, "timezone set", zone="Asia/Tokyo")
    reply = await sim.slash(alice, "timezone set", zone=bad)
    assert reply.ephemeral
    assert "America/New_York" in reply.content  # an example of what works
    assert "Asia/Tokyo" in (await sim.slash(alice, "timezone show")).content


async def test_timezone_autocomplete_offers_iana_places(world: World) -> None:
    choices = await world.sim.autocomplete(world.alice, "timezone set", "zone", "new_y")
    assert {"name": "America/New_York", "value": "America/New_York"} in choices
    assert len(choices) <= 25


@pytest.mark.parametrize("zone", ["GMT", "Etc/UTC", "etc/gmt", "US/Eastern"])
async def test_canonical_iana_names_are_accepted(world: World, zone: str) -> None:
    reply = await world.sim.slash(world.alice, "timezone set", zone=zone)
    assert reply.ephemeral
    assert "Your timezone is now" in reply.content


async def test_autocomplete_leads_with_the_city_an_abbreviation_means(world: World) -> None:
    choices = await world.sim.autocomplete(world.alice, "timezone set", "zone", "est")
    assert choices[0]["value"] == "America/New_York"


async def test_an_invisible_character_is_never_echoed(world: World) -> None:
    reply = await world.sim.slash(world.alice, "timezone set", zone="Europe/Lon\u200bdon")
    assert reply.ephemeral
    assert "\u200b" not in reply.content
    assert "U+200B" in reply.content


async def test_moderator_changes_server_settings(world: World) -> None:
    sim, mo = world.sim, world.mo
    reply = await sim.slash(mo, "setup timezone", zone="America/Chicago")
    assert reply.ephemeral
    assert "America/Chicago" in reply.content
    # Members without their own zone now count days in the server's zone.
    assert "America/Chicago" in (await sim.slash(world.alice, "timezone show")).content

    reply = await sim.slash(mo, "setup moderator-role", role=world.helpers)
    assert reply.ephemeral
    shown = await sim.slash(mo, "setup show")
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert fields["Timezone"] == "America/Chicago"
    assert str(world.helpers.id) in fields["Moderator role"]


async def test_member_cannot_see_setup_commands(world: World) -> None:
    from bot.simulator import CommandNotAvailable

    with pytest.raises(CommandNotAvailable):
        await world.sim.slash(world.alice, "setup show")


async def test_bot_refuses_a_non_moderator_even_when_discord_lets_them_invoke(
    world: World, bot: SteadyBot
) -> None:
    sim = world.sim
    reply = await sim.slash(
        world.alice, "setup timezone", zone="Asia/Tokyo", bypass_permissions=True
    )
    assert reply.ephemeral
    assert "for moderators" in reply.content
    assert (await bot.services.settings.guild(world.guild.id)).timezone is None

    # A role is not a moderator role until a moderator says so …
    reply = await sim.slash(world.dana, "setup show", bypass_permissions=True)
    assert "for moderators" in reply.content
    await sim.slash(world.mo, "setup moderator-role", role=world.helpers)
    # … and then it is, even without Manage Server.
    reply = await sim.slash(world.dana, "setup show", bypass_permissions=True)
    assert reply.embeds
    assert reply.embeds[0]["title"] == "Steady settings"


async def test_everyone_role_cannot_become_the_moderator_role(world: World) -> None:
    everyone = world.guild.role("@everyone")
    reply = await world.sim.slash(world.mo, "setup moderator-role", role=everyone)
    assert reply.ephemeral
    assert "every member would become a moderator" in reply.content
    reply = await world.sim.slash(world.alice, "setup show", bypass_permissions=True)
    assert "for moderators" in reply.content


async def test_replies_that_name_a_role_do_not_ping_it(world: World) -> None:
    world.helpers.mentionable = True
    reply = await world.sim.slash(world.mo, "setup moderator-role", role=world.helpers)
    assert f"<@&{world.helpers.id}>" in reply.content
    assert reply.message is not None
    assert reply.message.mentions == []
    assert reply.message.mention_roles == []


async def test_crisis_is_always_one_command_away(world: World) -> None:
    reply = await world.sim.slash(world.alice, "crisis")
    assert reply.ephemeral
    assert "988" in reply.content
    assert "emergency" in reply.content


async def test_only_manage_server_chooses_the_moderator_role(world: World) -> None:
    sim = world.sim
    await sim.slash(world.mo, "setup moderator-role", role=world.helpers)
    # Dana moderates through the Helpers role but cannot hand moderation to another role.
    reply = await sim.slash(
        world.dana, "setup moderator-role", role=world.mods, bypass_permissions=True
    )
    assert "Manage Server" in reply.content
    shown = await sim.slash(world.mo, "setup show")
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert str(world.helpers.id) in fields["Moderator role"]


async def test_an_unexpected_failure_gives_an_incident_code_matching_the_log(
    world: World, bot: SteadyBot, caplog: pytest.LogCaptureFixture
) -> None:
    # Something outside Steady breaks the database under a running bot.
    async with bot.database.transaction() as session:
        await session.execute(text("DROP TABLE member_settings"))
    reply = await world.sim.slash(world.alice, "timezone set", zone="Europe/Paris")
    assert reply.ephemeral
    assert "nothing was changed" in reply.content
    match = re.search(r"incident code `([0-9a-f]{8})`", reply.content)
    assert match is not None, reply.content
    logged = [
        r for r in caplog.records if r.levelname == "ERROR" and match.group(1) in r.getMessage()
    ]
    assert len(logged) == 1
    assert "Europe/Paris" not in logged[0].getMessage()


async def test_the_moderator_role_reply_says_what_the_owner_must_do(world: World) -> None:
    sim = world.sim
    reply = await sim.slash(world.mo, "setup moderator-role", role=world.helpers)
    # Discord hides /setup from members who only hold the role: the reply must not promise
    # more than Steady's own check does.
    assert "can now run moderator commands" not in reply.content
    assert "Discord still hides `/setup`" in reply.content
    assert "Server Settings → Integrations → Steady" in reply.content
    shown = await sim.slash(world.mo, "setup show")
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert "Server Settings → Integrations → Steady" in fields["Moderator role"]
    # And it is true: the simulator, like Discord, still hides /setup from dana.
    from bot.simulator import CommandNotAvailable

    with pytest.raises(CommandNotAvailable):
        await sim.slash(world.dana, "setup show")
