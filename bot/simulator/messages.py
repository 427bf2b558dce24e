"""Creating, editing and deleting messages: limits, who is really pinged, nonce de-duplication."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.simulator import permissions as perms
from bot.simulator.attachments import (
    apply_metadata,
    check_references,
    check_sizes,
    resolve_references,
)
from bot.simulator.ids import real_now
from bot.simulator.limits import check_message
from bot.simulator.state import (
    EPHEMERAL,
    JSON,
    LOADING,
    SimChannel,
    SimFile,
    SimMessage,
    SimUser,
    World,
    component_texts,
    numbered_components,
)

_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)\b")

# What `allowed_mentions` parses when a request leaves it out: everything in regular messages,
# only user mentions in interaction responses and webhook messages (follow-ups).
PARSE_ALL = frozenset({"users", "roles", "everyone"})
PARSE_USERS = frozenset({"users"})

# Flags a sender may set; the rest are Discord's to set.
_SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


@dataclass
class _NonceEntry:
    message: SimMessage
    at: float


class MessageStore:
    def __init__(
        self, world: World, *, nonce_window: float, time_source: Callable[[], float]
    ) -> None:
        self.world = world
        self.nonce_window = nonce_window
        self._now = time_source
        self._nonces: dict[tuple[int, int, str], _NonceEntry] = {}

    def create(
        self,
        channel: SimChannel,
        author: SimUser,
        payload: JSON,
        files: Iterable[SimFile] = (),
        *,
        ephemeral_for: int | None = None,
        interaction: JSON | None = None,
        message_type: int = 0,
        extra_flags: int = 0,
        validate: bool = True,
        error_prefix: tuple[str | int, ...] = (),
        default_parse: frozenset[str] = PARSE_ALL,
    ) -> tuple[SimMessage, bool]:
        """The new message, or the earlier one with the same enforced nonce (then True)."""
        files = list(files)
        nonce = payload.get("nonce")
        key = (channel.id, author.id, str(nonce)) if nonce is not None else None
        if key is not None and payload.get("enforce_nonce"):
            entry = self._nonces.get(key)
            fresh = entry is not None and self._now() - entry.at <= self.nonce_window
            if entry is not None and fresh and not entry.message.deleted:
                return entry.message, True
        check_sizes(files)
        apply_metadata(payload, files)
        if validate:
            check_message(payload, files=len(files), prefix=error_prefix)
            check_references(payload, [f.filename for f in files], prefix=error_prefix)
        flags = (int(payload.get("flags") or 0) & _SETTABLE_FLAGS) | extra_flags
        if flags & EPHEMERAL and ephemeral_for is None:
            flags &= ~EPHEMERAL
        for file in files:
            file.id = file.id or self.world.ids.next()
        reference = payload.get("message_reference") or {}
        message = SimMessage(
            id=self.world.ids.next(),
            channel=channel,
            author=author,
            content=str(payload.get("content") or ""),
            embeds=_embeds(payload.get("embeds")),
            components=numbered_components(payload.get("components")),
            files=files,
            flags=flags,
            nonce=None if nonce is None else str(nonce),
            ephemeral_for=ephemeral_for if flags & EPHEMERAL else None,
            interaction=interaction,
            message_type=message_type or (19 if reference.get("message_id") else 0),
            reference_id=int(reference["message_id"]) if reference.get("message_id") else None,
        )
        resolve_references(
            message.embeds, files, lambda f: self.world.attachment_payload(message, f)
        )
        self._ping(message, payload.get("allowed_mentions"), default_parse)
        if key is not None:
            self._nonces[key] = _NonceEntry(message, self._now())
        self.world.store(message)
        self._announce("MESSAGE_CREATE", message)
        return message, False

    def edit(
        self,
        message: SimMessage,
        payload: JSON,
        files: Iterable[SimFile] = (),
        *,
        error_prefix: tuple[str | int, ...] = (),
        default_parse: frozenset[str] = PARSE_ALL,
    ) -> SimMessage:
        files = list(files)
        check_sizes(files)
        apply_metadata(payload, files)
        merged = {
            "content": payload.get("content", message.content),
            "embeds": payload.get("embeds", message.embeds),
            "components": payload.get("components", message.components),
            "flags": payload.get("flags", message.flags) or 0,
            "allowed_mentions": payload.get("allowed_mentions"),
        }
        keep = message.files
        if "attachments" in payload:
            wanted = {str(a.get("id")) for a in payload.get("attachments") or []}
            keep = [f for f in message.files if str(f.id) in wanted]
        check_message(
            merged,
            files=len(keep) + len(files),
            prefix=error_prefix,
            require_body=not message.loading,
        )
        check_references(merged, [f.filename for f in keep + files], prefix=error_prefix)
        for file in files:
            file.id = file.id or self.world.ids.next()
        message.content = str(merged["content"] or "")
        message.embeds = _embeds(merged["embeds"])
        message.components = numbered_components(merged["components"])
        message.files = keep + files
        resolve_references(
            message.embeds, message.files, lambda f: self.world.attachment_payload(message, f)
        )
        # Ephemerality is fixed at creation; an edit cannot change who sees the message.
        kept = message.flags & ~(_SETTABLE_FLAGS | LOADING) | (message.flags & EPHEMERAL)
        message.flags = kept | (int(merged["flags"]) & _SETTABLE_FLAGS & ~EPHEMERAL)
        if any(k in payload for k in ("content", "components", "allowed_mentions")):
            self._ping(message, payload.get("allowed_mentions"), default_parse)
        message.edited_at = real_now()
        self.world.message_changed(message)
        self._announce("MESSAGE_UPDATE", message)
        return message

    def finish_loading(
        self, message: SimMessage, payload: JSON, files: Iterable[SimFile]
    ) -> SimMessage:
        """The first follow-up after a deferral replaces the "thinking…" message."""
        return self.edit(message, {"attachments": [], **payload}, files, default_parse=PARSE_USERS)

    def delete(self, message: SimMessage) -> None:
        message.deleted = True
        self.world.message_changed(message)
        if message.ephemeral:
            return
        data: JSON = {"id": str(message.id), "channel_id": str(message.channel.id)}
        guild = message.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
        self.world.emit("MESSAGE_DELETE", data, guild.id if guild else None)

    def _announce(self, event: str, message: SimMessage) -> None:
        if message.ephemeral:
            return  # Bots never receive gateway events for ephemeral messages.
        guild = message.channel.guild
        self.world.emit(event, message.payload(self.world), guild.id if guild else None)

    def _ping(
        self, message: SimMessage, allowed: JSON | None, default_parse: frozenset[str]
    ) -> None:
        """Who gets a notification: mentions in the content and in text displays (Components
        V2), filtered by allowed_mentions (or the context's default when it is left out)."""
        content = "\n".join([message.content, *component_texts(message.components)])
        parse = set(allowed.get("parse") or []) if allowed is not None else set(default_parse)
        allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        users = [int(u) for u in _USER.findall(content)]
        roles = [int(r) for r in _ROLE.findall(content)]
        pinged_users = [u for u in users if "users" in parse or u in allowed_users]
        guild = message.channel.guild
        author_member = guild.members_by_id.get(message.author.id) if guild else None
        can_mention_all = bool(
            author_member is not None
            and author_member.permissions_in(message.channel) & perms.MENTION_EVERYONE
        )
        pinged_roles: list[int] = []
        if guild is not None:
            for role_id in roles:
                role = guild.roles.get(role_id)
                if role is None or not ("roles" in parse or role_id in allowed_roles):
                    continue
                if role.mentionable or can_mention_all:
                    pinged_roles.append(role_id)
        everyone = bool(_EVERYONE.search(content)) and "everyone" in parse and can_mention_all
        reached: set[int] = set(pinged_users)
        if message.reference_id is not None and (allowed is None or allowed.get("replied_user")):
            replied = self.world.messages.get(message.reference_id)
            if replied is not None:
                reached.add(replied.author.id)
        if guild is not None:
            for role_id in pinged_roles:
                reached.update(m.id for m in guild.roles[role_id].members)
            if everyone:
                reached.update(m.id for m in guild.members)
            reached = {
                u
                for u in reached
                if u in guild.members_by_id and guild.members_by_id[u].can_see(message.channel)
            }
        elif message.channel.recipient is not None:
            reached &= {message.channel.recipient.id, self.world.bot_user.id}
        reached.discard(message.author.id)
        message.user_mentions = [u for u in dict.fromkeys(pinged_users) if u in reached]
        message.mentions = sorted(reached)
        message.mention_roles = pinged_roles
        message.mention_everyone = everyone


def _embeds(raw: Any) -> list[JSON]:
    embeds = []
    for embed in raw or []:
        data = copy.deepcopy(dict(embed))
        data.setdefault("type", "rich")
        embeds.append(data)
    return embeds
