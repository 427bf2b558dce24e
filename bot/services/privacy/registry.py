"""The one place where features declare the member data they own (Red-DiscordBot's
`red_delete_data_for_user`, at the service layer).

Every table says in its `info` what it holds (`table_privacy`):
- `MEMBER`: rows about one member; a registered `MemberData` must list the table, so that
  `/privacy export` copies them and `/privacy delete` erases them;
- `NONE`: nothing about a member (server settings, the due-work ledger's bookkeeping);
- `via("parent")`: rows that belong to a member only through a parent row (a streak of a
  counter); erasing the parent erases them, and the parent's feature exports them.

`tests/services/test_privacy_registry.py` walks the metadata and fails on a table that has not
decided, a member table that no feature erases, or a `NONE` table with a member-looking id
column (`user_id`, `mentor_id`, `*_by` …) that its commented allow-list does not excuse: a new
feature cannot forget its data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncSession

PRIVACY_KEY = "privacy"
# Stands for a member whose data was erased, where a row must stay (another member's access
# log, the audit log): no Discord id is 0.
FORMER_MEMBER = 0
MEMBER = "member"
NONE = "none"
_VIA = "via:"


def via(parent_table: str) -> str:
    """The privacy of a table whose rows belong to a member through `parent_table`."""
    return _VIA + parent_table


def table_privacy(kind: str) -> dict[str, Any]:
    """`__table_args__` entry declaring what a table holds: `MEMBER`, `NONE` or `via(...)`."""
    if kind not in (MEMBER, NONE) and not kind.startswith(_VIA):
        raise ValueError(f"unknown table privacy {kind!r}")
    return {"info": {PRIVACY_KEY: kind}}


def privacy_of(table: Table) -> str | None:
    value = table.info.get(PRIVACY_KEY)
    return str(value) if value is not None else None


def parent_of(table: Table) -> str | None:
    kind = privacy_of(table)
    return kind[len(_VIA) :] if kind and kind.startswith(_VIA) else None


@dataclass(frozen=True, slots=True)
class MemberRef:
    """One member in one server: everything Steady holds is per server."""

    guild_id: int
    user_id: int


# Export: JSON-ready data (dicts, lists, str, int, float, bool, None; dates as ISO strings).
# Another person appears under a key ending in `_member_id` (e.g. "other_member_id"): /privacy
# export adds their display name beside it. Never another person's private data.
Exporter = Callable[[AsyncSession, MemberRef], Awaitable[dict[str, Any]]]
# Erase: the number of rows removed (or anonymised), for the confirmation and the audit log.
Eraser = Callable[[AsyncSession, MemberRef], Awaitable[int]]
# Lock: take the locks on the feature's domain rows of the member (SELECT … FOR UPDATE, in the
# feature's own order, several rows of a table in id order), changing nothing.
Locker = Callable[[AsyncSession, MemberRef], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class MemberData:
    """What one feature holds about members, and how to copy and erase it.

    Both run inside the caller's transaction. An eraser also removes the member's pending due
    work and undelivered outbox rows of its feature, and tells the other side of anything
    shared (a pair) through the outbox, kindly and without a reason. Where a row must stay for
    someone else, the member's id in it becomes None or `FORMER_MEMBER`. An eraser run twice
    removes nothing the second time and returns 0.

    The lock order (bot/scheduling/locks.py) spans features: an erasure runs every feature's
    `lock` first, in registration order, and only then the erasers, so that no feature's due
    work or outbox rows are locked before another feature's domain rows. A feature whose
    eraser changes domain rows that a handler or a command also locks gives `lock`; its
    eraser then finds them already held. A timed handler holding one of them makes the erasure
    wait before it has touched any due work, so what the handler plans is seen and erased too.
    """

    feature: str
    tables: tuple[str, ...]
    export: Exporter
    erase: Eraser
    lock: Locker | None = None


def uncovered_member_tables(metadata: MetaData, owners: Iterable[MemberData]) -> list[str]:
    """Member tables no registered feature erases (should be empty)."""
    covered = {table for owner in owners for table in owner.tables}
    return sorted(
        name
        for name, table in metadata.tables.items()
        if privacy_of(table) == MEMBER and name not in covered
    )


def undeclared_tables(metadata: MetaData) -> list[str]:
    """Tables that have not said what they hold (should be empty)."""
    return sorted(name for name, table in metadata.tables.items() if privacy_of(table) is None)
