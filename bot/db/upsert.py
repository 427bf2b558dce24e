"""INSERT … ON CONFLICT DO UPDATE on both backends, so concurrent first writes cannot collide."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base


async def upsert(
    session: AsyncSession, model: type[Base], key: dict[str, Any], values: dict[str, Any]
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**key, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values))
