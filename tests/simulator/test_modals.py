"""Modals beyond text inputs: Labels around selects, radio groups, checkbox groups, checkboxes.

What a member submits must reach discord.py's `ui` items as Discord sends it (custom_id, values,
integer ids, data-level `resolved`), and a modal Discord would refuse is refused with indexed
error paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import ui

from bot.simulator import Simulator, SimulatorError
from tests.simulator.conftest import ProbeClient, World


class CheckIn(ui.Modal, title="Daily check-in"):
    """The shape the check-in feature will use."""

    mood: ui.Label[CheckIn] = ui.Label(
        text="How is your mood?",
        description="1 is very low, 5 is very good",
        component=ui.RadioGroup(
            custom_id="mood",
            options=[discord.RadioGroupOption(label=str(n), value=str(n)) for n in range(1, 6)],
        ),
    )
    craving: ui.Label[CheckIn] = ui.Label(
        text="Craving (0-10)", component=ui.TextInput(custom_id="craving", max_length=2)
    )
    note: ui.Label[CheckIn] = ui.Label(
        text="Anything else?",
        component=ui.TextInput(
            custom_id="note", style=discord.TextStyle.paragraph, required=False, max_length=1000
        ),
    )
    support: ui.Label[CheckIn] = ui.Label(
        text="I'd like support", component=ui.Checkbox(custom_id="support")
    )

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(custom_id="checkin")
        self.seen = seen

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.mood.component, ui.RadioGroup)
        assert isinstance(self.craving.component, ui.TextInput)
        assert isinstance(self.note.component, ui.TextInput)
        assert isinstance(self.support.component, ui.Checkbox)
        self.seen["data"] = interaction.data
        await interaction.response.send_message(
            f"mood={self.mood.component.value} craving={self.craving.component.value} "
            f"note={self.note.component.value!r} support={self.support.component.value}"
        )


class Pairing(ui.Modal, title="Find a buddy"):
    topic: ui.Label[Pairing] = ui.Label(
        text="Topic",
        component=ui.Select(
            custom_id="topic",
            options=[discord.SelectOption(label=t.title(), value=t) for t in ("work", "family")],
        ),
    )
    buddy: ui.Label[Pairing] = ui.Label(
        text="Buddy", component=ui.UserSelect(custom_id="buddy", required=True)
    )
    role: ui.Label[Pairing] = ui.Label(text="Group", component=ui.RoleSelect(custom_id="role"))
    room: ui.Label[Pairing] = ui.Label(text="Room", component=ui.ChannelSelect(custom_id="room"))
    days: ui.Label[Pairing] = ui.Label(
        text="Days",
        component=ui.CheckboxGroup(
            custom_id="days",
            options=[discord.CheckboxGroupOption(label=d, value=d.lower()) for d in ("Mon", "Tue")],
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        parts = []
        for label in (self.topic, self.buddy, self.role, self.room, self.days):
            values = getattr(label.component, "values", [])
            parts.append(",".join(getattr(v, "name", str(v)) for v in values))
        await interaction.response.send_message(" | ".join(parts), ephemeral=True)


@pytest.fixture
async def seen() -> dict[str, Any]:
    return {}


@pytest.fixture
async def bot(
    sim: Simulator, world: World, client: ProbeClient, seen: dict[str, Any]
) -> AsyncIterator[ProbeClient]:
    tree = client.tree

    @tree.command(description="Daily check-in")
    async def checkin(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(CheckIn(seen))

    @tree.command(description="Find a buddy")
    async def pair(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Pairing())

    @tree.command(description="Shows the modal the test put in `seen`, raw")
    async def raw(interaction: discord.Interaction) -> None:
        url = f"{sim.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"type": 9, "data": seen["modal"]}) as response,
        ):
            seen["status"] = response.status
            seen["body"] = await response.json() if response.status != 204 else None
        if response.status != 204:
            await interaction.response.send_message("refused", ephemeral=True)

    async with sim.run_client(client):
        yield client


async def test_the_check_in_modal_submits_radio_text_and_checkbox(
    sim: Simulator, world: World, bot: ProbeClient, seen: dict[str, Any]
) -> None:
    form = await sim.slash(world.alice, "checkin")
    assert form.modal is not None
    assert form.modal["title"] == "Daily check-in"
    answers = {"mood": "2", "craving": "8", "note": "long day", "support": "yes"}
    r = await sim.submit_modal(world.alice, form, answers)
    assert r.content == "mood=2 craving=8 note='long day' support=True"
    # Every component arrives with its custom_id and a sequential integer id (11e).
    labels = seen["data"]["components"]
    assert [(c["type"], c["id"]) for c in labels] == [(18, 1), (18, 3), (18, 5), (18, 7)]
    inner = [c["component"] for c in labels]
    assert [(c["type"], c["id"], c["custom_id"]) for c in inner] == [
        (21, 2, "mood"),
        (4, 4, "craving"),
        (4, 6, "note"),
        (23, 8, "support"),
    ]
    assert inner[3]["value"] is True


async def test_optional_inputs_may_stay_empty_and_a_checkbox_takes_no_or_false(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    form = await sim.slash(world.alice, "checkin")
    r = await sim.submit_modal(world.alice, form, {"mood": "5", "craving": "0", "support": False})
    assert r.content == "mood=5 craving=0 note='' support=False"
    form = await sim.slash(world.alice, "checkin")
    r = await sim.submit_modal(world.alice, form, {"How is your mood?": "4", "craving": "1"})
    assert r.content == "mood=4 craving=1 note='' support=False"


async def test_required_inputs_and_options_are_enforced_as_the_client_does(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    form = await sim.slash(world.alice, "checkin")
    with pytest.raises(SimulatorError, match="required"):
        await sim.submit_modal(world.alice, form, {"mood": "2", "support": "yes"})
    with pytest.raises(SimulatorError, match="required"):
        await sim.submit_modal(world.alice, form, {"craving": "3"})
    with pytest.raises(SimulatorError, match="not an option"):
        await sim.submit_modal(world.alice, form, {"mood": "7", "craving": "3"})
    with pytest.raises(SimulatorError, match="checkbox"):
        await sim.submit_modal(world.alice, form, {"mood": "1", "craving": "3", "support": "maybe"})


async def test_selects_in_labels_arrive_with_values_and_resolved_entities(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    room = world.guild.add_text_channel("quiet-room")
    form = await sim.slash(world.alice, "pair")
    r = await sim.submit_modal(
        world.alice,
        form,
        {
            "topic": "Family",
            "buddy": world.mo,
            "Group": world.mods,
            "room": room,
            "days": ["mon", "Tue"],
        },
    )
    assert r.content == "family | mo | Moderators | quiet-room | mon,tue"
    with pytest.raises(SimulatorError, match="cannot take"):
        await sim.submit_modal(
            world.alice, await sim.slash(world.alice, "pair"), {"topic": "work", "buddy": room}
        )


async def test_a_modal_submit_answer_names_the_interaction_that_opened_the_modal(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    form = await sim.slash(world.alice, "checkin")
    r = await sim.submit_modal(world.alice, form, {"mood": "3", "craving": "2"})
    assert r.message is not None
    metadata = r.message.payload(sim.world)["interaction_metadata"]
    assert metadata["type"] == 5
    assert metadata["triggering_interaction_metadata"]["id"] == str(form.interaction.id)
    assert metadata["triggering_interaction_metadata"]["type"] == 2


def _label(component: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": 18, "label": "Mood", "component": component} | fields


TEXT = {"type": 4, "custom_id": "note", "style": 1}
SELECT = {"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]}


@pytest.mark.parametrize(
    ("components", "path"),
    [
        ([_label(TEXT, label="x" * 46)], ["0", "label"]),
        ([_label(TEXT, description="x" * 101)], ["0", "description"]),
        ([_label(TEXT | {"placeholder": "x" * 101})], ["0", "component", "placeholder"]),
        ([_label(SELECT | {"placeholder": "x" * 151})], ["0", "component", "placeholder"]),
        ([_label(TEXT | {"max_length": 0})], ["0", "component", "max_length"]),
        ([_label(TEXT | {"custom_id": ""})], ["0", "component", "custom_id"]),
        ([_label(TEXT), _label(SELECT | {"disabled": True})], ["1", "component", "disabled"]),
        ([_label({"type": 2, "custom_id": "b", "style": 1})], ["0", "component", "type"]),
        ([_label({"type": 21, "custom_id": "r", "options": []})], ["0", "component", "options"]),
    ],
)
async def test_modals_discord_refuses_get_50035_with_indexed_paths(
    sim: Simulator,
    world: World,
    bot: ProbeClient,
    seen: dict[str, Any],
    components: list[dict[str, Any]],
    path: list[str],
) -> None:
    seen["modal"] = {"custom_id": "m", "title": "Check-in", "components": components}
    r = await sim.slash(world.alice, "raw")
    assert r.content == "refused"
    assert (seen["status"], seen["body"]["code"]) == (400, 50035)
    node = seen["body"]["errors"]["data"]["components"]
    for part in path:
        node = node[part]
    assert node["_errors"][0]["code"]


async def test_a_valid_raw_modal_is_numbered_and_shown(
    sim: Simulator, world: World, bot: ProbeClient, seen: dict[str, Any]
) -> None:
    seen["modal"] = {
        "custom_id": "m",
        "title": "Check-in",
        "components": [
            {"type": 10, "content": "Take your time."},
            _label(TEXT | {"id": 2}),
            _label(SELECT),
        ],
    }
    r = await sim.slash(world.alice, "raw")
    assert seen["status"] == 204
    assert r.modal is not None
    ids = [(c["id"], c["component"]["id"]) for c in r.modal["components"][1:]]
    assert r.modal["components"][0]["id"] == 1
    assert ids == [(3, 2), (4, 5)]


async def test_the_transcript_names_a_modal_s_inputs_by_their_labels(
    sim: Simulator, world: World, bot: ProbeClient
) -> None:
    await sim.slash(world.alice, "checkin")
    assert sim.transcript.lines[-1] == (
        "    [alice sees a form “Daily check-in”: How is your mood?, Craving (0-10), "
        "Anything else?, I'd like support]"
    )
