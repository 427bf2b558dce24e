"""The words Steady uses to celebrate milestones, as Discord message payloads (plain dicts).

Kind and specific, never comparative: no rankings, no one else's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.delivery.outbox import OutgoingMessage

CELEBRATION_COLOUR = 0x2A9D8F
# Discord refuses an embed description over 4096 characters and a message whose embeds hold
# over 6000 in all; these budgets leave room for titles and footers.
DESCRIPTION_BUDGET = 3500
POST_BUDGET = 5000
EMBEDS_PER_POST = 10


@dataclass(frozen=True, slots=True)
class Reached:
    celebration_id: int
    user_id: int
    name: str  # the milestone as members say it: "30 days", "18 months", "2 years"
    belated: bool


def private_congratulation(name: str, label: str, *, belated: bool) -> OutgoingMessage:
    title = f"🎉 {name}"
    if belated:
        body = (
            f"I'm a little late with this, and I'm sorry: you reached **{name}** "
            f"({label}). That is worth celebrating, today as much as on the day."
        )
    else:
        body = (
            f"Today you reached **{name}** ({label}). Every one of those days took "
            "something. Be proud of yourself today."
        )
    embed: dict[str, Any] = {
        "title": title,
        "description": body,
        "color": CELEBRATION_COLOUR,
        "footer": {
            "text": "Only you can see this. Change how milestones reach you: /sobriety privacy"
        },
    }
    return OutgoingMessage(embeds=(embed,))


def _line(reached: Reached) -> str:
    late = " (a little belated)" if reached.belated else ""
    return f"<@{reached.user_id}> reached **{reached.name}**{late}"


def channel_posts(group: list[Reached], handful: int) -> list[tuple[OutgoingMessage, list[int]]]:
    """Posts for the milestones channel, each with the celebration ids it carries: one post per
    member for a handful, otherwise grouped posts so the channel isn't flooded."""
    if len(group) <= handful:
        return [
            (
                OutgoingMessage(
                    embeds=(
                        {
                            "title": "🎉 A milestone",
                            "description": _line(reached) + ". Cheer them on with a reaction!",
                            "color": CELEBRATION_COLOUR,
                        },
                    )
                ),
                [reached.celebration_id],
            )
            for reached in group
        ]
    posts: list[tuple[OutgoingMessage, list[int]]] = []
    embeds: list[dict[str, Any]] = []
    carried: list[int] = []
    lines: list[str] = []
    post_chars = 0

    def close_embed() -> None:
        nonlocal lines, post_chars
        if lines:
            title = "🎉 Milestones today" if not posts and not embeds else "🎉 …and"
            description = "\n".join(lines)
            embeds.append({"title": title, "description": description, "color": CELEBRATION_COLOUR})
            post_chars += len(title) + len(description)
            lines = []

    def close_post() -> None:
        nonlocal embeds, carried, post_chars
        close_embed()
        if embeds:
            embeds[-1]["footer"] = {"text": "Cheer them on with a reaction!"}
            posts.append((OutgoingMessage(embeds=tuple(embeds)), carried))
        embeds, carried, post_chars = [], [], 0

    for reached in group:
        line = _line(reached)
        current = sum(len(text) + 1 for text in lines)
        if lines and current + len(line) > DESCRIPTION_BUDGET:
            close_embed()
            if len(embeds) == EMBEDS_PER_POST:
                close_post()
            current = 0
        if (lines or embeds) and post_chars + current + len(line) > POST_BUDGET:
            close_post()
        lines.append(line)
        carried.append(reached.celebration_id)
    close_post()
    return posts
