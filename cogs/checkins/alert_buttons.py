"""The persistent buttons on alerts: "I'm reaching out" / "Resolved" on every copy, and the
member's "I'm OK now". Their custom ids carry the alert (and which copy), so they work after
any restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import is_moderator
from bot.services.checkins.alerts import Answer, Answered

if TYPE_CHECKING:
    from bot.app import SteadyBot

ANSWER_TEMPLATE = r"steady:checkins:(?P<action>claim|resolve):(?P<alert>[0-9]+):(?P<step>[0-2])"
OK_TEMPLATE = r"steady:checkins:ok:(?P<alert>[0-9]+)"

NOT_YOURS = (
    "This alert is for the member's mentor or sponsor, the on-call supporters and the "
    "moderators. Thank you for caring; if you're worried about them, please tell a moderator."
)


def answer_text(action: str, result: Answered) -> str:
    if result.answer is Answer.NOT_ALLOWED:
        return NOT_YOURS
    if result.answer is Answer.GONE:
        return "This alert no longer exists."
    if result.answer is Answer.ALREADY_CLAIMED:
        return f"<@{result.claimed_by}> is already reaching out to them. Thank you for checking."
    if result.answer is Answer.ALREADY_CLOSED:
        return "This alert is already closed; there is nothing more to do."
    if action == "claim":
        return (
            f"Thank you. <@{result.member_id}> has been told you're reaching out, and every "
            "copy of the alert now shows it. Press **Resolved** once you've talked."
        )
    return "Marked resolved. Thank you for being there."


class AlertAnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ANSWER_TEMPLATE):
    def __init__(self, action: str, alert_id: int, step: int) -> None:
        label = "I'm reaching out" if action == "claim" else "Resolved"
        super().__init__(
            discord.ui.Button(label=label, custom_id=f"steady:checkins:{action}:{alert_id}:{step}")
        )
        self.action, self.alert_id, self.step = action, alert_id, step

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AlertAnswerButton:
        return cls(match["action"], int(match["alert"]), int(match["step"]))

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        member = interaction.user
        roles = (
            frozenset(role.id for role in member.roles)
            if isinstance(member, discord.Member)
            else frozenset()
        )
        result = await interaction.client.services.checkins.alerts.answer(
            self.alert_id,
            action=self.action,
            copy_step=self.step,
            by=member.id,
            role_ids=roles,
            is_moderator=await is_moderator(interaction),
        )
        await interaction.response.send_message(answer_text(self.action, result), ephemeral=True)


class OkNowButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=OK_TEMPLATE):
    def __init__(self, alert_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'm OK now",
                style=discord.ButtonStyle.success,
                custom_id=f"steady:checkins:ok:{alert_id}",
            )
        )
        self.alert_id = alert_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OkNowButton:
        return cls(int(match["alert"]))

    async def callback(self, interaction: discord.Interaction[SteadyBot]) -> None:  # type: ignore[override]
        answer = await interaction.client.services.checkins.alerts.stand_down(
            self.alert_id, by=interaction.user.id
        )
        if answer is Answer.DONE:
            text = (
                "I'm glad. I've let everyone who was alerted know you're OK. "
                "`/sos` is always here if you need someone again."
            )
        elif answer is Answer.NOT_ALLOWED:
            text = "Only the member who asked for help can stand this alert down."
        else:
            text = (
                "This request is already closed, so there's nothing more to do. "
                "If you need someone again, use `/sos`."
            )
        await interaction.response.send_message(text, ephemeral=True)


PERSISTENT = (AlertAnswerButton, OkNowButton)
