"""xero data

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:04:46.625619
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "xero_webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("event_category", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("event_date_utc", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_webhook_events")),
        sa.UniqueConstraint(
            "tenant_id",
            "event_category",
            "resource_id",
            "event_date_utc",
            name=op.f("uq_xero_webhook_events_tenant_id_event_category_resource_id_event_date_utc"),
        ),
    )
    with op.batch_alter_table("xero_webhook_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_webhook_events_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_xero_webhook_events_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "xero_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("tax_type", sa.String(length=50), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_accounts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_accounts")),
        sa.UniqueConstraint("workspace_id", "account_id", name=op.f("uq_xero_accounts_workspace_id_account_id")),
    )
    with op.batch_alter_table("xero_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_accounts_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_branding_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_branding_themes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_branding_themes")),
        sa.UniqueConstraint("workspace_id", "theme_id", name=op.f("uq_xero_branding_themes_workspace_id_theme_id")),
    )
    with op.batch_alter_table("xero_branding_themes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_branding_themes_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at_xero", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_contacts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_contacts")),
        sa.UniqueConstraint("workspace_id", "contact_id", name=op.f("uq_xero_contacts_workspace_id_contact_id")),
    )
    with op.batch_alter_table("xero_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_contacts_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_xero_contacts_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_sold", sa.Boolean(), nullable=False),
        sa.Column("sales_account_code", sa.String(length=10), nullable=True),
        sa.Column("sales_tax_type", sa.String(length=50), nullable=True),
        sa.Column("sales_unit_price", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_xero_items_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_items")),
        sa.UniqueConstraint("workspace_id", "item_id", name=op.f("uq_xero_items_workspace_id_item_id")),
    )
    with op.batch_alter_table("xero_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_items_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("modified_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_channel_id", sa.String(length=32), nullable=True),
        sa.Column("alert_ts", sa.String(length=32), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_sync_states_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_sync_states")),
        sa.UniqueConstraint("workspace_id", "resource", name=op.f("uq_xero_sync_states_workspace_id_resource")),
    )
    with op.batch_alter_table("xero_sync_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_sync_states_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tax_type", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("effective_rate", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_tax_rates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_tax_rates")),
        sa.UniqueConstraint("workspace_id", "tax_type", name=op.f("uq_xero_tax_rates_workspace_id_tax_type")),
    )
    with op.batch_alter_table("xero_tax_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_tax_rates_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_tracking_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_tracking_categories_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_tracking_categories")),
        sa.UniqueConstraint(
            "workspace_id", "category_id", name=op.f("uq_xero_tracking_categories_workspace_id_category_id")
        ),
    )
    with op.batch_alter_table("xero_tracking_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_tracking_categories_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_tracking_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.String(length=64), nullable=False),
        sa.Column("option_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_tracking_options_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_tracking_options")),
        sa.UniqueConstraint("workspace_id", "option_id", name=op.f("uq_xero_tracking_options_workspace_id_option_id")),
    )
    with op.batch_alter_table("xero_tracking_options", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_tracking_options_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_xero_tracking_options_workspace_id"), ["workspace_id"], unique=False)

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xero_link_source", sa.String(length=16), nullable=True))

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xero_account_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("xero_tax_type", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("xero_branding_theme_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("xero_tracking", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("setup_completed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("setup_completed_at")
        batch_op.drop_column("xero_tracking")
        batch_op.drop_column("xero_branding_theme_id")
        batch_op.drop_column("xero_tax_type")
        batch_op.drop_column("xero_account_code")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("xero_link_source")

    with op.batch_alter_table("xero_tracking_options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_tracking_options_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_xero_tracking_options_category_id"))

    op.drop_table("xero_tracking_options")
    with op.batch_alter_table("xero_tracking_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_tracking_categories_workspace_id"))

    op.drop_table("xero_tracking_categories")
    with op.batch_alter_table("xero_tax_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_tax_rates_workspace_id"))

    op.drop_table("xero_tax_rates")
    with op.batch_alter_table("xero_sync_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_sync_states_workspace_id"))

    op.drop_table("xero_sync_states")
    with op.batch_alter_table("xero_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_items_workspace_id"))

    op.drop_table("xero_items")
    with op.batch_alter_table("xero_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_contacts_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_xero_contacts_name_key"))

    op.drop_table("xero_contacts")
    with op.batch_alter_table("xero_branding_themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_branding_themes_workspace_id"))

    op.drop_table("xero_branding_themes")
    with op.batch_alter_table("xero_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_accounts_workspace_id"))

    op.drop_table("xero_accounts")
    with op.batch_alter_table("xero_webhook_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_webhook_events_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_xero_webhook_events_received_at"))

    op.drop_table("xero_webhook_events")
