"""The privacy guarantees as structure: every table has said what it holds, every member table
is erased by some feature, member-looking columns are not waved through as NONE, and erasing a
member who used every feature leaves their id nowhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Integer, select

import bot.db.models  # noqa: F401  (registers every table)
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.base import Base
from bot.db.models import (
    AuditLog,
    DmChannel,
    DueWork,
    MentoringOffer,
    MentoringPair,
    MentoringRequest,
    MentorProfile,
    MilestoneCelebration,
    OutboxMessage,
    SobrietyCounter,
)
from bot.delivery import outbox
from bot.services.container import Services, build_services
from bot.services.privacy.access import record_access
from bot.services.privacy.log_data import FORMER_MEMBER
from bot.services.privacy.registry import (
    NONE,
    MemberRef,
    parent_of,
    privacy_of,
    uncovered_member_tables,
    undeclared_tables,
)
from bot.services.privacy.service import DEPARTED_KIND, ERASURE_ACTION
from tests.privacy_search import tables_holding

GUILD = 900000000000000001
ALICE = 111111111111111111
BOB = 222222222222222222
MOD = 333333333333333333
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)

MEMBER_LOOKING = ("user_id", "mentor_id", "mentee_id", "requester_id", "owner_id", "viewer_id")
MEMBER_LOOKING_SUFFIXES = ("_user_id", "_by", "_member_id", "actor_id")
# Tables declared NONE although a column looks like it names a member, and why.
NONE_ALLOW_LIST: dict[str, str] = {
    # A table goes here only with a reason a reviewer can check.
    "meetings": "created_by is the moderator who made it; the meetings eraser anonymises it",
    "meeting_cancellations": "created_by: the moderator; anonymised by the meetings eraser",
}


def _looks_like_a_member(column: str) -> bool:
    return column in MEMBER_LOOKING or column.endswith(MEMBER_LOOKING_SUFFIXES)


@pytest.fixture
def services(database: Database) -> Services:
    return build_services(database, ManualClock(NOW), Settings())


def test_every_table_says_what_it_holds() -> None:
    assert undeclared_tables(Base.metadata) == []


def test_every_member_table_is_exported_and_erased_by_a_feature(services: Services) -> None:
    owners = services.member_data()
    assert uncovered_member_tables(Base.metadata, owners) == []
    tables = [table for owner in owners for table in owner.tables]
    assert len(tables) == len(set(tables)), "two features claim the same table"
    assert set(tables) <= set(Base.metadata.tables), "a feature names a table that does not exist"


def test_a_table_belonging_through_a_parent_names_a_real_parent_by_foreign_key() -> None:
    for name, table in Base.metadata.tables.items():
        parent = parent_of(table)
        if parent is None:
            continue
        assert parent in Base.metadata.tables, name
        referenced = {fk.column.table.name for fk in table.foreign_keys}
        assert parent in referenced, f"{name} has no foreign key to {parent}"


def test_a_member_looking_column_cannot_hide_in_a_table_declared_none() -> None:
    suspicious = {
        # Member ids are integers (snowflakes); `claimed_by` names a process.
        name: [
            c.name
            for c in table.columns
            if isinstance(c.type, (Integer, BigInteger)) and _looks_like_a_member(c.name)
        ]
        for name, table in Base.metadata.tables.items()
        if privacy_of(table) == NONE
    }
    flagged = {name: cols for name, cols in suspicious.items() if cols}
    assert set(flagged) <= set(NONE_ALLOW_LIST), flagged


def test_the_heuristic_catches_the_columns_it_is_meant_to() -> None:
    for column in ("user_id", "viewer_user_id", "decided_by", "mentor_id", "actor_id"):
        assert _looks_like_a_member(column)
    for column in ("guild_id", "channel_id", "counter_id", "moderator_role_id"):
        assert not _looks_like_a_member(column)


async def _alice_uses_everything(services: Services, database: Database) -> None:
    await services.settings.set_member_timezone(GUILD, ALICE, "Europe/London")
    await services.sobriety.set_counter(GUILD, ALICE, "2026-01-01")
    await services.sobriety.set_counter(GUILD, BOB, "2026-01-01")
    async with database.transaction() as session:
        counter = (
            await session.scalars(select(SobrietyCounter).where(SobrietyCounter.user_id == ALICE))
        ).one()
        session.add(
            MilestoneCelebration(
                counter_id=counter.id,
                guild_id=GUILD,
                streak_number=1,
                days=30,
                route="dm",
                reached_at=NOW,
            )
        )
        # Mentoring: Alice mentors Bob, asks for a sponsor, and has an offer from Bob's request.
        session.add(
            MentorProfile(
                guild_id=GUILD,
                user_id=ALICE,
                kind="mentor",
                state="approved",
                focus=["alcohol"],
                languages=["en"],
                applied_at=NOW,
                decided_by=MOD,
                updated_at=NOW,
            )
        )
        session.add(
            MentorProfile(
                guild_id=GUILD,
                user_id=BOB,
                kind="mentor",
                state="approved",
                focus=[],
                languages=[],
                applied_at=NOW,
                decided_by=ALICE,  # Alice moderates too
                updated_at=NOW,
            )
        )
        own = MentoringRequest(
            guild_id=GUILD,
            requester_id=ALICE,
            kind="sponsor",
            focus=[],
            plain_note="a private note",  # as stored before notes were encrypted
            queued_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
        bobs = MentoringRequest(
            guild_id=GUILD,
            requester_id=BOB,
            kind="sponsor",
            state="offered",
            focus=[],
            queued_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add_all([own, bobs])
        await session.flush()
        session.add(
            MentoringOffer(
                request_id=bobs.id,
                guild_id=GUILD,
                mentor_id=ALICE,
                points=3,
                reasons="same hours",
                offered_at=NOW,
                expires_at=NOW,
            )
        )
        session.add(
            MentoringOffer(
                request_id=own.id,
                guild_id=GUILD,
                mentor_id=BOB,
                state="declined",
                points=1,
                reasons="language",
                offered_at=NOW,
                expires_at=NOW,
            )
        )
        session.add(
            MentoringPair(
                guild_id=GUILD,
                mentee_id=BOB,
                mentor_id=ALICE,
                kind="mentor",
                thread_id=444444444444444444,
                started_at=NOW,
            )
        )
        # Logs: Bob read Alice's data and she read his; moderators acted about her, and she did.
        await record_access(
            session, guild_id=GUILD, owner_id=ALICE, viewer_id=BOB, what="checkins.shared", at=NOW
        )
        await record_access(
            session, guild_id=GUILD, owner_id=BOB, viewer_id=ALICE, what="checkins.shared", at=NOW
        )
        session.add(AuditLog(guild_id=GUILD, actor_id=MOD, action="x.y", target_id=ALICE, at=NOW))
        session.add(AuditLog(guild_id=GUILD, actor_id=ALICE, action="x.y", target_id=BOB, at=NOW))
        # Delivery: a DM waiting for her, a DM sent, a button she pressed, her DM channel.
        await outbox.enqueue(
            session,
            target=outbox.Target("dm", ALICE),
            message=outbox.OutgoingMessage(content="hello"),
            purpose="test.dm",
            guild_id=GUILD,
        )
        session.add(
            OutboxMessage(
                purpose="test.dm",
                guild_id=GUILD,
                target_kind="dm",
                target_id=ALICE,
                payload={"content": "sent"},
                state="sent",
                next_attempt_at=NOW,
                finished_at=NOW,
            )
        )
        session.add(
            OutboxMessage(
                purpose="test.alert",
                guild_id=GUILD,
                target_kind="channel",
                target_id=555555555555555555,
                payload={"content": "an alert"},
                state="sent",
                next_attempt_at=NOW,
                finished_at=NOW,
                acknowledged_by=ALICE,
                acknowledged_at=NOW,
            )
        )
        session.add(DmChannel(user_id=ALICE, channel_id=666666666666666666))
    await services.privacy.member_left(GUILD, ALICE)


async def test_erasing_a_member_who_used_every_feature_leaves_their_id_nowhere(
    services: Services, database: Database
) -> None:
    await _alice_uses_everything(services, database)
    alice = MemberRef(GUILD, ALICE)
    assert set(await tables_holding(database, ALICE)) >= {
        "member_settings",
        "sobriety_counters",
        "mentor_profiles",
        "mentoring_requests",
        "mentoring_offers",
        "mentoring_pairs",
        "access_log",
        "audit_log",
        "outbox",
        "dm_channels",
        "due_work",
    }, "the journey did not reach every table, so the search below would prove little"

    export = await services.privacy.export(alice)
    assert json.loads(json.dumps(export)) == export
    features = export["features"]
    assert features["settings"]["timezone"] == "Europe/London"
    assert features["sobriety"]["counters"][0]["milestones_celebrated"][0]["days"] == 30
    assert features["mentoring"]["requests"][0]["note"] == "a private note"
    assert features["mentoring"]["pairs"][0]["your_role"] == "mentor"
    assert features["access_log"]["who_saw_your_data"][0]["viewer_member_id"] == BOB
    assert features["delivery"]["direct_messages"]

    erasure = await services.privacy.erase(alice)
    assert erasure.total > 0
    assert await tables_holding(database, ALICE) == {}

    async with database.read() as session:
        # Bob keeps his counter, his request (back to waiting) and learns kindly of the end.
        assert await session.scalar(
            select(SobrietyCounter.id).where(SobrietyCounter.user_id == BOB)
        )
        assert (
            await session.scalar(
                select(MentoringRequest.state).where(MentoringRequest.requester_id == BOB)
            )
        ) == "waiting"
        told = (
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.target_kind == "dm", OutboxMessage.target_id == BOB
                )
            )
        ).all()
        assert [row.purpose for row in told] == ["mentoring.pair_ended"]
        assert "isn't about anything you did" in told[0].payload["content"]
        # The audit log still shows both actions, and the erasure with its count, never who.
        audit = (await session.scalars(select(AuditLog).order_by(AuditLog.id))).all()
        assert [(a.actor_id, a.target_id) for a in audit[:2]] == [
            (MOD, None),
            (FORMER_MEMBER, BOB),
        ]
        assert (audit[2].action, audit[2].count) == (ERASURE_ACTION, erasure.total)
        assert audit[2].target_id is None
        # The pair's thread is archived and locked, not deleted.
        thread_ops = (
            await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.operation == "thread.edit")
            )
        ).all()
        assert thread_ops == [{"archived": False, "locked": True}, {"archived": True}]
        # Her departure's erasure was cancelled: nothing is left to erase.
        assert (
            await session.scalar(select(DueWork.id).where(DueWork.kind == DEPARTED_KIND))
        ) is None

    again = await services.privacy.erase(alice)
    assert again.total == 0
    async with database.read() as session:
        assert len((await session.scalars(select(AuditLog))).all()) == 3


async def test_a_member_who_leaves_is_erased_thirty_days_later_unless_they_return(
    services: Services, database: Database
) -> None:
    await services.sobriety.set_counter(GUILD, ALICE, "2026-01-01")
    await services.sobriety.set_counter(GUILD, BOB, "2026-01-01")
    await services.privacy.member_left(GUILD, ALICE)
    await services.privacy.member_left(GUILD, BOB)
    assert await services.privacy.member_returned(GUILD, BOB)
    async with database.read() as session:
        due = (await session.scalars(select(DueWork).where(DueWork.kind == DEPARTED_KIND))).all()
    assert [(row.subject_id, row.key, row.due_at) for row in due] == [
        (ALICE, str(GUILD), datetime(2026, 3, 31, 12, tzinfo=UTC))
    ]
