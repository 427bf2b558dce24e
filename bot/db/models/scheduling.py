"""The due-work ledger: every timed item any feature is waiting for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.types import UTCDateTime
from bot.services.privacy.registry import NONE, table_privacy

# SQLite only auto-numbers an INTEGER PRIMARY KEY (the rowid alias), not a BIGINT one.
RowId = BigInteger().with_variant(Integer(), "sqlite")

PENDING = "pending"
DONE = "done"
DROPPED = "dropped"
FAILED = "failed"


class DueWork(Base):
    """One timed item: `kind` says which feature's handler runs, `subject_id` which of its rows,
    `key` which of that subject's items (several reminders of one meeting occurrence: "60",
    "15"; '' when a subject has only one), `guild_id` whose server it belongs to (for
    per-server status and erasure; None for process-wide work) and `payload` a small JSON
    object when the ids alone are not enough (never personal content: it is not encrypted and
    /setup status may count it).

    `available_at` is when the row may next be claimed: its due time at first, then the end of
    a claim's lease or of a retry back-off. The sweep and the next wake-up read only the
    (state, available_at) index, so their cost follows the number of due rows, not the table.
    """

    __tablename__ = "due_work"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(64), default="", server_default="")
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "on time", "late", "rewritten", "stale", or an error class name: never personal content.
    outcome: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_due_work_state_available_at", "state", "available_at"),
        # The next wake-up: the earliest row of each kind this process handles, one index
        # probe per kind (rows of kinds it does not handle must not cost a scan).
        Index("ix_due_work_state_kind_available_at", "state", "kind", "available_at"),
        # At most one pending row per (kind, subject, key): scheduling again moves it.
        Index(
            "uq_due_work_pending_kind_subject_key",
            "kind",
            "subject_id",
            "key",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        # For pruning finished rows.
        Index("ix_due_work_state_finished_at", "state", "finished_at"),
        # /setup status counts one server's rows.
        Index("ix_due_work_guild_id_state", "guild_id", "state"),
        # Ids of feature rows, not of members: each feature's eraser cancels the pending work
        # of the rows it erases (finished rows are pruned after KEEP_FINISHED_WORK). The one
        # exception, "privacy.departed", names a departed member: an erasure cancels it, and
        # once it has run, its finished row is all that keeps their id until it is pruned.
        table_privacy(NONE),
    )


class DueWorkRepair(Base):
    """How many missing items a kind's daily rebuild re-created for one server, and when:
    shown in /setup status, so a moderator sees that something had gone wrong and was fixed."""

    __tablename__ = "due_work_repairs"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    repairs: Mapped[int] = mapped_column(Integer)
    repaired_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_due_work_repairs_guild_id_repaired_at", "guild_id", "repaired_at"),
        table_privacy(NONE),  # counts per kind and server
    )
