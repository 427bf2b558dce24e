"""A hikari 2.7 bot for the simulator's conformance test (tests/simulator/test_conformance.py).

Runs in its own venv (.cache/conformance/hikari), never the project's: hikari's pins conflict
with ours. Same protocol as the discord.js driver: JSON lines on stdout, `{"event": ...}` for
what hikari saw and `{"re": id, ...}` answering the test's requests read from stdin; hikari's
own log goes to stderr. Environment: SIM_API (…/api/v10) and SIM_TOKEN.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import hikari

EPHEMERAL = hikari.MessageFlag.EPHEMERAL


def report(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def failure(error: BaseException) -> dict[str, Any]:
    return {"name": type(error).__name__, "message": str(error)}


# No privileged intents: the simulator's application has none enabled, like a new bot's.
bot = hikari.GatewayBot(
    os.environ["SIM_TOKEN"],
    rest_url=os.environ["SIM_API"],
    intents=(
        hikari.Intents.GUILDS
        | hikari.Intents.GUILD_MESSAGES
        | hikari.Intents.GUILD_SCHEDULED_EVENTS
        | hikari.Intents.DM_MESSAGES
    ),
    # hikari logs to stdout by default; stdout is for reports, so logging is set up below.
    logs=None,
    banner=None,
    suppress_optimization_warning=True,
)


@bot.listen()
async def on_started(event: hikari.StartedEvent) -> None:
    try:
        application = await bot.rest.fetch_application()
        command = bot.rest.slash_command_builder("checkin", "Check in with the group")
        command.add_option(
            hikari.CommandOption(
                type=hikari.OptionType.STRING,
                name="note",
                description="A word on your day",
                is_required=False,
            )
        )
        synced = await bot.rest.set_application_commands(application.id, [command])
        me = bot.get_me()
        assert me is not None
        guilds = []
        for guild in bot.cache.get_guilds_view().values():
            channels = bot.cache.get_guild_channels_view_for_guild(guild.id).values()
            roles = bot.cache.get_roles_view_for_guild(guild.id).values()
            member = bot.cache.get_member(guild.id, me.id)
            guilds.append(
                {
                    "id": str(guild.id),
                    "name": guild.name,
                    "channels": [{"id": str(c.id), "name": c.name} for c in channels],
                    "roles": [{"id": str(r.id), "name": r.name} for r in roles],
                    "me": str(member.id) if member else None,
                }
            )
        report(
            event="ready",
            user={"id": str(me.id), "username": me.username, "bot": me.is_bot},
            application={"id": str(application.id), "name": application.name},
            commands=[c.name for c in synced],
            guilds=guilds,
        )
    except Exception as error:
        report(event="error", where="ready", **failure(error))


def open_form() -> hikari.api.MessageActionRowBuilder:
    row = bot.rest.build_message_action_row()
    row.add_interactive_button(hikari.ButtonStyle.PRIMARY, "open-form", label="Open form")
    return row


@bot.listen()
async def on_interaction(event: hikari.InteractionCreateEvent) -> None:
    interaction = event.interaction
    seen = {
        "event": "interaction",
        "kind": int(interaction.type),
        "user": str(interaction.user.id),
        "channel": str(interaction.channel_id),
    }
    try:
        if isinstance(interaction, hikari.CommandInteraction):
            note = next((o.value for o in interaction.options or () if o.name == "note"), None)
            report(**seen, command=interaction.command_name, note=note)
            await interaction.create_initial_response(hikari.ResponseType.DEFERRED_MESSAGE_CREATE)
            edited = await interaction.edit_initial_response(
                f"Thanks for checking in, {interaction.user.username}.",
                components=[open_form()],
            )
            follow_up = await interaction.execute("Only you can see this.", flags=EPHEMERAL)
            report(
                event="answered",
                command="checkin",
                reply=str(edited.id),
                follow_up=str(follow_up.id),
            )
        elif isinstance(interaction, hikari.ComponentInteraction):
            if interaction.custom_id == "open-form":
                report(**seen, button="open-form", message=str(interaction.message.id))
                row = bot.rest.build_modal_action_row()
                row.add_text_input(
                    "feeling",
                    "How are you today?",
                    style=hikari.TextInputStyle.PARAGRAPH,
                    max_length=500,
                )
                await interaction.create_modal_response(
                    "Check in", "feeling-form", components=[row]
                )
            elif interaction.custom_id == "hello":
                report(**seen, button="hello", message=str(interaction.message.id))
                await interaction.create_initial_response(
                    hikari.ResponseType.MESSAGE_CREATE,
                    f"Hello, {interaction.user.username}!",
                    flags=EPHEMERAL,
                )
            elif interaction.custom_id == "mood":
                report(**seen, select="mood", values=list(interaction.values))
                await interaction.create_initial_response(
                    hikari.ResponseType.MESSAGE_UPDATE,
                    f"Mood today: {', '.join(interaction.values)}",
                    components=[],
                )
        elif isinstance(interaction, hikari.ModalInteraction):
            values = {
                component.custom_id: component.value
                for row in interaction.components
                for component in row.components
                if isinstance(component, hikari.TextInputComponent)
            }
            feeling = values.get("feeling")
            message = interaction.message
            report(
                **seen,
                modal=interaction.custom_id,
                feeling=feeling,
                from_message=str(message.id) if message else None,
            )
            await interaction.create_initial_response(
                hikari.ResponseType.MESSAGE_CREATE, f"Noted: {feeling}", flags=EPHEMERAL
            )
    except Exception as error:
        report(event="error", where="interaction", **failure(error))


@bot.listen()
async def on_message(event: hikari.MessageCreateEvent) -> None:
    channel = bot.cache.get_thread(event.channel_id)
    report(
        event="message",
        id=str(event.message_id),
        channel=str(event.channel_id),
        author=str(event.author_id),
        in_thread=channel is not None,
    )


@bot.listen()
async def on_thread(event: hikari.GuildThreadCreateEvent) -> None:
    thread = event.thread
    report(event="thread_create", id=str(thread.id), parent=str(thread.parent_id), name=thread.name)


@bot.listen()
async def on_scheduled_event(event: hikari.ScheduledEventCreateEvent) -> None:
    created = event.event
    report(event="scheduled_event_create", id=str(created.id), name=created.name)


@bot.listen()
async def on_subscribe(event: hikari.ScheduledEventUserAddEvent) -> None:
    report(event="scheduled_event_user_add", id=str(event.event_id), user=str(event.user_id))


@bot.listen()
async def on_resumed(event: hikari.ShardResumedEvent) -> None:
    report(event="resumed", shard=event.shard.id, replayed=None)


# -- what the test asks for -----------------------------------------------------------------------


async def send(channel: str) -> dict[str, Any]:
    hello = bot.rest.build_message_action_row()
    hello.add_interactive_button(hikari.ButtonStyle.SECONDARY, "hello", label="Say hello")
    moods = bot.rest.build_message_action_row()
    menu = moods.add_text_menu("mood", placeholder="Mood")
    menu.add_option("Calm", "calm")
    menu.add_option("Rough", "rough")
    message = await bot.rest.create_message(
        int(channel),
        "How is everyone doing?",
        embed=hikari.Embed(title="Daily check-in", description="Pick a mood or say hello."),
        components=[hello, moods],
    )
    return {"message": str(message.id), "components": len(message.components)}


async def thread(channel: str, message: str, member: str) -> dict[str, Any]:
    created = await bot.rest.create_message_thread(
        int(channel), int(message), "Check-in thread", auto_archive_duration=1440
    )
    await bot.rest.add_thread_member(created.id, int(member))
    posted = await bot.rest.create_message(created.id, "Welcome to the thread.")
    members = await bot.rest.fetch_thread_members(created.id)
    active = await bot.rest.fetch_active_threads(created.guild_id)
    return {
        "thread": str(created.id),
        "posted": str(posted.id),
        "members": sorted(str(m.user_id) for m in members),
        "active": [str(t.id) for t in active],
    }


async def scheduled_event(guild: str) -> dict[str, Any]:
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    created = await bot.rest.create_external_event(
        int(guild),
        "Tuesday group",
        "Community hall",
        start,
        start + datetime.timedelta(hours=1),
    )
    return {"event": str(created.id), "status": int(created.status)}


async def subscribers(guild: str, event: str) -> dict[str, Any]:
    users = bot.rest.fetch_scheduled_event_users(int(guild), int(event))  # pages lazily
    return {"users": [str(u.user.id) async for u in users]}


async def dm(user: str) -> dict[str, Any]:
    channel = await bot.rest.create_dm_channel(int(user))
    sent = await channel.send("A quiet note, just for you.")
    return {"message": str(sent.id), "channel": str(channel.id)}


ACTIONS: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "send": send,
    "thread": thread,
    "scheduledEvent": scheduled_event,
    "subscribers": subscribers,
    "dm": dm,
}


async def answer(request_id: int, action: str, arguments: dict[str, Any]) -> None:
    try:
        report(re=request_id, ok=True, **await ACTIONS[action](**arguments))
    except Exception as error:
        report(re=request_id, ok=False, **failure(error))


async def serve_requests() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    running: set[asyncio.Task[None]] = set()
    async for line in reader:
        request = json.loads(line)
        request_id, action = request.pop("id"), request.pop("do")
        if action == "stop":
            break
        # Each request runs on its own, so `stop` is heard even while one is stuck.
        task = asyncio.create_task(answer(request_id, action, request))
        running.add(task)
        task.add_done_callback(running.discard)
    else:
        request_id = None  # stdin closed: the test is gone, and the bot must not outlive it
    for task in running:
        task.cancel()
    await bot.close()
    if request_id is not None:
        report(re=request_id, ok=True)


async def main() -> None:
    requests = asyncio.create_task(serve_requests())
    try:
        await bot.start()
        await bot.join()
    except Exception as error:
        report(event="error", where="login", **failure(error))
    finally:
        requests.cancel()


class ReportErrors(logging.Handler):
    """hikari logs a payload it cannot read and carries on; the test must hear of it."""

    def emit(self, record: logging.LogRecord) -> None:
        cause = record.exc_info[1] if record.exc_info else None
        report(
            event="error",
            where=record.name,
            message=record.getMessage()[:500],
            cause=repr(cause) if cause is not None else None,
        )


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
    logging.getLogger().addHandler(ReportErrors(logging.ERROR))
    asyncio.run(main())
