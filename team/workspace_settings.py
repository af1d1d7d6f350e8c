"""One way to change a workspace-wide setting: check the actor's permission, write the column, and audit the change.

The settings themselves live with what they govern (the locale and date order in `team.formats`, approvals and
the review channel in `timesheets.approvals`, approved-only invoicing in `invoicing.approved_only`, the monthly
summary in `reports.monthly_summary`, dead drafts in `invoicing.release`); each declares its permission and
column and leaves the bookkeeping here, so every switch on Home is audited the same way: action
``workspace.<column>`` (or the setting's own older name), target ``workspace:<id>``, the value before and after,
and nothing written when the value does not change.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.audit import audit
from storage.models import Member, Workspace
from team.roles import Permission, require

Value = TypeVar("Value")


def change_setting(session: Session, actor: Member, permission: Permission,
                   column: InstrumentedAttribute[Value], value: Value, *, action: str | None = None) -> Value:
    """Set ``column`` of the actor's workspace to ``value`` if the actor holds ``permission``; returns ``value``.
    ``action`` names the audit entry where it predates this helper (default ``workspace.<column>``)."""
    require(actor, permission)
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    before = getattr(workspace, column.key)
    if before != value:
        audit(session, actor, action or f"workspace.{column.key}", f"workspace:{workspace.id}", before=before,
              after=value)
        setattr(workspace, column.key, value)
    return value
