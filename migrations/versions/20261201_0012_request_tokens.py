"""request tokens: Discord's global budget shared by processes as held tokens

Processes on one PostgreSQL database shared evenly spaced request slots leased from
`request_budget`. From this revision they share the window's tokens instead
(bot/delivery/pacing.py `SharedPacer`): a row per process says how many it holds, how many it
was short of, and when its holding lapses. `request_budget` stays, unused, so that a process
of the previous version still running during the upgrade does not fail; a later revision can
drop it. SQLite runs one process and never uses either table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_tokens",
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_request_tokens")),
    )


def downgrade() -> None:
    op.drop_table("request_tokens")
