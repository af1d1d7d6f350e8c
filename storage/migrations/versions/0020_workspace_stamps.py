"""workspace stamps: a value the database changes with every change to what a workspace's cached reads show

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 09:30:00.000000

Triggers keep `workspace_stamps.stamp` current, so no write path of the application can forget it (storage/stamps.py
says how readers use it). On PostgreSQL the triggers are deferred constraint triggers and change the stamp once
per transaction and workspace, at commit: the stamp row is locked only while the transaction commits, after every
other lock it takes, so two writers never wait on each other in opposite orders. SQLite runs one writer at a time
and changes it at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose every insert, update and delete changes the stamp of the row's workspace: what Home shows, and the
# synced Xero data an invoice refers to (xero/invoice_inputs.py).
EVERY_CHANGE = ("clients", "projects", "project_member_rates", "invoices", "xero_connections", "nudge_settings",
                "xero_accounts", "xero_tax_rates", "xero_items", "xero_tracking_categories", "xero_tracking_options",
                "xero_branding_themes")
# Members: who they are, their role and their standing (not their time zone or when their profile was read).
MEMBER_COLUMNS = ("slack_user_id", "display_name", "role", "deactivated_at")
# The audit log: only the two actions that decide whether Home asks admins to connect Xero again.
AUDIT_ACTIONS = ("workspace.reinstalled", "xero.connected")

PG_RANDOM = "floor(random() * 9007199254740991)::bigint"  # 53 random bits


def upgrade() -> None:
    op.create_table(
        "workspace_stamps",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_workspace_stamps_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_stamps")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    op.execute(f"INSERT INTO workspace_stamps (workspace_id, stamp) SELECT id, {PG_RANDOM} FROM workspaces")
    op.execute(f"""
        CREATE FUNCTION hourcap_restamp_workspace(ws integer) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('hourcap.restamped_' || ws, true) = '1' THEN
                RETURN;  -- this transaction changed it already
            END IF;
            PERFORM set_config('hourcap.restamped_' || ws, '1', true);
            UPDATE workspace_stamps SET stamp = {PG_RANDOM} WHERE workspace_id = ws;
        END $$""")
    op.execute("""
        CREATE FUNCTION hourcap_restamp() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM hourcap_restamp_workspace(OLD.workspace_id);
            ELSE
                PERFORM hourcap_restamp_workspace(NEW.workspace_id);
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE FUNCTION hourcap_restamp_own() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM hourcap_restamp_workspace(NEW.id);
            RETURN NULL;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION hourcap_stamp_new_workspace() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO workspace_stamps (workspace_id, stamp) VALUES (NEW.id, {PG_RANDOM});
            RETURN NULL;
        END $$""")
    deferred = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    op.execute("CREATE TRIGGER stamp_new_workspace AFTER INSERT ON workspaces FOR EACH ROW "
               "EXECUTE FUNCTION hourcap_stamp_new_workspace()")
    op.execute(f"CREATE CONSTRAINT TRIGGER restamp AFTER UPDATE ON workspaces {deferred} "
               "EXECUTE FUNCTION hourcap_restamp_own()")
    for table in EVERY_CHANGE:
        op.execute(f"CREATE CONSTRAINT TRIGGER restamp AFTER INSERT OR UPDATE OR DELETE ON {table} {deferred} "
                   "EXECUTE FUNCTION hourcap_restamp()")
    old = ", ".join(f"OLD.{c}" for c in MEMBER_COLUMNS)
    new = ", ".join(f"NEW.{c}" for c in MEMBER_COLUMNS)
    op.execute(f"CREATE CONSTRAINT TRIGGER restamp AFTER INSERT OR DELETE ON members {deferred} "
               "EXECUTE FUNCTION hourcap_restamp()")
    op.execute(f"CREATE CONSTRAINT TRIGGER restamp_changed AFTER UPDATE OF {', '.join(MEMBER_COLUMNS)} ON members "
               f"{deferred} WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION hourcap_restamp()")
    actions = ", ".join(f"'{a}'" for a in AUDIT_ACTIONS)
    op.execute(f"CREATE CONSTRAINT TRIGGER restamp AFTER INSERT ON audit_log {deferred} "
               f"WHEN (NEW.action IN ({actions})) EXECUTE FUNCTION hourcap_restamp()")


def _sqlite_triggers() -> None:
    op.execute("INSERT INTO workspace_stamps (workspace_id, stamp) SELECT id, random() FROM workspaces")

    def restamp(name: str, event: str, table: str, row: str, when: str = "", key: str = "workspace_id") -> None:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} {when} BEGIN "
                   f"UPDATE workspace_stamps SET stamp = random() WHERE workspace_id = {row}.{key}; END")

    op.execute("CREATE TRIGGER stamp_new_workspace AFTER INSERT ON workspaces BEGIN "
               "INSERT INTO workspace_stamps (workspace_id, stamp) VALUES (NEW.id, random()); END")
    restamp("restamp_workspaces", "UPDATE", "workspaces", "NEW", key="id")
    for table in (*EVERY_CHANGE, "members"):
        restamp(f"restamp_{table}_insert", "INSERT", table, "NEW")
        restamp(f"restamp_{table}_delete", "DELETE", table, "OLD")
    for table in EVERY_CHANGE:
        restamp(f"restamp_{table}_update", "UPDATE", table, "NEW")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in MEMBER_COLUMNS)
    restamp("restamp_members_update", f"UPDATE OF {', '.join(MEMBER_COLUMNS)}", "members", "NEW",
            f"WHEN {changed}")
    actions = ", ".join(f"'{a}'" for a in AUDIT_ACTIONS)
    restamp("restamp_audit_log_insert", "INSERT", "audit_log", "NEW", f"WHEN NEW.action IN ({actions})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER stamp_new_workspace ON workspaces")
        for table in ("workspaces", *EVERY_CHANGE, "members", "audit_log"):
            op.execute(f"DROP TRIGGER restamp ON {table}")
        op.execute("DROP TRIGGER restamp_changed ON members")
        for function in ("hourcap_restamp()", "hourcap_restamp_own()", "hourcap_stamp_new_workspace()",
                         "hourcap_restamp_workspace(integer)"):
            op.execute(f"DROP FUNCTION {function}")
    else:
        names = ["stamp_new_workspace", "restamp_workspaces", "restamp_members_update", "restamp_audit_log_insert"]
        names += [f"restamp_{t}_{e}" for t in (*EVERY_CHANGE, "members") for e in ("insert", "delete")]
        names += [f"restamp_{t}_update" for t in EVERY_CHANGE]
        for name in names:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("workspace_stamps")
