"""Export and erasure of one member in a busy server: what /privacy export and /privacy delete
cost when the tables hold many other members' rows.

Each of MEMBERS members has a counter, a few direct messages in the outbox (sent ones are kept
7 days), an access-log row and an audit row. Measures one member's export, erasure, and a
second erasure (finding nothing).

    python -m bench privacy
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, text

from bench.common import backend, fresh_database
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.models import AuditLog, OutboxMessage, SobrietyCounter
from bot.db.models.privacy import AccessLogEntry
from bot.services.container import build_services
from bot.services.privacy.registry import MemberRef

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
GUILD = 900_000_000_000_000_001
FIRST = 100_000_000_000_000_000
MEMBERS = 20_000
DMS_EACH = 3


def _rows(members: int) -> dict[Any, list[dict[str, Any]]]:
    ids = [FIRST + n for n in range(members)]
    return {
        SobrietyCounter: [
            {"guild_id": GUILD, "user_id": u, "label": "sobriety", "label_key": "sobriety",
             "start_date": date(2025, 1, 1), "visibility": "private", "celebrate": "dm",
             "created_at": NOW, "updated_at": NOW}
            for u in ids
        ],
        OutboxMessage: [
            {"purpose": "milestone.dm", "guild_id": GUILD, "target_kind": "dm", "target_id": u,
             "payload": {"content": "Congratulations"}, "state": "sent", "attempts": 1,
             "next_attempt_at": NOW, "finished_at": NOW}
            for u in ids
            for _ in range(DMS_EACH)
        ],
        AccessLogEntry: [
            {"guild_id": GUILD, "owner_id": u, "viewer_id": ids[(i + 1) % members],
             "what": "sobriety.shared", "at": NOW}
            for i, u in enumerate(ids)
        ],
        AuditLog: [
            {"guild_id": GUILD, "actor_id": ids[0], "action": "settings.timezone",
             "target_id": u, "at": NOW}
            for u in ids
        ],
    }  # fmt: skip


async def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work
    return (time.perf_counter() - started) * 1000, result


async def run(*, members: int = MEMBERS) -> dict[str, float]:
    print(f"\n== one member's export and erasure among {members:,} members ({backend()})")
    async with fresh_database() as url:
        database = Database.connect(url)
        try:
            async with database.transaction() as session:
                for model, rows in _rows(members).items():
                    for start in range(0, len(rows), 5_000):
                        await session.execute(insert(model), rows[start : start + 5_000])
            async with database.engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
            services = build_services(database, ManualClock(NOW), Settings())
            member = MemberRef(GUILD, FIRST + members // 2)
            export_ms, document = await _timed(services.privacy.export(member))
            erase_ms, erasure = await _timed(services.privacy.erase(member))
            again_ms, again = await _timed(services.privacy.erase(member))
        finally:
            await database.dispose()
    print(f"  export: {export_ms:.1f} ms ({len(document['features'])} features)")
    print(f"  erase: {erase_ms:.1f} ms ({erasure.total} rows)")
    print(f"  erase again: {again_ms:.1f} ms ({again.total} rows)")
    return {"export_ms": export_ms, "erase_ms": erase_ms, "erase_again_ms": again_ms}
