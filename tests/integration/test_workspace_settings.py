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

Setter = Callable[[Session, Member, Any], Any]
SWITCHES: list[tuple[Setter, str, Any]] = [
    (set_locale, "locale", "en-GB"),
    (set_monthly_summary, "monthly_summary", True),
    (set_invoice_approved_only, "invoice_approved_only", True),
    (set_release_mode, "release_dead_drafts", "auto"),
]


@pytest.fixture
def world(db: Database) -> World:
    return seed_world(db)


@pytest.mark.parametrize(("setter", "column", "value"), SWITCHES, ids=[column for _, column, _ in SWITCHES])
def test_a_switch_is_refused_to_members_and_audited_once_per_change(db: Database, world: World, setter: Setter,
                                                                   column: str, value: Any) -> None:
    with db.session() as s:
        before = getattr(s.get(Workspace, world.workspace_id), column)
        assert before != value
        with pytest.raises(PermissionDenied):
            setter(s, member(s, world.alice_id), value)
    with db.session() as s:
        assert getattr(s.get(Workspace, world.workspace_id), column) == before
        assert s.scalars(select(AuditLog).where(AuditLog.action == f"workspace.{column}")).all() == []
        owner = make_member(s, world.workspace_id, "UOWNER", role=Role.OWNER)
        assert setter(s, owner, value) == value
        assert setter(s, owner, value) == value  # the same value again: nothing to record
    with db.session() as s:
        assert getattr(s.get(Workspace, world.workspace_id), column) == value
        assert getattr(s.get(Workspace, world.other_workspace_id), column) == before
        [logged] = s.scalars(select(AuditLog).where(AuditLog.action == f"workspace.{column}")).all()
        assert logged.workspace_id == world.workspace_id
        assert logged.target == f"workspace:{world.workspace_id}"
        assert logged.details == {"before": before, "after": value}
