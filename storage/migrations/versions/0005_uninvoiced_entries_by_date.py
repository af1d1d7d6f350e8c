"""uninvoiced entries by date: an index for the invoice preview's first lines

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNINVOICED = "invoice_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_time_entries_uninvoiced_by_date",
            ["workspace_id", "work_date", "id"],
            unique=False,
            postgresql_where=sa.text(UNINVOICED),
            sqlite_where=sa.text(UNINVOICED),
        )


def downgrade() -> None:
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_time_entries_uninvoiced_by_date", postgresql_where=sa.text(UNINVOICED), sqlite_where=sa.text(UNINVOICED)
        )
