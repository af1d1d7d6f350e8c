"""member deactivation: whether Slack still counts a member as an active person of the workspace

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("inactive_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("standing_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("standing_seen_at")
        batch_op.drop_column("inactive_reason")
        batch_op.drop_column("deactivated_at")
