"""xero connection

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:56:23.670701
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "xero_auth_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cookie_hash", sa.String(length=64), nullable=True),
        sa.Column("code_verifier", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_xero_auth_requests_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_auth_requests_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_auth_requests")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_xero_auth_requests_state_hash")),
    )
    with op.batch_alter_table("xero_auth_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_auth_requests_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_name", sa.String(length=255), nullable=False),
        sa.Column("short_code", sa.String(length=32), nullable=True),
        sa.Column("base_currency", sa.String(length=3), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("auth_event_id", sa.String(length=64), nullable=True),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("connected_by_member_id", sa.Integer(), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connected_by_member_id"],
            ["members.id"],
            name=op.f("fk_xero_connections_connected_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_connections_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_connections")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_xero_connections_workspace_id")),
    )
    with op.batch_alter_table("xero_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_connections_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_xero_connections_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "xero_pending_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cookie_hash", sa.String(length=64), nullable=True),
        sa.Column("token_set", sa.Text(), nullable=False),
        sa.Column("organisations", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_xero_pending_consents_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_xero_pending_consents_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xero_pending_consents")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_xero_pending_consents_token_hash")),
    )
    with op.batch_alter_table("xero_pending_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xero_pending_consents_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("xero_pending_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_pending_consents_workspace_id"))

    op.drop_table("xero_pending_consents")
    with op.batch_alter_table("xero_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_connections_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_xero_connections_tenant_id"))

    op.drop_table("xero_connections")
    with op.batch_alter_table("xero_auth_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xero_auth_requests_workspace_id"))

    op.drop_table("xero_auth_requests")
