"""review messages: where each copy of a week's review message was posted, so a decision updates them all

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 18:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["week_submissions.id"],
                                name=op.f("fk_review_messages_submission_id_week_submissions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_review_messages_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_messages")),
    )
    op.create_index(op.f("ix_review_messages_submission_id"), "review_messages", ["submission_id"])
    op.create_index(op.f("ix_review_messages_workspace_id"), "review_messages", ["workspace_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_review_messages_workspace_id"), table_name="review_messages")
    op.drop_index(op.f("ix_review_messages_submission_id"), table_name="review_messages")
    op.drop_table("review_messages")
