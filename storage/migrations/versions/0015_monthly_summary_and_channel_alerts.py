"""monthly summary and channel budget alerts: the workspace's opt-in to a monthly summary DM, the summaries sent
(once per manager per month), and a project's switch to post its budget alerts in its linked channel

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("monthly_summary", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("budget_alerts_in_channel", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "monthly_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_monthly_summaries_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_monthly_summaries_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_summaries")),
        sa.UniqueConstraint("member_id", "month", name=op.f("uq_monthly_summaries_member_id_month")),
    )
    op.create_index(op.f("ix_monthly_summaries_workspace_id"), "monthly_summaries", ["workspace_id"])


def downgrade() -> None:
    op.drop_table("monthly_summaries")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("budget_alerts_in_channel")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("monthly_summary")
