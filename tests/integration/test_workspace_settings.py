"""Every workspace-wide switch goes through team/workspace_settings.py: refused without its permission (nothing
written), audited once per change with the value before and after, and not audited when the value stays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import PermissionDenied
from invoicing.approved_only import set_invoice_approved_only
from invoicing.release import set_release_mode
from reports.monthly_summary import set_monthly_summary
from storage.db import Database
from storage.models import AuditLog, Member, Role, Workspace
from team.formats import set_locale
from tests.support.catalog import World, make_member, member, seed_world
from timesheets.approvals import set_approvals, set_review_channel

Setter = Callable[[Session, Member, Any], Any]
SWITCHES: list[tuple[Setter, str, Any, str]] = [  # the use case, its column, a new value, its audit action
    (set_locale, "locale", "en-GB", "workspace.locale"),
    (set_monthly_summary, "monthly_summary", True, "workspace.monthly_summary"),
    (set_invoice_approved_only, "invoice_approved_only", True, "workspace.invoice_approved_only"),
    (set_release_mode, "release_dead_drafts", "auto", "workspace.release_dead_drafts"),
    (set_approvals, "approvals_enabled", True, "workspace.approvals"),
    (set_review_channel, "review_channel_id", "C0REVIEW", "workspace.review_channel"),
]


@pytest.fixture
def world(db: Database) -> World:
    return seed_world(db)


@pytest.mark.parametrize(("setter", "column", "value", "action"), SWITCHES, ids=[s[1] for s in SWITCHES])
def test_a_switch_is_refused_to_members_and_audited_once_per_change(db: Database, world: World, setter: Setter,
                                                                   column: str, value: Any, action: str) -> None:
    with db.session() as s:
        before = getattr(s.get(Workspace, world.workspace_id), column)
        assert before != value
        with pytest.raises(PermissionDenied):
            setter(s, member(s, world.alice_id), value)
    with db.session() as s:
        assert getattr(s.get(Workspace, world.workspace_id), column) == before
        assert s.scalars(select(AuditLog).where(AuditLog.action == action)).all() == []
        owner = make_member(s, world.workspace_id, "UOWNER", role=Role.OWNER)
        assert setter(s, owner, value) == value
        assert setter(s, owner, value) == value  # the same value again: nothing to record
    with db.session() as s:
        assert getattr(s.get(Workspace, world.workspace_id), column) == value
        assert getattr(s.get(Workspace, world.other_workspace_id), column) == before
        [logged] = s.scalars(select(AuditLog).where(AuditLog.action == action)).all()
        assert logged.workspace_id == world.workspace_id
        assert logged.target == f"workspace:{world.workspace_id}"
        assert logged.details == {"before": before, "after": value}
