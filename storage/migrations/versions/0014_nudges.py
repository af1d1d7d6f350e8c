"""nudges: a workspace's missing-time reminder settings and each member's schedule and overrides

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nudge_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("expected_minutes", sa.Integer(), nullable=False),
        sa.Column("local_minute", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_nudge_settings_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_settings")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_nudge_settings_workspace_id")),
    )
    op.create_index(op.f("ix_nudge_settings_workspace_id"), "nudge_settings", ["workspace_id"])
    op.create_table(
        "nudge_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("local_minute", sa.Integer(), nullable=True),
        sa.Column("next_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("nudged_on", sa.Date(), nullable=True),
        sa.Column("quiet_on", sa.Date(), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_nudge_schedules_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_nudge_schedules_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_schedules")),
        sa.UniqueConstraint("member_id", name=op.f("uq_nudge_schedules_member_id")),
    )
    op.create_index("ix_nudge_schedules_next_at", "nudge_schedules", ["next_at"])
    op.create_index(op.f("ix_nudge_schedules_workspace_id"), "nudge_schedules", ["workspace_id"])


def downgrade() -> None:
    op.drop_table("nudge_schedules")
    op.drop_table("nudge_settings")
