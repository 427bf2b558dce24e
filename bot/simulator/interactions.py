"""Interactions: what a member's click or command sends, and the bot's answers to it.

An interaction must be acknowledged within the ack window (3 s on Discord) or it is gone
(10062). Once acknowledged, its token works for follow-ups and edits for 15 minutes.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.simulator import errors as err
from bot.simulator.attachments import FILE_SIZE_LIMIT
from bot.simulator.errors import ApiError, InteractionFailed
from bot.simulator.limits import FormErrorsOf, check_choices
from bot.simulator.messages import PARSE_USERS, MessageStore
from bot.simulator.modal_limits import check_modal
from bot.simulator.state import (
    EPHEMERAL,
    JSON,
    LOADING,
    SimChannel,
    SimFile,
    SimGuild,
    SimMember,
    SimMessage,
    SimUser,
    World,
    numbered_components,
)

PING, APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, CHOICES, MODAL = 1, 4, 5, 6, 7, 8, 9


@dataclass(eq=False)
class PendingInteraction:
    id: int
    token: str
    type: int
    user: SimUser
    member: SimMember | None
    channel: SimChannel
    name: str
    created: float
    source: SimMessage | None = None
    # The interaction whose modal this submission answers (MODAL_SUBMIT only).
    trigger: PendingInteraction | None = None
    response_type: int | None = None
    deferred_ephemeral: bool = False
    original: SimMessage | None = None
    followups: list[SimMessage] = field(default_factory=list)
    expired: bool = False
    result: asyncio.Future[InteractionResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def guild(self) -> SimGuild | None:
        return self.channel.guild

    def metadata(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "user": self.user.payload(),
            "authorizing_integration_owners": {"0": str(self.guild.id) if self.guild else "0"},
        }
        if self.type == APPLICATION_COMMAND:
            data["name"] = self.name
        if self.type == COMPONENT and self.source is not None:
            data["interacted_message_id"] = str(self.source.id)
        if self.type == MODAL_SUBMIT and self.trigger is not None:
            data["triggering_interaction_metadata"] = self.trigger.metadata()
        return data

    def settle(self, result: InteractionResult) -> None:
        if not self.result.done():
            self.result.set_result(result)

    def fail(self, reason: str) -> None:
        if not self.result.done():
            self.result.set_exception(InteractionFailed(reason))


@dataclass
class InteractionResult:
    """What the invoking member sees once the bot answered."""

    interaction: PendingInteraction
    response_type: int
    message: SimMessage | None = None
    modal: JSON | None = None
    choices: list[JSON] | None = None
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    files: list[SimFile] = field(default_factory=list)
    ephemeral: bool = False

    @classmethod
    def of_message(
        cls, interaction: PendingInteraction, response_type: int, message: SimMessage
    ) -> InteractionResult:
        return cls(
            interaction,
            response_type,
            message=message,
            content=message.content,
            embeds=copy.deepcopy(message.embeds),
            components=copy.deepcopy(message.components),
            files=list(message.files),
            ephemeral=message.ephemeral,
        )

    @property
    def deferred(self) -> bool:
        return self.interaction.response_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)

    def text(self) -> str:
        return self.message.text() if self.message is not None else ""


class InteractionHub:
    def __init__(
        self,
        world: World,
        messages: MessageStore,
        *,
        ack_timeout: float,
        token_lifetime: float,
        reply_timeout: float,
        time_source: Callable[[], float],
    ) -> None:
        self.world = world
        self.messages = messages
        self.ack_timeout = ack_timeout
        self.token_lifetime = token_lifetime
        self.reply_timeout = reply_timeout
        self._now = time_source
        self.by_id: dict[int, PendingInteraction] = {}
        self.by_token: dict[str, PendingInteraction] = {}
        world.on_message(self._message_edited)

    # -- starting ------------------------------------------------------------------------------

    def open(
        self,
        kind: int,
        user: SimUser,
        member: SimMember | None,
        channel: SimChannel,
        name: str,
        source: SimMessage | None = None,
        trigger: PendingInteraction | None = None,
    ) -> PendingInteraction:
        pending = PendingInteraction(
            id=self.world.ids.next(),
            token=f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(48)}",
            type=kind,
            user=user,
            member=member,
            channel=channel,
            name=name,
            created=self._now(),
            source=source,
            trigger=trigger,
        )
        self.by_id[pending.id] = pending
        self.by_token[pending.token] = pending
        return pending

    def payload(self, pending: PendingInteraction, data: JSON, *, app_permissions: int) -> JSON:
        channel = pending.channel
        body: JSON = {
            "id": str(pending.id),
            "application_id": str(self.world.application_id),
            "type": pending.type,
            "data": data,
            "channel_id": str(channel.id),
            "token": pending.token,
            "version": 1,
            "app_permissions": str(app_permissions),
            "locale": pending.user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": FILE_SIZE_LIMIT,
        }
        guild = pending.guild
        if guild is not None and pending.member is not None:
            member_permissions = pending.member.permissions_in(channel)
            body["guild_id"] = str(guild.id)
            body["guild"] = {"id": str(guild.id), "locale": guild.locale, "features": []}
            body["guild_locale"] = guild.locale
            body["member"] = pending.member.payload() | {"permissions": str(member_permissions)}
            body["channel"] = channel.payload() | {"permissions": str(member_permissions)}
            body["context"] = 0
            body["authorizing_integration_owners"] = {"0": str(guild.id)}
        else:
            body["user"] = pending.user.payload()
            body["channel"] = channel.payload()
            body["context"] = 1
            body["authorizing_integration_owners"] = {"0": "0"}
        if pending.source is not None:
            body["message"] = pending.source.payload(self.world)
        return body

    async def wait(self, pending: PendingInteraction) -> InteractionResult:
        """Until the member sees an answer; `InteractionFailed` when Discord would show one."""
        loop = asyncio.get_running_loop()
        ack_timer = loop.call_later(self.ack_timeout, self._ack_expired, pending)
        try:
            return await asyncio.wait_for(asyncio.shield(pending.result), self.reply_timeout)
        except TimeoutError:
            pending.fail(
                f"the bot acknowledged {pending.name!r} but sent nothing within "
                f"{self.reply_timeout:g} s"
            )
            return await pending.result
        finally:
            ack_timer.cancel()

    def _ack_expired(self, pending: PendingInteraction) -> None:
        if pending.response_type is None:
            pending.expired = True
            pending.fail(
                f"The application did not respond: {pending.name!r} was not acknowledged "
                f"within {self.ack_timeout:g} s"
            )

    # -- the bot's side: POST /interactions/{id}/{token}/callback --------------------------------

    def callback(self, interaction_id: int, token: str, body: JSON, files: list[SimFile]) -> JSON:
        pending = self.by_id.get(interaction_id)
        if pending is None or pending.token != token:
            raise err.unknown("interaction", err.UNKNOWN_INTERACTION)
        if pending.expired or self._now() - pending.created > self.ack_timeout:
            pending.expired = True
            pending.fail(f"{pending.name!r} was acknowledged too late")
            raise err.unknown("interaction", err.UNKNOWN_INTERACTION)
        if pending.response_type is not None:
            raise ApiError(
                400, err.ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        kind = int(body.get("type", 0))
        data: JSON = body.get("data") or {}
        self._check_allowed(pending, kind)
        message: SimMessage | None = None
        resource: JSON = {"type": kind}
        if kind == MESSAGE:
            message = self._create(pending, data, files, prefix=("data",))
            pending.original = message
            resource["message"] = message.payload(self.world)
            pending.response_type = kind
            pending.settle(InteractionResult.of_message(pending, kind, message))
        elif kind == DEFERRED_MESSAGE:
            pending.deferred_ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            message = self._create(
                pending, {"flags": data.get("flags") or 0}, [], extra_flags=LOADING, validate=False
            )
            pending.original = message
            resource["message"] = message.payload(self.world)
            pending.response_type = kind
        elif kind == DEFERRED_UPDATE:
            pending.response_type = kind
        elif kind == UPDATE:
            assert pending.source is not None
            message = self.messages.edit(
                pending.source, data, files, error_prefix=("data",), default_parse=PARSE_USERS
            )
            resource["message"] = message.payload(self.world)
            pending.response_type = kind
            pending.settle(InteractionResult.of_message(pending, kind, message))
        elif kind == CHOICES:
            check_choices(data)
            pending.response_type = kind
            pending.settle(
                InteractionResult(
                    pending, kind, choices=copy.deepcopy(list(data.get("choices") or []))
                )
            )
        elif kind == MODAL:
            check_modal(data)
            pending.response_type = kind
            # Discord numbers the modal's components as it numbers a message's.
            modal = copy.deepcopy(data) | {"components": numbered_components(data["components"])}
            pending.settle(InteractionResult(pending, kind, modal=modal))
        response: JSON = {
            "interaction": {
                "id": str(pending.id),
                "type": pending.type,
                "response_message_loading": kind == DEFERRED_MESSAGE,
                "response_message_ephemeral": bool(message and message.ephemeral),
            },
            "resource": resource,
        }
        if message is not None:
            response["interaction"]["response_message_id"] = str(message.id)
        return response

    def _check_allowed(self, pending: PendingInteraction, kind: int) -> None:
        allowed = {
            APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
            COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, MODAL},
            AUTOCOMPLETE: {CHOICES},
            MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE}
            | ({DEFERRED_UPDATE, UPDATE} if pending.source is not None else set()),
        }.get(pending.type, {PONG})
        if kind not in allowed:
            message = f"Response type {kind} is not valid for interaction type {pending.type}"
            raise FormErrorsOf("type", "INTERACTION_RESPONSE_TYPE_INVALID", message)

    def _create(
        self,
        pending: PendingInteraction,
        data: JSON,
        files: list[SimFile],
        *,
        extra_flags: int = 0,
        validate: bool = True,
        prefix: tuple[str | int, ...] = (),
        followup: bool = False,
    ) -> SimMessage:
        metadata = pending.metadata()
        if followup and pending.original is not None:
            metadata["original_response_message_id"] = str(pending.original.id)
        message, _ = self.messages.create(
            pending.channel,
            self.world.bot_user,
            data,
            files,
            ephemeral_for=pending.user.id,
            interaction=metadata,
            message_type=20 if pending.type == APPLICATION_COMMAND else 0,
            extra_flags=extra_flags,
            validate=validate,
            error_prefix=prefix,
            default_parse=PARSE_USERS,
        )
        return message

    # -- the bot's side: /webhooks/{application_id}/{token}/... ------------------------------

    def _by_token(self, application_id: int, token: str) -> PendingInteraction:
        pending = self.by_token.get(token)
        if application_id != self.world.application_id or pending is None:
            raise err.unknown("webhook", err.UNKNOWN_WEBHOOK)
        if self._now() - pending.created > self.token_lifetime:
            pending.fail(f"{pending.name!r}: the bot answered after its token expired")
            raise ApiError(401, err.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if pending.response_type is None or pending.expired:
            raise err.unknown("webhook", err.UNKNOWN_WEBHOOK)
        return pending

    def followup(
        self, application_id: int, token: str, body: JSON, files: list[SimFile]
    ) -> SimMessage:
        pending = self._by_token(application_id, token)
        loading = pending.original
        if pending.response_type == DEFERRED_MESSAGE and loading is not None and loading.loading:
            message = self.messages.finish_loading(loading, body, files)
        else:
            message = self._create(pending, body, files, followup=True)
            pending.followups.append(message)
        pending.settle(InteractionResult.of_message(pending, pending.response_type or 0, message))
        return message

    def _target(self, pending: PendingInteraction, message_id: str) -> SimMessage:
        if message_id == "@original":
            target = pending.original
            if target is None and pending.response_type in (DEFERRED_UPDATE, UPDATE):
                target = pending.source
        else:
            target = next((m for m in pending.followups if str(m.id) == message_id), None)
            if (
                target is None
                and pending.original is not None
                and str(pending.original.id) == message_id
            ):
                target = pending.original
        if target is None or target.deleted:
            raise err.unknown("message", err.UNKNOWN_MESSAGE)
        return target

    def get_message(self, application_id: int, token: str, message_id: str) -> SimMessage:
        return self._target(self._by_token(application_id, token), message_id)

    def edit_message(
        self, application_id: int, token: str, message_id: str, body: JSON, files: list[SimFile]
    ) -> SimMessage:
        pending = self._by_token(application_id, token)
        message = self.messages.edit(
            self._target(pending, message_id), body, files, default_parse=PARSE_USERS
        )
        pending.settle(InteractionResult.of_message(pending, pending.response_type or 0, message))
        return message

    def delete_message(self, application_id: int, token: str, message_id: str) -> None:
        pending = self._by_token(application_id, token)
        self.messages.delete(self._target(pending, message_id))

    def _message_edited(self, message: SimMessage) -> None:
        """A deferred component update also counts as answered when the bot edits via REST."""
        if message.edited_at is None:
            return
        for pending in self.by_id.values():
            if (
                pending.response_type == DEFERRED_UPDATE
                and pending.source is message
                and not pending.result.done()
            ):
                pending.settle(InteractionResult.of_message(pending, DEFERRED_UPDATE, message))
