"""timesheet approval: submitted weeks, the approval an entry belongs to, the workspace's approval settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:30:00.000000
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
        "week_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_member_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_member_id"], ["members.id"],
                                name=op.f("fk_week_submissions_decided_by_member_id_members"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_week_submissions_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_week_submissions_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_week_submissions")),
        sa.UniqueConstraint("workspace_id", "member_id", "week_start",
                            name=op.f("uq_week_submissions_workspace_id_member_id_week_start")),
    )
    with op.batch_alter_table("week_submissions", schema=None) as batch_op:
        batch_op.create_index("ix_week_submissions_state", ["workspace_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_week_submissions_workspace_id"), ["workspace_id"], unique=False)
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_time_entries_approval_id_week_submissions"), "week_submissions",
                                    ["approval_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approvals_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("review_channel_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("review_channel_id")
        batch_op.drop_column("approvals_enabled")
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_time_entries_approval_id_week_submissions"), type_="foreignkey")
        batch_op.drop_column("approval_id")
    with op.batch_alter_table("week_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_week_submissions_workspace_id"))
        batch_op.drop_index("ix_week_submissions_state")
    op.drop_table("week_submissions")
