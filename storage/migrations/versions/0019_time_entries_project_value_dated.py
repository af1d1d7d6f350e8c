"""time entries by project with their dates too: a retainer's months are read from the index alone

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 06:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_time_entries_project_value", table_name="time_entries")
    op.create_index("ix_time_entries_project_value", "time_entries", ["workspace_id", "project_id"],
                    postgresql_include=["billable", "minutes", "hourly_rate", "work_date"])


def downgrade() -> None:
    op.drop_index("ix_time_entries_project_value", table_name="time_entries")
    op.create_index("ix_time_entries_project_value", "time_entries", ["workspace_id", "project_id"],
                    postgresql_include=["billable", "minutes", "hourly_rate"])
