"""xero invoice states: what Xero says of each pushed invoice, and releasing a dead draft's entries

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2, asdecimal=True)
OLD_RETAINER = "period_month IS NOT NULL AND status <> 'cancelled'"
NEW_RETAINER = "period_month IS NOT NULL AND status <> 'cancelled' AND entries_released_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xero_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("xero_due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("xero_subtotal", MONEY, nullable=True))
        batch_op.add_column(sa.Column("xero_total_tax", MONEY, nullable=True))
        batch_op.add_column(sa.Column("xero_amount_due", MONEY, nullable=True))
        batch_op.add_column(sa.Column("xero_amount_paid", MONEY, nullable=True))
        batch_op.add_column(sa.Column("xero_paid_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("xero_updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("xero_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("xero_ever_paid", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("release_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("entries_released_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("release_alert_channel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("release_alert_ts", sa.String(length=32), nullable=True))
    op.create_index("ix_invoices_workspace_xero_invoice", "invoices", ["workspace_id", "xero_invoice_id"])
    op.drop_index("uq_invoices_retainer_month", table_name="invoices")
    op.create_index("uq_invoices_retainer_month", "invoices", ["period_project_id", "period_month"], unique=True,
                    postgresql_where=sa.text(NEW_RETAINER), sqlite_where=sa.text(NEW_RETAINER))
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_dead_drafts", sa.String(length=8), nullable=False,
                                      server_default="ask"))
    with op.batch_alter_table("xero_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoices_modified_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("xero_connections", schema=None) as batch_op:
        batch_op.drop_column("invoices_modified_since")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("release_dead_drafts")
    op.drop_index("uq_invoices_retainer_month", table_name="invoices")
    op.create_index("uq_invoices_retainer_month", "invoices", ["period_project_id", "period_month"], unique=True,
                    postgresql_where=sa.text(OLD_RETAINER), sqlite_where=sa.text(OLD_RETAINER))
    op.drop_index("ix_invoices_workspace_xero_invoice", table_name="invoices")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        for name in ("release_alert_ts", "release_alert_channel_id", "entries_released_at", "release_state",
                     "xero_ever_paid", "xero_seen_at", "xero_updated_at", "xero_paid_on", "xero_amount_paid",
                     "xero_amount_due", "xero_total_tax", "xero_subtotal", "xero_due_date", "xero_status"):
            batch_op.drop_column(name)
