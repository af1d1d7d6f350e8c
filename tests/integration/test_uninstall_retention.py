"""Uninstall and the retention purge on the real database (and the Xero stand-in for the revocation): the tokens
go at once, every table is purged for the workspace after the period and not before, and none of another
workspace's rows goes."""

from __future__ import annotations

from datetime import timedelta

import httpx2
from sqlalchemy import func, select, update

from jobs.registry import JobContext
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import connect_workspace, xero_settings
from settings import Settings
from storage.db import Database
from storage.models import (
    AuditLog,
    Base,
    Outbox,
    Workspace,
    XeroConnection,
)
from storage.types import utcnow
from team.retention import PURGE_TASK, TEAM_TABLES, UNSCOPED_TABLES, purge_expired, run_purge
from team.uninstall import UNINSTALLED_TASK, uninstall
from tests.support.populated import populate
from xero.tasks_uninstall import revoke_after_uninstall


def counts(db: Database, workspace_id: int, team: str) -> dict[str, int]:
    """Rows per table belonging to the workspace (every table of the metadata is classified)."""
    found: dict[str, int] = {}
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name == Workspace.__tablename__:
                where = table.c.id == workspace_id
            elif "workspace_id" in table.c:
                where = table.c.workspace_id == workspace_id
            elif table in TEAM_TABLES:
                where = table.c.team_id == team
            else:
                assert table.name in UNSCOPED_TABLES, f"{table.name}: whose rows are these? (team/retention.py)"
                continue
            found[table.name] = s.scalar(select(func.count()).select_from(table).where(where)) or 0
    return found


def test_purge_deletes_every_row_of_the_workspace_after_the_retention_period_only(db: Database) -> None:
    gone, gone_team = populate(db, "T0GONE", "Gone Co"), "T0GONE"
    kept, kept_team = populate(db, "T0KEPT", "Kept Co"), "T0KEPT"
    before_gone, before_kept = counts(db, gone, gone_team), counts(db, kept, kept_team)
    assert sum(1 for rows in before_gone.values() if rows) >= 18  # the seed reaches most tables
    with db.session() as s:
        uninstall(s, gone_team)
        uninstall(s, gone_team)  # Slack says it twice (tokens_revoked, app_uninstalled): once is recorded
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == UNINSTALLED_TASK)) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "workspace.uninstalled")) == 1
    after_uninstall = counts(db, gone, gone_team)
    assert after_uninstall["slack_bots"] == after_uninstall["slack_installations"] == 0  # tokens: at once
    assert after_uninstall["time_entries"] == 5  # data: kept

    now = utcnow()
    assert purge_expired(db, 30, now=now + timedelta(days=29, hours=23)) == []  # the clock moves: not yet
    assert counts(db, gone, gone_team)["time_entries"] == 5
    purged = purge_expired(db, 30, now=now + timedelta(days=30, minutes=1))  # ...and past the period
    assert [p.workspace_id for p in purged] == [gone]

    assert counts(db, gone, gone_team) == dict.fromkeys(before_gone, 0)  # every table, audit included
    assert counts(db, kept, kept_team) == before_kept  # another workspace keeps every row
    assert purge_expired(db, 30, now=now + timedelta(days=60)) == []  # nothing left to do


def test_the_purge_task_uses_the_retention_setting(db: Database) -> None:
    workspace_id = populate(db, "T0TASK", "Task Co")
    with db.session() as s:
        uninstall(s, "T0TASK")
        s.flush()
        s.execute(update(Workspace).where(Workspace.id == workspace_id)
                  .values(uninstalled_at=utcnow() - timedelta(days=8)))
    ctx = JobContext(db=db, settings=Settings(slack_signing_secret="x", retention_days=10))
    run_purge(ctx)
    assert counts(db, workspace_id, "T0TASK")["workspaces"] == 1  # 8 days < 10
    ctx = JobContext(db=db, settings=Settings(slack_signing_secret="x", retention_days=7))
    run_purge(ctx)
    assert counts(db, workspace_id, "T0TASK") == dict.fromkeys(counts(db, workspace_id, "T0TASK"), 0)
    with db.session() as s:  # and it asked for its next run
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == PURGE_TASK,
                                                                       Outbox.status == "pending")) == 1


def test_uninstall_revokes_the_xero_connection(db: Database, database_url: str, xero_sb: XeroSandbox) -> None:
    connected = connect_workspace(db, xero_sb)
    with db.session() as s:
        team = s.get(Workspace, connected.workspace_id).slack_team_id  # type: ignore[union-attr]
        uninstall(s, team)
    ctx = JobContext(db=db, settings=xero_settings(xero_sb, database_url))
    revoke_after_uninstall(ctx, connected.workspace_id)
    revoke_after_uninstall(ctx, connected.workspace_id)  # a retried task: nothing more to do
    with db.session() as s:
        assert s.scalars(select(XeroConnection)).all() == []
        details = s.scalars(select(AuditLog.details).where(AuditLog.action == "xero.disconnected")).one()
    assert details["revoked"] is True and details["reason"] == "uninstalled"
    refused = httpx2.post(xero_sb.token_url, data={"grant_type": "refresh_token",
                                                   "refresh_token": connected.refresh_token},
                          auth=(xero_sb.client_id, xero_sb.client_secret))
    assert refused.status_code == 400  # revoked at Xero, not only forgotten here


