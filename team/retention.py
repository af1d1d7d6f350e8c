"""Purging what Hour Cap holds for a workspace uninstalled longer ago than the retention period.

The periodic task `retention.purge` (hourly) finds workspaces whose `uninstalled_at` is older than
`HOURCAP_RETENTION_DAYS` and deletes, for each one in its own transaction, every row of every table that belongs
to it — the audit log included — children before parents (the metadata's dependency order, reversed), then the
installation store's rows for its Slack team and the workspace row itself. The tables are read from the
metadata, so a table added later is purged without touching this module; `UNSCOPED_TABLES` names the few that
hold no workspace's data (tests/integration/test_uninstall_retention.py fails on a table in neither group).

A workspace reinstalled meanwhile has no `uninstalled_at` any more and is not touched; the condition is checked
again inside each workspace's transaction, so a reinstall racing the purge wins or loses whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, Table, delete, select
from sqlalchemy.orm import Session

from jobs.registry import JobContext, TaskRegistry
from settings import DEFAULT_RETENTION_DAYS
from storage import outbox
from storage.db import Database
from storage.models import Base, Workspace, slack_bots, slack_installations
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGE_TASK = "retention.purge"
EVERY = timedelta(hours=1)
# Tables that hold no workspace's rows: machinery (event receipts, pending OAuth states, Xero webhook deliveries,
# all pruned by age elsewhere) and the Slack installation store (keyed by team id: purged by it below).
UNSCOPED_TABLES = frozenset({"slack_event_receipts", "slack_oauth_states", "xero_webhook_events"})
TEAM_TABLES = (slack_bots, slack_installations)


@dataclass(frozen=True)
class Purged:
    workspace_id: int
    team_id: str
    rows: int


def scoped_tables() -> list[Table]:
    """Every table with a `workspace_id`, children before parents."""
    return [table for table in reversed(Base.metadata.sorted_tables) if "workspace_id" in table.c]


def due(session: Session, now: datetime, retention_days: int) -> list[int]:
    cutoff = now - timedelta(days=retention_days)
    return list(session.scalars(select(Workspace.id).where(Workspace.uninstalled_at.is_not(None),
                                                           Workspace.uninstalled_at <= cutoff)
                                .order_by(Workspace.id)))


def purge_workspace(session: Session, workspace_id: int, now: datetime, retention_days: int) -> Purged | None:
    """Delete all of one workspace's rows in `session`'s transaction; None when it is not (or no longer) due."""
    workspace = session.get(Workspace, workspace_id)
    cutoff = now - timedelta(days=retention_days)
    if workspace is None or workspace.uninstalled_at is None or workspace.uninstalled_at > cutoff:
        return None
    team_id = workspace.slack_team_id
    session.expunge(workspace)
    rows = 0
    for table in scoped_tables():
        rows += _deleted(session, delete(table).where(table.c.workspace_id == workspace_id))
    for table in TEAM_TABLES:
        rows += _deleted(session, delete(table).where(table.c.team_id == team_id))
    rows += _deleted(session, delete(Workspace).where(Workspace.id == workspace_id))
    return Purged(workspace_id, team_id, rows)


def _deleted(session: Session, statement: Delete) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def purge_expired(db: Database, retention_days: int, *, now: datetime | None = None) -> list[Purged]:
    """Purge every workspace uninstalled more than `retention_days` before `now`, one transaction each."""
    now = now or utcnow()
    with db.session() as session:
        candidates = due(session, now, retention_days)
    purged: list[Purged] = []
    for workspace_id in candidates:
        with db.session() as session:
            done = purge_workspace(session, workspace_id, now, retention_days)
        if done is not None:
            log.info("purged workspace %s (team %s): %d rows", done.workspace_id, done.team_id, done.rows)
            purged.append(done)
    return purged


def schedule_purge(session: Session, *, delay: timedelta | None = None) -> None:
    """Ask for the next purge run (a no-op when one is already waiting)."""
    outbox.record(session, PURGE_TASK, {}, workspace_id=None, dedupe_key=PURGE_TASK, delay=delay)


def run_purge(ctx: JobContext) -> None:
    days = ctx.settings.retention_days if ctx.settings is not None else DEFAULT_RETENTION_DAYS
    purge_expired(ctx.db, days)
    with ctx.db.session() as session:
        schedule_purge(session, delay=EVERY)


def register(tasks: TaskRegistry) -> None:
    tasks.add(PURGE_TASK, run_purge)
