"""time entries by project and day with what budgets sum: a retainer's months are read from the index alone too

The index of 0017 (workspace, project) served a fixed budget's all-time value; a retainer's billable minutes per
day of a report's months still read the table. This one adds the day to the key, so both sums are index-only
scans, and replaces 0017's, which it covers.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 18:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_time_entries_project_day_value", "time_entries", ["workspace_id", "project_id", "work_date"],
                    postgresql_include=["billable", "minutes", "hourly_rate"])
    op.drop_index("ix_time_entries_project_value", table_name="time_entries")


def downgrade() -> None:
    op.create_index("ix_time_entries_project_value", "time_entries", ["workspace_id", "project_id"],
                    postgresql_include=["billable", "minutes", "hourly_rate"])
    op.drop_index("ix_time_entries_project_day_value", table_name="time_entries")
