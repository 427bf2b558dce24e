"""Where a member's id still is: every integer column of every table, searched directly."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, select

import bot.db.models  # noqa: F401  (registers every table)
from bot.db import Database
from bot.db.base import Base


async def tables_holding(database: Database, user_id: int) -> dict[str, list[str]]:
    """{table: [columns]} of every integer column that still holds `user_id`."""
    found: dict[str, list[str]] = {}
    # A 32-bit INTEGER column cannot hold a snowflake on PostgreSQL (it refuses the comparison
    # too); SQLite stores any integer anywhere, so there every integer column is searched.
    wide_only = database.dialect == "postgresql" and user_id > 2**31 - 1
    async with database.read() as session:
        for name, table in Base.metadata.tables.items():
            for column in table.columns:
                if not isinstance(column.type, Integer | BigInteger):
                    continue
                if wide_only and not isinstance(column.type, BigInteger):
                    continue
                hit = await session.scalar(select(column).where(column == user_id).limit(1))
                if hit is not None:
                    found.setdefault(name, []).append(column.name)
    return found
