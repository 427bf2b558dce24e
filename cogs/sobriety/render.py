"""What /sobriety shows: counter cards, history and the words around them."""

from __future__ import annotations

import discord

from bot.services.sobriety import CounterCard, History, ResetPlan, SetDone

COLOUR = discord.Colour.teal()
CELEBRATE = {
    "channel": "posted in the milestones channel",
    "dm": "sent to you by DM",
    "off": "recorded quietly, not announced",
}
VISIBILITY = {"private": "you only", "members": "members who ask"}
OPEN_DMS = (
    "To get them by DM, open this server's menu (its name at the top of the channel list) → "
    "**Privacy Settings** and turn on **Direct Messages**."
)


def days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def card_embed(card: CounterCard, *, own: bool) -> discord.Embed:
    embed = discord.Embed(title=f"{card.label}: {days(card.days)}", colour=COLOUR)
    since = f"since {card.start_date:%-d %B %Y}"
    if card.start_time is not None:
        since += f" ({card.start_time:%H:%M})"
    embed.description = f"{card.span.describe()} {since}."
    embed.add_field(
        name="Next milestone",
        value=f"{card.next_milestone_name} on {card.next_milestone_date:%A %-d %B %Y}",
        inline=False,
    )
    if own:
        embed.add_field(
            name="Your whole journey",
            value=f"{days(card.journey_days)} across all your streaks",
            inline=False,
        )
        embed.add_field(
            name="Privacy",
            value=f"Visible to {VISIBILITY[card.visibility]}. Milestones: "
            f"{CELEBRATE[card.celebrate]}. Change with `/sobriety privacy`.",
            inline=False,
        )
        if card.dms_closed and card.celebrate != "off":
            embed.add_field(
                name="Your DMs are closed",
                value="I couldn't send you your last congratulation by DM, so congratulations "
                f"wait here for `/sobriety show`. {OPEN_DMS}",
                inline=False,
            )
        embed.set_footer(text=f"Days roll over at midnight in {card.zone}. Only you see this.")
    return embed


def held_line(card: CounterCard) -> str:
    """A congratulation that could not reach the member, with why and what they can do."""
    if card.held_because == "post_failed":
        why = "The milestones channel post couldn't be delivered"
        how = ""
    else:
        why = "I couldn't reach you by DM (your DMs from this server are closed)"
        how = f" {OPEN_DMS}"
    return (
        f"🎉 {why}, so here it is: you reached **{card.held_name}** ({card.label}). "
        f"Congratulations!{how}"
    )


def history_embed(history: History) -> discord.Embed:
    lines = []
    for streak in history.streaks:
        if streak.end_date is None:
            lines.append(f"**Now**: since {streak.start_date:%Y-%m-%d} — {days(streak.days)}")
        else:
            lines.append(
                f"{streak.start_date:%Y-%m-%d} → {streak.end_date:%Y-%m-%d} — {days(streak.days)}"
            )
    # Newest first, and trimmed to stay inside Discord's description limit.
    shown = list(reversed(lines))[:60]
    embed = discord.Embed(title=f"{history.label}: your journey", colour=COLOUR)
    embed.description = "\n".join(shown)
    if len(lines) > len(shown):
        embed.description += f"\n…and {len(lines) - len(shown)} earlier streaks"
    embed.add_field(name="Longest streak", value=days(history.longest))
    embed.add_field(name="Total journey", value=days(history.journey_days))
    embed.set_footer(text="Every day counts, in every streak. Only you see this.")
    return embed


def reset_done(label: str, new_start_text: str, previous_days: int, journey_days: int) -> str:
    return (
        "Thank you for being honest with yourself. That takes real courage.\n\n"
        f"Your new **{label}** streak starts {new_start_text}. "
        f"The {days(previous_days)} before it still count: they're kept in "
        "`/sobriety history`, and your whole journey is "
        f"{days(journey_days)}.\n\n"
        "Recovery isn't a straight line. If today is hard, your mentor is there for "
        "you, and `/crisis` lists people you can reach right now."
    )


def set_reply(done: SetDone) -> str:
    card = done.card
    if done.corrected_from is None:
        return "Your counter is set. I'll celebrate your milestones the way you choose."
    if done.corrected_from == card.start_date:
        return f"Your **{card.label}** counter is updated; its start date stays the same."
    return (
        f"Corrected: your current **{card.label}** streak now starts "
        f"{card.start_date:%Y-%m-%d} instead of {done.corrected_from:%Y-%m-%d}, so it counts "
        f"{days(card.days)} instead of {days(done.previous_days or 0)}. This is a correction, "
        "not a new streak: your history is unchanged, and milestones the earlier date puts in "
        "the past are not celebrated."
    )


def restart_question(plan: ResetPlan, *, correcting: bool) -> str:
    """The Confirm prompt before a streak ends; `correcting` when it came from /sobriety set."""
    text = (
        f"Start a new **{plan.label}** streak from {plan.new_start:%Y-%m-%d}? "
        f"Your current streak of {days(plan.ending_days)} will be kept in your history "
        "as an earlier streak."
    )
    if correcting:
        text += (
            " (To correct a start date instead, give an earlier date: a later one begins a new "
            "streak.)"
        )
    return text
