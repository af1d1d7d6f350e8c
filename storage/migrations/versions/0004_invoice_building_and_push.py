"""invoice building and push

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:42:29.084374
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Defaults in the database only for rows that already exist; the application always sets these.
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_lines_project_id_projects"), "projects", ["project_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tax_total", sa.Numeric(precision=14, scale=2), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("mode", sa.String(length=16), nullable=False, server_default="time"))
        batch_op.add_column(sa.Column("period_project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period_month", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("xero_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("alert_channel_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("alert_ts", sa.String(length=32), nullable=True))
        batch_op.create_index(
            "uq_invoices_retainer_month",
            ["period_project_id", "period_month"],
            unique=True,
            postgresql_where=sa.text("period_month IS NOT NULL AND status <> 'cancelled'"),
            sqlite_where=sa.text("period_month IS NOT NULL AND status <> 'cancelled'"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoices_period_project_id_projects"),
            "projects",
            ["period_project_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invoices_period_project_id_projects"), type_="foreignkey")
        batch_op.drop_index(
            "uq_invoices_retainer_month",
            postgresql_where=sa.text("period_month IS NOT NULL AND status <> 'cancelled'"),
            sqlite_where=sa.text("period_month IS NOT NULL AND status <> 'cancelled'"),
        )
        batch_op.drop_column("alert_ts")
        batch_op.drop_column("alert_channel_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("xero_url")
        batch_op.drop_column("period_month")
        batch_op.drop_column("period_project_id")
        batch_op.drop_column("mode")
        batch_op.drop_column("total")
        batch_op.drop_column("tax_total")

    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invoice_lines_project_id_projects"), type_="foreignkey")
        batch_op.drop_column("note")
        batch_op.drop_column("minutes")
        batch_op.drop_column("project_id")
