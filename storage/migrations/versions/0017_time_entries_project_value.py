"""time entries by project with what a fixed budget sums: its all-time value is read from the index alone

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 05:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_time_entries_project_value", "time_entries", ["workspace_id", "project_id"],
                    postgresql_include=["billable", "minutes", "hourly_rate"])


def downgrade() -> None:
    op.drop_index("ix_time_entries_project_value", table_name="time_entries")
