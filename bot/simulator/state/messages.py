"""Messages as members see them, their attached files, and walking their components."""

from __future__ import annotations

import copy
import mimetypes
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.simulator.ids import iso, snowflake_time
from bot.simulator.state.constants import DM, EPHEMERAL, JSON, LOADING
from bot.simulator.state.members import SimMember, SimUser

if TYPE_CHECKING:
    from bot.simulator.state.channels import SimChannel
    from bot.simulator.state.guilds import SimGuild
    from bot.simulator.state.world import World


_PNG = b"\x89PNG\r\n\x1a\n"
_GIFS = (b"GIF87a", b"GIF89a")


@dataclass(eq=False)
class SimFile:
    filename: str
    data: bytes
    content_type: str | None = None
    id: int = 0
    description: str | None = None
    # The upload's form field number (`files[N]`), which `payload_json.attachments` refers to.
    index: int | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def dimensions(self) -> tuple[int, int] | None:
        """(width, height) of a PNG or GIF, read from its header; None for anything else."""
        data = self.data
        if data.startswith(_PNG) and data[12:16] == b"IHDR" and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if data[:6] in _GIFS and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        return None

    @property
    def media_type(self) -> str | None:
        """What Discord reports as `content_type`: sniffed for images, else from the name."""
        if self.data.startswith(_PNG):
            return "image/png"
        if self.data[:6] in _GIFS:
            return "image/gif"
        if self.content_type and self.content_type != "application/octet-stream":
            return self.content_type
        guessed, _ = mimetypes.guess_type(self.filename)
        if guessed is not None and guessed.startswith("text/"):
            return f"{guessed}; charset=utf-8"
        return guessed or self.content_type


@dataclass(eq=False)
class SimMessage:
    """A message as members see it. `mentions` are the ids of those really pinged."""

    id: int
    channel: SimChannel
    author: SimUser
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    files: list[SimFile] = field(default_factory=list)
    flags: int = 0
    mentions: list[int] = field(default_factory=list)
    user_mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    nonce: str | None = None
    ephemeral_for: int | None = None
    interaction: JSON | None = None
    message_type: int = 0
    edited_at: datetime | None = None
    deleted: bool = False
    thread_id: int | None = None
    reference_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def created_at(self) -> datetime:
        return snowflake_time(self.id)

    @property
    def guild(self) -> SimGuild | None:
        return self.channel.guild

    def visible_to(self, user: SimUser | SimMember) -> bool:
        if self.deleted:
            return False
        if self.ephemeral:
            return self.ephemeral_for == user.id
        if self.channel.type == DM:
            # A DM belongs to its two ends: the recipient and the bot. Nobody else can open it.
            ends = {self.author.id, self.channel.recipient.id if self.channel.recipient else 0}
            return user.id in ends or user.id == self.channel.world.bot_user.id
        if isinstance(user, SimMember) and self.channel.guild is not None:
            return user.can_see(self.channel)
        return True

    def text(self) -> str:
        """Content plus embed text, as one readable block (for transcripts and assertions)."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for f in embed.get("fields", []):
                parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
            footer = embed.get("footer") or {}
            if footer.get("text"):
                parts.append(str(footer["text"]))
        parts.extend(component_texts(self.components))
        return "\n".join(parts)

    def buttons(self) -> list[JSON]:
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    def payload(self, world: World) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [world.users[u].payload() for u in self.user_mentions if u in world.users],
            "mention_roles": [str(r) for r in self.mention_roles],
            "attachments": [world.attachment_payload(self, f) for f in self.files],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.message_type,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        guild = self.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
            member = guild.members_by_id.get(self.author.id)
            if member is not None:
                data["member"] = member.payload(with_user=False)
        if self.interaction is not None:
            data["interaction_metadata"] = self.interaction
            data["webhook_id"] = str(world.application_id)
            data["application_id"] = str(world.application_id)
        if self.reference_id is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(self.reference_id),
                "channel_id": str(self.channel.id),
            }
        if self.thread_id is not None and self.thread_id in world.channels:
            data["thread"] = world.channels[self.thread_id].payload()
        return data


def walk_components(components: Iterable[Mapping[str, Any]]) -> Iterable[JSON]:
    """Every component, depth first, through rows, containers, sections and labels."""
    for component in components:
        yield dict(component)
        children = component.get("components")
        if isinstance(children, list):
            yield from walk_components(children)
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def numbered_components(raw: Any) -> list[JSON]:
    """A copy of `raw` with every component numbered: Discord gives each one left without an
    integer `id` (or with 0) the next free number, skipping the ids already taken."""
    components = copy.deepcopy(list(raw or []))
    used = {c["id"] for c in walk_components(components) if _has_id(c)}
    counter = iter(i for i in range(1, 1_000_000) if i not in used)

    def number(items: list[JSON]) -> None:
        for item in items:
            if not _has_id(item):
                item["id"] = next(counter)
            if isinstance(item.get("components"), list):
                number(item["components"])
            for key in ("accessory", "component"):
                if isinstance(item.get(key), dict):
                    number([item[key]])

    number(components)
    return components


def _has_id(component: Mapping[str, Any]) -> bool:
    value = component.get("id")
    return isinstance(value, int) and not isinstance(value, bool) and value != 0


def component_texts(components: Iterable[Mapping[str, Any]]) -> list[str]:
    """The markdown of every text display (Components V2), where mentions can also be."""
    texts = []
    for component in walk_components(components):
        if component.get("type") == 10 and component.get("content"):
            texts.append(str(component["content"]))
    return texts
