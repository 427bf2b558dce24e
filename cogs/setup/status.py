"""/setup status: the health of scheduled work and deliveries, as a moderator reads it."""

from __future__ import annotations

import discord

from bot.delivery.status import DeliveryHealthReport


def render_status(report: DeliveryHealthReport) -> discord.Embed:
    """Counts and machine reasons only: never what a message said or whom it was for."""
    healthy = report.outbox_dead == 0 and report.work_failed == 0 and report.work_overdue == 0
    embed = discord.Embed(
        title="Delivery status",
        colour=discord.Colour.green() if healthy else discord.Colour.orange(),
    )
    embed.add_field(
        name="Messages (this server)",
        value=(
            f"pending: **{report.outbox_pending}** (retrying: {report.outbox_retrying})\n"
            f"undeliverable, last 24 h: **{report.outbox_failed}**\n"
            f"dead: **{report.outbox_dead}**"
        ),
        inline=False,
    )
    repaired = sum(count for _kind, count in report.work_repaired)
    repairs = ", ".join(f"`{kind}` {count}" for kind, count in report.work_repaired)
    embed.add_field(
        name="Scheduled work (this server)",
        value=(
            f"pending: **{report.work_pending}** (overdue: {report.work_overdue})\n"
            f"handled late, last 24 h: **{report.work_late_recent}**\n"
            f"dropped as stale, last 24 h: **{report.work_dropped_recent}**\n"
            f"failed: **{report.work_failed}**\n"
            f"missing and re-created by the daily check, last 7 days: **{repaired}**"
            + (f" ({repairs})" if repairs else "")
        ),
        inline=False,
    )
    problems = [*report.latest_problems, *report.latest_work_problems]
    if problems:
        embed.add_field(
            name="Latest reasons",
            value="\n".join(
                f"`{p.what}`: {p.reason}"
                + (f" ({discord.utils.format_dt(p.at, 'R')})" if p.at else "")
                for p in problems
            )[:1024],
            inline=False,
        )
    return embed
