"""Each pair's private space: a private thread in the mentoring channel, made through the
outbox, with both members added and the introduction posted inside once it exists.

With no mentoring channel, or when the thread cannot be made (Steady lacks a permission
there: the reason is in `/setup status`), both members get the introduction by DM instead.
Ending a pairing archives and locks its thread; it is never deleted.

The completion and undeliverable hooks run in a transaction of their own, after the outbox row
was marked (bot/delivery/recording.py), so they may lock the pair row: the lock order holds.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MentoringOffer, MentoringPair, MentorProfile
from bot.db.models.mentoring import ACCEPTED, ACTIVE, MentoringSettings
from bot.delivery import operations as ops
from bot.delivery.outbox import OutgoingMessage, Target, enqueue, on_undeliverable
from bot.scheduling import locks
from bot.services.mentoring import texts
from bot.services.mentoring.offers import INTRO_PURPOSE, dm

THREAD_PURPOSE = "mentoring.thread"  # making the thread (its id comes back to the pair)
# One purpose per side, so that a member who could not be added (they cannot see the mentoring
# channel) is known and gets the introduction by DM.
ADD_MENTEE_PURPOSE = "mentoring.thread_mentee"
ADD_MENTOR_PURPOSE = "mentoring.thread_mentor"
THREAD_CLOSE_PURPOSE = "mentoring.thread_close"


def install() -> None:
    ops.on_completed(THREAD_PURPOSE, _made)
    on_undeliverable(THREAD_PURPOSE, _not_made)
    on_undeliverable(ADD_MENTEE_PURPOSE, _mentee_not_added)
    on_undeliverable(ADD_MENTOR_PURPOSE, _mentor_not_added)


async def open_space(session: AsyncSession, pair: MentoringPair) -> None:
    """For a new (flushed) pair, in the transaction that made it: its thread, or the DMs."""
    settings = await session.get(MentoringSettings, pair.guild_id)
    channel_id = settings.channel_id if settings is not None else None
    if channel_id is None:
        await _introduce_by_dm(session, pair)
        return
    made = await ops.perform(
        session,
        ops.create_thread(channel_id, thread_name(pair)),
        purpose=THREAD_PURPOSE,
        guild_id=pair.guild_id,
        subject_id=pair.id,
    )
    for member_id, purpose in (
        (pair.mentee_id, ADD_MENTEE_PURPOSE),
        (pair.mentor_id, ADD_MENTOR_PURPOSE),
    ):
        await ops.perform(
            session,
            ops.add_thread_member(member_id),
            purpose=purpose,
            guild_id=pair.guild_id,
            subject_id=pair.id,
            on=made,
        )


async def close_space(session: AsyncSession, pair: MentoringPair) -> None:
    """For a pair just ended (locked): archive and lock its thread. A thread still being made
    is closed by `_made` when it arrives."""
    if pair.thread_id is None:
        return
    # Locking first, unarchived in the same request: a thread Discord archived after a week
    # of quiet can only change by being unarchived, and a locked one stays shut to members.
    for change in (ops.edit_thread(archived=False, locked=True), ops.edit_thread(archived=True)):
        await ops.perform(
            session,
            change,
            purpose=THREAD_CLOSE_PURPOSE,
            guild_id=pair.guild_id,
            subject_id=pair.id,
            thing_id=pair.thread_id,
        )


def thread_name(pair: MentoringPair) -> str:
    # No names in it: the channel's thread list may be visible to moderators browsing it.
    return f"{texts.kind_word(pair.kind).capitalize()} pair #{pair.id}"


async def _made(session: AsyncSession, done: ops.Completed) -> None:
    if done.operation != ops.THREAD_CREATE or done.subject_id is None:
        return
    pair = await locks.lock_row(session, MentoringPair, done.subject_id)
    if pair is None:
        return
    pair.thread_id = done.external_id
    if pair.state != ACTIVE:
        # Ended while its thread was being made: it starts closed.
        await close_space(session, pair)
        return
    await enqueue(
        session,
        target=Target("channel", done.external_id),
        message=OutgoingMessage(
            content=await _thread_introduction(session, pair),
            # The two of them, and only they, are pinged (their own words ping nobody).
            mention_users=(pair.mentee_id, pair.mentor_id),
        ),
        purpose=INTRO_PURPOSE,
        subject_id=pair.id,
        guild_id=pair.guild_id,
    )


async def _not_made(session: AsyncSession, subject_id: int | None, _reason: str) -> None:
    if subject_id is None:
        return
    pair = await locks.lock_row(session, MentoringPair, subject_id)
    if pair is None or pair.state != ACTIVE or pair.thread_id is not None:
        return
    await _introduce_by_dm(session, pair)


async def _mentee_not_added(session: AsyncSession, subject_id: int | None, _reason: str) -> None:
    await _not_added(session, subject_id, mentee=True)


async def _mentor_not_added(session: AsyncSession, subject_id: int | None, _reason: str) -> None:
    await _not_added(session, subject_id, mentee=False)


async def _not_added(session: AsyncSession, subject_id: int | None, *, mentee: bool) -> None:
    """One of the two could not be added to the thread (they cannot see the channel): their
    half of the introduction comes by DM, so nobody is left out."""
    if subject_id is None:
        return
    pair = await locks.lock_row(session, MentoringPair, subject_id)
    if pair is None or pair.state != ACTIVE:
        return
    mentee_text, mentor_text = await _dm_texts(session, pair)
    await enqueue(
        session,
        target=dm(pair.mentee_id if mentee else pair.mentor_id),
        message=OutgoingMessage(content=mentee_text if mentee else mentor_text),
        purpose=INTRO_PURPOSE,
        subject_id=pair.id,
        guild_id=pair.guild_id,
    )


async def _why(session: AsyncSession, pair: MentoringPair) -> str | None:
    """The reasons the accepted offer gave (None for a moderator's direct pairing)."""
    if pair.request_id is None:
        return None
    reasons: str | None = await session.scalar(
        select(MentoringOffer.reasons)
        .where(
            MentoringOffer.request_id == pair.request_id,
            MentoringOffer.mentor_id == pair.mentor_id,
            MentoringOffer.state == ACCEPTED,
        )
        .order_by(MentoringOffer.id.desc())
        .limit(1)
    )
    return reasons


async def _about(session: AsyncSession, pair: MentoringPair) -> str | None:
    about: str | None = await session.scalar(
        select(MentorProfile.about).where(
            MentorProfile.guild_id == pair.guild_id, MentorProfile.user_id == pair.mentor_id
        )
    )
    return about


async def _thread_introduction(session: AsyncSession, pair: MentoringPair) -> str:
    return texts.thread_introduction(
        pair.mentee_id,
        pair.mentor_id,
        pair.kind,
        await _why(session, pair),
        await _about(session, pair),
    )


async def _introduce_by_dm(session: AsyncSession, pair: MentoringPair) -> None:
    mentee_text, mentor_text = await _dm_texts(session, pair)
    for member_id, content in ((pair.mentee_id, mentee_text), (pair.mentor_id, mentor_text)):
        await enqueue(
            session,
            target=dm(member_id),
            message=OutgoingMessage(content=content),
            purpose=INTRO_PURPOSE,
            subject_id=pair.id,
            guild_id=pair.guild_id,
        )


async def _dm_texts(session: AsyncSession, pair: MentoringPair) -> tuple[str, str]:
    """The introduction by DM: (the mentee's, the mentor's)."""
    why = await _why(session, pair)
    if why is None:
        mentee_text = texts.assigned_mentee(pair.mentor_id, pair.kind)
        mentor_text = texts.assigned_mentor(pair.mentee_id, pair.kind)
    else:
        mentee_text = texts.matched_mentee(pair.mentor_id, pair.kind, why)
        mentor_text = texts.matched_mentor(pair.mentee_id, pair.kind, why, [])
    about = await _about(session, pair)
    if about:
        mentee_text += f"\nAbout {texts.who(pair.mentor_id)}: {about}"
    return mentee_text, mentor_text
