"""Syncing from Xero against the Xero stand-in over real HTTP: what is kept, how few calls it
costs, incremental contacts, and every request checked against Xero's OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from sandbox.xero import XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace
from storage.db import Database
from storage.models import (
    XeroAccount,
    XeroBrandingTheme,
    XeroConnection,
    XeroContact,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from tests.support.xero_openapi import accounting_spec, as_xero_request, validate_answer
from xero import sync
from xero.sync import RESOURCES, sync_resource

CONTACTS_PATH = "/api.xro/2.0/Contacts"
DEMO_ACTIVE_CONTACTS = 6  # the demo organisation's own active contacts (plus one archived)


class TokenReader:
    """The smallest XeroReader: the sandbox access token and tenant header, raise on non-2xx, keep every answer."""

    def __init__(self, sb: XeroSandbox, conn: ConnectedWorkspace) -> None:
        self.answers: list[httpx2.Response] = []
        self.http = httpx2.Client(base_url=sb.api_url + "/", timeout=30, headers={
            "Authorization": f"Bearer {conn.access_token}", "xero-tenant-id": conn.tenant_id,
            "Accept": "application/json"})

    def get(self, path: str, *, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> httpx2.Response:
        response = self.http.get(path.lstrip("/"), params=dict(params or {}), headers=dict(headers or {}))
        self.answers.append(response)
        response.raise_for_status()
        return response


@pytest.fixture
def reader(xero_sb: XeroSandbox, connected: ConnectedWorkspace) -> Iterator[TokenReader]:
    token_reader = TokenReader(xero_sb, connected)
    yield token_reader
    token_reader.http.close()


def _all(db: Database, model: Any, workspace_id: int) -> list[Any]:
    with db.session() as session:
        return list(session.scalars(select(model).where(model.workspace_id == workspace_id)))


def _contacts(db: Database, workspace_id: int) -> dict[str, XeroContact]:
    return {c.contact_id: c for c in _all(db, XeroContact, workspace_id)}


def _contact_calls(sb: XeroSandbox, conn: ConnectedWorkspace) -> int:
    return sb.call_count(CONTACTS_PATH, conn.tenant_id)


def test_first_run_keeps_only_what_invoices_use_one_call_per_resource(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, reader: TokenReader
) -> None:
    tenant = connected.tenant_id
    xero_sb.seed_contacts(tenant, 2500 - DEMO_ACTIVE_CONTACTS)
    xero_sb.clock.advance(300)
    xero_sb.reset_calls()
    results = {r: sync_resource(db, reader, connected.workspace_id, r) for r in RESOURCES}

    assert {r: results[r].calls for r in RESOURCES} == {**{r: 1 for r in RESOURCES}, "contacts": 3}
    assert len(xero_sb.calls) == len(RESOURCES) + 2, [c.path for c in xero_sb.calls]
    assert _contact_calls(xero_sb, connected) == 3

    contacts = _contacts(db, connected.workspace_id)
    active_in_xero = {c.contact_id: c.name for c in xero_sb.contacts(tenant) if c.status == "ACTIVE"}
    assert len(contacts) == 2500 and {k: c.name for k, c in contacts.items()} == active_in_xero
    assert all(c.active and c.name_key == " ".join(c.name.split()).casefold() for c in contacts.values())
    assert "Old Client Ltd" not in {c.name for c in contacts.values()}  # archived: not on a first run

    with db.session() as session:
        conn = session.scalars(select(XeroConnection).where(
            XeroConnection.workspace_id == connected.workspace_id)).one()
        assert (conn.tenant_name, conn.short_code, conn.base_currency, conn.timezone) == (
            "Demo Company (NZ)", "!Hx9Qz", "NZD", "NEWZEALANDSTANDARDTIME")

    accounts = {a.code for a in _all(db, XeroAccount, connected.workspace_id)}
    assert accounts == {"200", "210", "260"}  # not expense/asset (400, 090), archived (270), system (610, 860)
    taxes = {t.tax_type: t for t in _all(db, XeroTaxRate, connected.workspace_id)}
    assert set(taxes) == {"OUTPUT2", "ZERORATED", "NONE", "TAX001"}  # not INPUT2 (expenses), not OUTPUT (archived)
    assert str(taxes["OUTPUT2"].effective_rate.normalize()) == "15"
    items = {i.code: i for i in _all(db, XeroItem, connected.workspace_id)}
    assert set(items) == {"CONSULT", "DESIGN", "SUPPORT-RETAINER"}  # PAPER is not sold
    consult = items["CONSULT"]
    assert (str(consult.sales_unit_price), consult.sales_account_code, consult.sales_tax_type) == (
        "150.0000", "210", "OUTPUT2")
    categories = {c.category_id: c.name for c in _all(db, XeroTrackingCategory, connected.workspace_id)}
    assert sorted(categories.values()) == ["Department", "Region"]  # Legacy Cost Centre is archived
    options = {(categories[o.category_id], o.name) for o in _all(db, XeroTrackingOption, connected.workspace_id)}
    assert options == {("Region", "North"), ("Region", "South"), ("Department", "Design"),
                       ("Department", "Engineering")}  # West is archived
    themes = sorted((t.sort_order, t.name) for t in _all(db, XeroBrandingTheme, connected.workspace_id))
    assert themes == [(0, "Standard"), (1, "Special Projects"), (2, "Very orange invoice!")]


def test_contacts_incremental_only_changes_come_back_archivals_noticed(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, reader: TokenReader
) -> None:
    tenant, ws = connected.tenant_id, connected.workspace_id
    ids = xero_sb.seed_contacts(tenant, 1200)
    xero_sb.clock.advance(300)
    first = sync.sync_contacts(db, reader, ws, since=None)
    assert first.calls == 2 and first.kept == 1200 + DEMO_ACTIVE_CONTACTS and first.cursor is not None

    xero_sb.clock.advance(120)
    xero_sb.rename_contact(tenant, ids[0], "Renamed   Contact  Ltd")
    xero_sb.archive_contact(tenant, ids[1])
    added = xero_sb.add_contact(tenant, "Brand New Co")
    xero_sb.clock.advance(300)
    xero_sb.reset_calls()
    second = sync.sync_contacts(db, reader, ws, since=first.cursor)
    assert second.calls == 1 and second.kept == 3 and second.removed == 0
    request = reader.answers[-1].request
    assert request.headers["If-Modified-Since"] == sync.if_modified_since(first.cursor)
    assert request.url.params["includeArchived"] == "true" and "where" not in request.url.params
    assert request.url.params["summaryOnly"] == "true" and request.url.params["pageSize"] == "1000"

    contacts = _contacts(db, ws)
    assert contacts[ids[0]].name == "Renamed   Contact  Ltd" and contacts[ids[0]].name_key == "renamed contact ltd"
    assert contacts[ids[0]].active and not contacts[ids[1]].active
    assert contacts[added].name == "Brand New Co" and contacts[added].active
    assert len(contacts) == 1200 + DEMO_ACTIVE_CONTACTS + 1

    xero_sb.clock.advance(120)
    xero_sb.reset_calls()
    assert second.cursor is not None and second.cursor > first.cursor
    unchanged = sync.sync_contacts(db, reader, ws, since=second.cursor)
    assert (unchanged.calls, unchanged.kept) == (1, 0)
    assert _contact_calls(xero_sb, connected) == 1


def test_full_contacts_run_stops_at_the_last_page_and_retires_what_xero_no_longer_lists(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, reader: TokenReader
) -> None:
    tenant, ws = connected.tenant_id, connected.workspace_id
    ids = xero_sb.seed_contacts(tenant, 2000 - DEMO_ACTIVE_CONTACTS)
    xero_sb.clock.advance(300)
    first = sync.sync_contacts(db, reader, ws, since=None)
    assert first.calls == 2, "a full last page ends the run by the pagination object, not by one more call"
    xero_sb.archive_contact(tenant, ids[5])
    again = sync.sync_contacts(db, reader, ws, since=None)  # e.g. the cursor was lost
    assert (again.calls, again.removed) == (2, 1)
    assert not _contacts(db, ws)[ids[5]].active


def test_full_refresh_resources_delete_what_xero_stopped_returning(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, reader: TokenReader
) -> None:
    ws = connected.workspace_id
    for resource in ("items", "tracking", "branding_themes"):
        sync_resource(db, reader, ws, resource)
    org = xero_sb.state.tenants[connected.tenant_id]
    with xero_sb.state.data_lock:
        org.items = [i for i in org.items if i.code != "DESIGN"]
        org.themes = org.themes[:1]
        org.tracking[0].options[1].status = "ARCHIVED"  # Region / South
    results = [sync_resource(db, reader, ws, r) for r in ("items", "tracking", "branding_themes")]
    assert [r.removed for r in results] == [1, 1, 2]
    assert {i.code for i in _all(db, XeroItem, ws)} == {"CONSULT", "SUPPORT-RETAINER"}
    assert {o.name for o in _all(db, XeroTrackingOption, ws)} == {"North", "Design", "Engineering"}
    assert [t.name for t in _all(db, XeroBrandingTheme, ws)] == ["Standard"]


def test_workspaces_never_see_each_others_rows(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, reader: TokenReader
) -> None:
    other = connect_workspace(db, xero_sb, tenant_id=xero_sb.tenants.second_tenant_id)
    other_reader = TokenReader(xero_sb, other)
    try:
        for resource in RESOURCES:
            sync_resource(db, reader, connected.workspace_id, resource)
            sync_resource(db, other_reader, other.workspace_id, resource)
        assert [c.name for c in _all(db, XeroContact, other.workspace_id)] == ["Harbour Holdings"]
        assert len(_all(db, XeroContact, connected.workspace_id)) == DEMO_ACTIVE_CONTACTS
        assert {i.code for i in _all(db, XeroItem, other.workspace_id)} == {"HOURS"}
        sync_resource(db, other_reader, other.workspace_id, "items")  # a re-run does not disturb the other
        assert len(_all(db, XeroItem, connected.workspace_id)) == 3
    finally:
        other_reader.http.close()


# -- contract: every request we sent is one Xero's OpenAPI description accepts -------------------------------------
def test_every_sync_request_validates_against_xero_openapi(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, reader: TokenReader
) -> None:
    accounting = accounting_spec()  # skips loudly (fails under HOURCAP_REQUIRE_SERVICES=1) without the files
    xero_sb.seed_contacts(connected.tenant_id, 1500)
    xero_sb.clock.advance(300)
    first = sync.sync_contacts(db, reader, connected.workspace_id, since=None)
    sync.sync_contacts(db, reader, connected.workspace_id, since=first.cursor)
    for resource in RESOURCES:
        if resource != "contacts":
            sync_resource(db, reader, connected.workspace_id, resource)
    assert len(reader.answers) == 3 + len(RESOURCES) - 1
    for answer in reader.answers:
        assert answer.status_code == 200, answer.request.url
        accounting.validate_request(as_xero_request(answer))
        validate_answer(accounting, answer)
