"""entry permalink: the Slack message a time entry was logged from ("Log time on this message")

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 00:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("time_entries") as batch:
        batch.add_column(sa.Column("slack_permalink", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("time_entries") as batch:
        batch.drop_column("slack_permalink")
