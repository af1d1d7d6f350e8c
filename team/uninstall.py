"""Slack uninstalled Hour Cap from a workspace, or revoked some of its tokens.

`uninstall` runs in one transaction: the workspace's Slack tokens are deleted (every row of the installation
store's tables for the team), the workspace is marked uninstalled (its people are refused from then on, and the
retention clock of team/retention.py starts), the change is audited, and the `workspace.uninstalled` task is
recorded in the outbox for whatever must follow outside the database (the Xero side revokes its connection:
xero/tasks_uninstall.py). Nothing else is deleted: reinstalling within the retention period brings everything
back (`team.members.record_install` clears the mark).

`revoke_user_tokens` is for a `tokens_revoked` event naming people only: their user tokens go, the bot's stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ScalarSelect, delete, func, select, update
from sqlalchemy.orm import Session

from storage import outbox
from storage.audit import audit
from storage.models import AuditLog, Workspace, slack_bots, slack_installations
from storage.types import utcnow
from team.members import REINSTALLED, find_workspace

UNINSTALLED_TASK = "workspace.uninstalled"
UNINSTALLED = "workspace.uninstalled"  # the audit action (REINSTALLED: team.members.record_install)
USER_TOKEN_COLUMNS = ("user_token", "user_refresh_token", "user_token_expires_at", "user_scopes")


def delete_slack_tokens(session: Session, team_id: str) -> int:
    """Delete every stored installation and bot of `team_id` (their tokens with them); returns rows deleted.
    A Slack team id names one workspace across Slack, so it alone picks the rows."""
    deleted = 0
    for table in (slack_bots, slack_installations):
        deleted += int(getattr(session.execute(delete(table).where(table.c.team_id == team_id)), "rowcount", 0) or 0)
    return deleted


def uninstall(session: Session, team_id: str) -> Workspace | None:
    """Slack says Hour Cap is gone from `team_id`: tokens deleted now, data kept, follow-up work recorded.
    Idempotent: a second delivery deletes nothing more and records nothing more. None: a team we never knew."""
    delete_slack_tokens(session, team_id)
    workspace = find_workspace(session, team_id)
    if workspace is None or workspace.uninstalled_at is not None:
        return workspace
    workspace.uninstalled_at = utcnow()
    audit(session, None, UNINSTALLED, f"team:{team_id}", workspace_id=workspace.id)
    outbox.record(session, UNINSTALLED_TASK, {"workspace_id": workspace.id}, workspace_id=workspace.id,
                  dedupe_key=f"{UNINSTALLED_TASK}:{workspace.id}")
    return workspace


def revoke_user_tokens(session: Session, team_id: str, user_ids: Iterable[str]) -> int:
    """Forget the user tokens of `user_ids` in `team_id` (the installations stay, with the bot's token)."""
    wanted = [user_id for user_id in user_ids if isinstance(user_id, str) and user_id]
    if not wanted:
        return 0
    columns = {name: None for name in USER_TOKEN_COLUMNS if name in slack_installations.c}
    result = session.execute(update(slack_installations)
                             .where(slack_installations.c.team_id == team_id,
                                    slack_installations.c.user_id.in_(wanted))
                             .values(**columns))
    return int(getattr(result, "rowcount", 0) or 0)


def reinstalled_since_xero(session: Session, workspace_id: int) -> bool:
    """The workspace was reinstalled after an uninstall (which disconnected Xero) and Xero was not connected
    since: Home tells admins to connect it again."""
    def last(action: str) -> ScalarSelect[Any]:
        return select(func.max(AuditLog.created_at)).where(AuditLog.workspace_id == workspace_id,
                                                           AuditLog.action == action).scalar_subquery()

    reinstalled, connected = session.execute(select(last(REINSTALLED), last("xero.connected"))).one()
    return reinstalled is not None and (connected is None or connected < reinstalled)
