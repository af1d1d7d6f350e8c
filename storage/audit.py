"""Who changed what: one row per privileged change, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditLog, Member


def audit(session: Session, actor: Member | None, action: str, target: str | None = None, *,
          workspace_id: int | None = None, **details: Any) -> None:
    ws = workspace_id if workspace_id is not None else (actor.workspace_id if actor else None)
    if ws is None:
        raise ValueError("audit entry needs a workspace")
    session.add(AuditLog(workspace_id=ws, actor_member_id=actor.id if actor else None, action=action,
                         target=target, details=details))
