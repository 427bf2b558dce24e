"""A readable log of what members did and saw: channel posts, DMs, ephemeral replies, modals."""

from __future__ import annotations

import re
from typing import Any

from bot.simulator.state import JSON, SimChannel, SimMessage, World, walk_components


class Transcript:
    def __init__(self, world: World) -> None:
        self.world = world
        self.lines: list[str] = []
        self._shown: dict[int, str] = {}
        world.on_message(self._message)

    def action(self, who: str, what: str) -> None:
        self.lines.append(f"{who} ▸ {what}")

    def modal(self, who: str, modal: JSON) -> None:
        # A Label names its input; a bare (deprecated) text input carries its own label.
        labels = [
            str(c.get("label") or c.get("custom_id"))
            for top in modal.get("components") or []
            for c in ([top] if top.get("type") == 18 else walk_components([top]))
            if c.get("type") in (4, 18)
        ]
        self.lines.append(f"    [{who} sees a form “{modal.get('title')}”: {', '.join(labels)}]")

    def _message(self, message: SimMessage) -> None:
        if message.loading:
            return
        where = self._where(message)
        if message.deleted:
            if message.id in self._shown:
                self.lines.append(f"{where}  (message deleted)")
            return
        text = self._names(_render(message))
        before = self._shown.get(message.id)
        if before == text:
            return
        self._shown[message.id] = text
        edited = " (edited)" if before is not None else ""
        self.lines.append(f"{where}  {message.author.name}{edited}: {text}")

    def _where(self, message: SimMessage) -> str:
        channel = message.channel
        place = _place(channel)
        if message.ephemeral and message.ephemeral_for is not None:
            viewer = self.world.users.get(message.ephemeral_for)
            place += f" (only {viewer.name if viewer else '?'} sees)"
        return place

    def text(self) -> str:
        return "\n".join(self.lines)

    def _names(self, text: str) -> str:
        """Mentions as a member's client shows them: <#id> → #name, <@id> → @name."""

        def channel(match: re.Match[str]) -> str:
            found = self.world.channels.get(int(match.group(1)))
            return f"#{found.name}" if found else match.group(0)

        def user(match: re.Match[str]) -> str:
            found = self.world.users.get(int(match.group(1)))
            return f"@{found.name}" if found else match.group(0)

        def role(match: re.Match[str]) -> str:
            for guild in self.world.guilds.values():
                found = guild.roles.get(int(match.group(1)))
                if found is not None:
                    return f"@{found.name}"
            return match.group(0)

        text = re.sub(r"<#(\d+)>", channel, text)
        text = re.sub(r"<@&(\d+)>", role, text)
        return re.sub(r"<@!?(\d+)>", user, text)


def _place(channel: SimChannel) -> str:
    if channel.recipient is not None:
        return f"DM to {channel.recipient.name}"
    if channel.is_thread:
        parent = channel.parent
        return f"#{parent.name if parent else '?'} › {channel.name}"
    return f"#{channel.name}"


def _render(message: SimMessage) -> str:
    body = message.text()
    buttons = [
        f"[{c.get('label') or c.get('emoji', {}).get('name', '?')}]"
        for c in walk_components(message.components)
        if c.get("type") == 2
    ]
    selects = [f"[{_select(c)}]" for c in walk_components(message.components) if c.get("type") == 3]
    if buttons or selects:
        body += ("\n" if body else "") + " ".join(buttons + selects)
    for file in message.files:
        body += f"\n📎 {file.filename}"
    return body.replace("\n", "\n      ")


def _select(component: dict[str, Any]) -> str:
    options = ", ".join(str(o.get("label")) for o in component.get("options") or [])
    return f"{component.get('placeholder') or 'choose'}: {options}"
