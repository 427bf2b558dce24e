"""What members do: post, and run commands, click, select and submit forms.

`MemberActions` is the half of `Simulator`'s API that acts on a member's behalf; the
interaction ones return once the bot has answered (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.simulator import permissions as perms
from bot.simulator.commands import CHAT_INPUT, CommandRegistry, build_options
from bot.simulator.components import find_component, resolve_values
from bot.simulator.errors import CommandNotAvailable, SimulatorError
from bot.simulator.gateway import Gateway
from bot.simulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL_SUBMIT,
    InteractionHub,
    InteractionResult,
    PendingInteraction,
)
from bot.simulator.messages import MessageStore
from bot.simulator.modals import ModalValue, fill_modal
from bot.simulator.presence import prepare_thread_post
from bot.simulator.state import (
    DM,
    JSON,
    TEXT,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
    World,
    user_of,
    walk_components,
)
from bot.simulator.transcript import Transcript


class MemberActions:
    """Mixed into `Simulator`, which sets these attributes."""

    world: World
    commands: CommandRegistry
    interactions: InteractionHub
    gateway: Gateway
    messages_store: MessageStore
    transcript: Transcript

    # -- posting (voice, threads and scheduled events: `presence.py`) --------------------------

    def post(
        self,
        member: SimMember | SimUser,
        channel: SimChannel,
        content: str,
        *,
        reply_to: SimMessage | None = None,
    ) -> SimMessage:
        """A member writes a message (MESSAGE_CREATE reaches the bot with its intents)."""
        if channel.type == DM:
            _check_own_dm(member, channel)
        elif isinstance(member, SimMember) and not member.can_see(channel):
            raise SimulatorError(f"{member.name} cannot see #{channel.name}")
        if isinstance(member, SimMember) and channel.is_thread:
            prepare_thread_post(member, channel)
        payload: JSON = {"content": content}
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to.id)}
        message, _ = self.messages_store.create(channel, user_of(member), payload)
        return message

    # -- interactions --------------------------------------------------------------------------

    async def slash(
        self,
        member: SimMember,
        command: str,
        /,
        *,
        in_channel: SimChannel | None = None,
        bypass_permissions: bool = False,
        **options: Any,
    ) -> InteractionResult:
        """Run `/command [group] [sub]` with options; returns once the bot has answered."""
        pending, data = self._command_interaction(
            member, command, APPLICATION_COMMAND, in_channel, bypass_permissions, options, None
        )
        shown = " ".join(f"{k}:{_show(v)}" for k, v in options.items())
        self.transcript.action(member.name, f"/{command.strip().lstrip('/')} {shown}".rstrip())
        return await self._run(pending, data)

    async def autocomplete(
        self,
        member: SimMember,
        command: str,
        option: str,
        value: str,
        /,
        *,
        in_channel: SimChannel | None = None,
        **options: Any,
    ) -> list[JSON]:
        """The choices the bot offers while `member` types `value` into `option`."""
        pending, data = self._command_interaction(
            member, command, AUTOCOMPLETE, in_channel, False, {**options, option: value}, option
        )
        result = await self._run(pending, data)
        return result.choices or []

    async def click(
        self,
        member: SimMember,
        target: InteractionResult | SimMessage,
        *,
        label: str | None = None,
        custom_id: str | None = None,
    ) -> InteractionResult:
        message = self._visible_message(member, target)
        button = find_component(message, label=label, custom_id=custom_id, types=(2,))
        if button.get("disabled"):
            raise SimulatorError(f"button {button.get('label')!r} is disabled")
        if "custom_id" not in button:
            raise SimulatorError(f"button {button.get('label')!r} is a link, not an interaction")
        data: JSON = {"custom_id": button["custom_id"], "component_type": 2}
        if isinstance(button.get("id"), int):
            data["id"] = button["id"]
        pending = self.interactions.open(
            COMPONENT, member.user, member, message.channel, str(button["custom_id"]), message
        )
        self.transcript.action(
            member.name, f"clicks [{button.get('label') or button['custom_id']}]"
        )
        return await self._run(pending, data)

    async def select(
        self,
        member: SimMember,
        target: InteractionResult | SimMessage,
        values: list[Any],
        *,
        custom_id: str | None = None,
        placeholder: str | None = None,
    ) -> InteractionResult:
        """Pick `values` in a select menu (strings, or members/roles/channels for those selects)."""
        message = self._visible_message(member, target)
        if custom_id is None and placeholder is None:
            selects = [
                c for c in walk_components(message.components) if c.get("type") in (3, 5, 6, 7, 8)
            ]
            if len(selects) != 1:
                raise SimulatorError("say which select menu: custom_id= or placeholder=")
            custom_id = str(selects[0]["custom_id"])
        menu = find_component(
            message, label=placeholder, custom_id=custom_id, types=(3, 5, 6, 7, 8)
        )
        if menu.get("disabled"):
            raise SimulatorError("that select menu is disabled")
        chosen, resolved = resolve_values(menu, values, member)
        data: JSON = {
            "custom_id": menu["custom_id"],
            "component_type": menu["type"],
            "values": chosen,
        }
        if resolved:
            data["resolved"] = resolved
        pending = self.interactions.open(
            COMPONENT, member.user, member, message.channel, str(menu["custom_id"]), message
        )
        self.transcript.action(member.name, f"chooses {', '.join(_show(v) for v in values)}")
        return await self._run(pending, data)

    async def submit_modal(
        self, member: SimMember, target: InteractionResult, values: Mapping[str, ModalValue]
    ) -> InteractionResult:
        """Fill in the modal the bot showed and submit it (see `modals.fill_modal`): keys are
        an input's custom_id or label; values are strings, lists, members, roles, channels,
        and yes/no or True/False for a checkbox."""
        modal = target.modal
        if modal is None:
            raise SimulatorError("the bot answered with a message, not a modal")
        if target.interaction.user is not member.user:
            raise SimulatorError("only the member the modal was shown to can submit it")
        submission = fill_modal(modal, values, member)
        source = target.interaction.source
        pending = self.interactions.open(
            MODAL_SUBMIT,
            member.user,
            member,
            target.interaction.channel,
            str(modal.get("custom_id")),
            source,
            trigger=target.interaction,
        )
        data: JSON = {"custom_id": modal.get("custom_id"), "components": submission.components}
        if submission.resolved:
            data["resolved"] = submission.resolved
        filled = ", ".join(f"{k}: {v}" for k, v in submission.shown.items() if v)
        self.transcript.action(member.name, f"submits “{modal.get('title')}” ({filled})")
        return await self._run(pending, data)

    def _visible_message(
        self, member: SimMember, target: InteractionResult | SimMessage
    ) -> SimMessage:
        message = target.message if isinstance(target, InteractionResult) else target
        if message is None:
            raise SimulatorError("that answer has no message to click on")
        if not message.visible_to(member):
            raise SimulatorError(f"{member.name} cannot see that message")
        return message

    def _command_interaction(
        self,
        member: SimMember,
        command: str,
        kind: int,
        in_channel: SimChannel | None,
        bypass_permissions: bool,
        options: dict[str, Any],
        focused: str | None,
    ) -> tuple[PendingInteraction, JSON]:
        name, *path = command.strip().lstrip("/").split()
        channel = in_channel or _default_channel(member.guild)
        registered = self.commands.find(member.guild, name, CHAT_INPUT)
        if registered is None:
            raise CommandNotAvailable(f"/{name} is not registered (did the bot sync?)")
        if channel.type == DM:
            _check_own_dm(member, channel)
            contexts = registered.data.get("contexts")
            in_dms = (
                1 in contexts
                if contexts is not None
                else registered.data.get("dm_permission", True)
            )
            if not in_dms:
                raise CommandNotAvailable(f"/{name} cannot be used in DMs")
        else:
            if not member.can_see(channel):
                raise SimulatorError(f"{member.name} cannot see #{channel.name}")
            if not bypass_permissions and not registered.visible_to(member):
                raise CommandNotAvailable(
                    f"/{name} is hidden from {member.name} (default_member_permissions="
                    f"{registered.default_member_permissions})"
                )
        invocation = build_options(registered, path, options, member=member, focused=focused)
        data: JSON = {
            "id": str(registered.id),
            "name": name,
            "type": CHAT_INPUT,
            "options": invocation.options,
        }
        if invocation.resolved:
            data["resolved"] = invocation.resolved
        if "guild_id" in registered.data:
            data["guild_id"] = registered.data["guild_id"]
        in_guild = channel.type != DM
        pending = self.interactions.open(
            kind, member.user, member if in_guild else None, channel, " ".join([name, *path])
        )
        return pending, data

    async def _run(self, pending: PendingInteraction, data: JSON) -> InteractionResult:
        if not self.gateway.connected:
            raise SimulatorError("no bot is connected to the simulator")
        guild = pending.guild
        if guild is not None:
            app_permissions = guild.me.permissions_in(pending.channel)
        else:
            app_permissions = perms.DM_APP
        payload = self.interactions.payload(pending, data, app_permissions=app_permissions)
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild.id if guild else None)
        result = await self.interactions.wait(pending)
        if result.modal is not None:
            self.transcript.modal(pending.user.name, result.modal)
        return result


def _show(value: Any) -> str:
    if isinstance(value, SimChannel):
        return f"#{value.name}"
    if isinstance(value, SimMember | SimUser | SimRole):
        return f"@{value.name}"
    return str(value)


def _check_own_dm(member: SimMember | SimUser, channel: SimChannel) -> None:
    """A DM belongs to its two ends: nobody else can open it, let alone write or run commands."""
    recipient = channel.recipient
    if recipient is None or user_of(member).id != recipient.id:
        raise SimulatorError(f"{member.name} cannot see someone else's DM")


def _default_channel(guild: SimGuild) -> SimChannel:
    text = [c for c in guild.channels if c.type == TEXT]
    general = next((c for c in text if c.name == "general"), None)
    if general is None and not text:
        raise SimulatorError(f"{guild.name} has no text channel")
    return general or text[0]
