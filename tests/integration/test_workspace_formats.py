"""The workspace's locale and the Xero organisation's currency on the real database (team/formats.py), and a use
case's text read with them (the fixed-budget burn line of timesheets/burn.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from errors import InvalidInput, PermissionDenied
from formats import Formats
from storage.db import Database
from storage.models import AuditLog, BillingMode, Client, Role, Workspace, XeroConnection
from storage.types import utcnow
from team.formats import set_locale, workspace_formats
from tests.support.catalog import World, make_member, make_project, member, seed_world
from timesheets.entries import EntryInput, log_entry

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Database) -> World:
    return seed_world(db)


def _connect(db: Database, workspace_id: int, currency: str) -> None:
    with db.session() as s:
        s.add(XeroConnection(workspace_id=workspace_id, connection_id=f"conn-{workspace_id}",
                             tenant_id=f"tenant-{workspace_id}", base_currency=currency, access_token="a",
                             refresh_token="r", access_expires_at=utcnow() + timedelta(minutes=30)))


def test_an_admin_picks_the_locale_and_only_that_workspace_reads_with_it(db: Database, world: World) -> None:
    with db.session() as s:
        admin = make_member(s, world.workspace_id, "UADMIN", role=Role.ADMIN)
        assert set_locale(s, admin, "de-DE") == "de-DE"
    _connect(db, world.workspace_id, "eur")
    with db.session() as s:
        assert workspace_formats(s, world.workspace_id) == Formats("de-DE", "EUR")
        assert workspace_formats(s, world.other_workspace_id) == Formats("en-US", None)  # the default, no Xero
        [logged] = s.scalars(select(AuditLog).where(AuditLog.action == "workspace.locale")).all()
        assert logged.workspace_id == world.workspace_id and logged.details == {"before": "en-US", "after": "de-DE"}


def test_members_and_managers_cannot_and_only_offered_locales_are_taken(db: Database, world: World) -> None:
    with db.session() as s:
        manager = make_member(s, world.workspace_id, "UMANAGER", role=Role.MANAGER)
        with pytest.raises(PermissionDenied):
            set_locale(s, member(s, world.alice_id), "en-GB")
        with pytest.raises(PermissionDenied):
            set_locale(s, manager, "en-GB")
        owner = make_member(s, world.workspace_id, "UOWNER", role=Role.OWNER)
        for bad in ("xx-XX", "", None, "de_DE"):
            with pytest.raises(InvalidInput):
                set_locale(s, owner, bad)
    with db.session() as s:
        workspace = s.get(Workspace, world.workspace_id)
        assert workspace is not None and workspace.locale == "en-US"


def test_a_burn_line_reads_in_the_workspaces_locale_and_currency(db: Database, world: World) -> None:
    with db.session() as s:
        client = s.get(Client, world.client_id)
        assert client is not None
        budget = make_project(s, client, "brand", "Brand refresh", billing_mode=BillingMode.FIXED_BUDGET,
                              budget="10000.00", hourly_rate="100.00").id
        set_locale(s, make_member(s, world.workspace_id, "UADMIN", role=Role.ADMIN), "de-DE")
    _connect(db, world.workspace_id, "EUR")
    with db.session() as s:
        entry = log_entry(s, member(s, world.alice_id), EntryInput(budget, date(2024, 3, 19), 12 * 60), now=NOW)
    assert entry.burn == "Brand refresh: 1.200,00\u00a0€ of 10.000,00\u00a0€ budget used (12%)"
    assert entry.day == "Di. 19 März"
