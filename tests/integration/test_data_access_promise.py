"""The data-access promise (README: "connecting Xero"; issues 8 and 14): Hour Cap reads only Organisation, Contacts,
Items, TrackingCategories, Accounts, TaxRates and BrandingThemes, Invoices by Reference for the push's lookup, and
— the one read following its drafts adds — the invoices it created itself
(`GET /Invoices?createdByMyApp=true&summaryOnly=true&page=1&pageSize=1000`); it writes only draft invoices
(PUT /Invoices with Status DRAFT) and new contacts (PUT /Contacts).

One realistic flow against one Xero sandbox — connect, a full `xero.sync` of every resource, "Create in Xero" for a
client, a pushed invoice, one that failed after Xero kept erroring and was retried by a manager, and two reads of
our own invoices after the accountant approved one — then every call the sandbox recorded is held to the promise,
and the sandbox confirms no answer showed Hour Cap an invoice it did not create. The request bodies and query
strings are read on the wire (the httpx transport is wrapped in this test only), and the sandbox's own data
confirms it: every invoice in it from us was sent as a DRAFT, and nothing that existed before was changed."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from invoicing.push_status import retry_invoice
from invoicing.tasks_follow import follow as follow_invoices
from jobs.registry import JobContext
from sandbox.xero import XeroSandbox
from storage.models import Client
from tests.support.catalog import make_client
from tests.support.invoice_push import PUT_INVOICES, PushWorld, actor, load, queue_invoice, run_push
from xero import tasks_sync as tasks_xero_sync
from xero.mapping import create_in_xero
from xero.push import reference_filter
from xero.sync import RESOURCES

ACCOUNTING = "/api.xro/2.0"
READS = {"/Organisation", "/Contacts", "/Items", "/TrackingCategories", "/Accounts", "/TaxRates", "/BrandingThemes"}
WRITES = {("PUT", "/Invoices"), ("PUT", "/Contacts")}
LOOKUP = ("GET", "/Invoices")  # only filtered by Reference, or our own invoices (createdByMyApp)
OWN_INVOICES = {"createdByMyApp": "true", "summaryOnly": "true", "page": "1", "pageSize": "1000"}
# Connecting (OAuth consent, tokens, the tenant list): the identity side, never organisation data.
IDENTITY = re.compile(r"^(GET|POST) /identity/|^GET /connections$|^(GET|POST) /(login|consent|authorize)\b",
                      re.IGNORECASE)


class Wire:
    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []

    def accounting(self) -> list[httpx2.Request]:
        return [r for r in self.requests if ACCOUNTING in r.url.path]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    """Every request an httpx2 client in this process sends (Hour Cap's Xero client included), with its body."""
    captured = Wire()
    real = httpx2.HTTPTransport.handle_request

    def recording(transport: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
        request.read()
        captured.requests.append(request)
        return real(transport, request)

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", recording)
    yield captured


def contact_state(sb: XeroSandbox, tenant: str) -> dict[str, dict[str, Any]]:
    return {c.contact_id: dataclasses.asdict(c) for c in sb.contacts(tenant)}


def invoice_state(sb: XeroSandbox, tenant: str) -> dict[str, dict[str, Any]]:
    return {i["InvoiceID"]: i for i in sb.invoices(tenant)}


def bookkeepers_invoice(sb: XeroSandbox, w: PushWorld) -> str:
    """An invoice someone made in Xero themselves (not Hour Cap): it must come out of the flow untouched, and
    unread."""
    answer = httpx2.post(f"{sb.base_url}/_sandbox/tenants/{w.ws.tenant_id}/invoices",
                         json={"amount": "99.00", "reference": "BOOKKEEPER-1", "contact_id": w.contact_id})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["InvoiceIDs"][0])


def test_hour_cap_reads_only_what_it_promises_and_writes_only_drafts_and_new_contacts(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, wire: Wire) -> None:
    tenant = push_world.ws.tenant_id
    assert push_ctx.settings is not None
    setup_start = len(xero_sb.calls)
    theirs = bookkeepers_invoice(xero_sb, push_world)
    setup_calls = range(setup_start, len(xero_sb.calls))
    wire.requests.clear()
    contacts_before = contact_state(xero_sb, tenant)
    invoices_before = invoice_state(xero_sb, tenant)

    # A full sync: the xero.sync task for every resource.
    for resource in RESOURCES:
        tasks_xero_sync.sync(push_ctx, push_world.ws.workspace_id, resource, reason="connected")

    # "Create in Xero" for a client that has no contact yet.
    with push_ctx.db.session() as s:
        new_client = make_client(s, push_world.ws.workspace_id, "Harbour Bakery").id
        manager = actor(s, push_world.manager_id)
    created = create_in_xero(push_ctx.db, push_ctx.settings, manager, new_client)
    assert created is not None

    # A pushed invoice.
    pushed = queue_invoice(push_ctx.db, push_world, status_message=False)
    assert run_push(push_ctx, pushed) == "done" and load(push_ctx.db, pushed).status == "pushed"

    # One that failed (Xero kept erroring), retried by a manager: looked up by reference, then created once.
    xero_sb.faults.add(PUT_INVOICES, "500", count=4)
    retried = queue_invoice(push_ctx.db, push_world, status_message=False)
    assert [run_push(push_ctx, retried) for _ in range(4)] == ["retry", "retry", "retry", "done"]
    assert load(push_ctx.db, retried).status == "failed"
    with push_ctx.db.session() as s:
        retry_invoice(s, actor(s, push_world.manager_id), retried)
    assert run_push(push_ctx, retried) == "done" and load(push_ctx.db, retried).status == "pushed"

    # Following the drafts: the accountant approves one; two reads of our own invoices (the second incremental).
    follow_invoices(push_ctx, push_world.ws.workspace_id, reason="refresh")
    xero_sb.clock.advance(120)
    xero_sb.change_invoice(tenant, load(push_ctx.db, pushed).xero_invoice_id or "", "approve")
    follow_invoices(push_ctx, push_world.ws.workspace_id, reason="webhook")
    assert load(push_ctx.db, pushed).xero_status == "AUTHORISED"
    assert xero_sb.foreign_invoice_reads == []

    # -- every call the sandbox recorded (the test's own setup call aside) ------------------------------------------
    calls = [c for i, c in enumerate(xero_sb.calls) if i not in setup_calls]
    labels = [f"{c.method} {c.path}" for c in calls]
    accounting = [(c.method, c.path[len(ACCOUNTING):]) for c in calls if c.path.startswith(ACCOUNTING)]
    others = [label for label in labels if not label.split(" ", 1)[1].startswith(ACCOUNTING)]
    assert all(IDENTITY.search(label) for label in others), others
    assert not [c for c in calls if c.method in ("POST", "DELETE", "PATCH") and c.path.startswith(ACCOUNTING)]
    allowed = {("GET", p) for p in READS} | WRITES | {LOOKUP}
    assert set(accounting) <= allowed, sorted(set(accounting) - allowed)
    # ...and the flow really exercised the promise's whole surface.
    assert {p for m, p in accounting if m == "GET"} == READS | {"/Invoices"}
    assert set(accounting) >= WRITES

    # -- what was sent, read on the wire: the same calls, and their bodies and filters --------------------------
    sent = wire.accounting()
    assert [(r.method, r.url.path[len(ACCOUNTING):]) for r in sent] == accounting
    invoice_puts = [r for r in sent if (r.method, r.url.path) == ("PUT", f"{ACCOUNTING}/Invoices")]
    assert len(invoice_puts) == 6  # pushed: 1; retried: 4 refused with 500, then 1
    for request in invoice_puts:
        elements = json.loads(request.content)["Invoices"]
        assert elements and all(e["Status"] == "DRAFT" and e["Type"] == "ACCREC" for e in elements)
        assert all(set(e["Contact"]) == {"ContactID"} for e in elements)  # any other field would edit the contact
        assert all("InvoiceID" not in e for e in elements)  # never an update of an existing invoice
    contact_puts = [r for r in sent if (r.method, r.url.path) == ("PUT", f"{ACCOUNTING}/Contacts")]
    assert [json.loads(r.content)["Contacts"] for r in contact_puts] == [[{"Name": "Harbour Bakery"}]]
    lookups = [r for r in sent if (r.method, r.url.path) == ("GET", f"{ACCOUNTING}/Invoices")]
    retried_reference = load(push_ctx.db, retried).reference
    by_reference = [r for r in lookups if dict(r.url.params) == {"where": reference_filter(retried_reference)}]
    own = [r for r in lookups if dict(r.url.params) == OWN_INVOICES]
    assert by_reference and len(own) == 2 and len(by_reference) + len(own) == len(lookups)
    assert "If-Modified-Since" not in own[0].headers and "If-Modified-Since" in own[1].headers

    # -- the sandbox's data: drafts and one new contact added, nothing that existed changed ----------------------
    invoices_after = invoice_state(xero_sb, tenant)
    assert {k: invoices_after[k] for k in invoices_before} == invoices_before
    assert invoices_before[theirs]["Status"] == "AUTHORISED"
    ours = {k: v for k, v in invoices_after.items() if k not in invoices_before}
    # Drafts, both; the accountant (not Hour Cap) approved the first in Xero.
    assert {k: v["Status"] for k, v in ours.items()} == {load(push_ctx.db, pushed).xero_invoice_id: "AUTHORISED",
                                                         load(push_ctx.db, retried).xero_invoice_id: "DRAFT"}
    with push_ctx.db.session() as s:
        assert set(ours) == {load(push_ctx.db, pushed).xero_invoice_id, load(push_ctx.db, retried).xero_invoice_id}
        linked = s.get(Client, new_client)
        assert linked is not None
    contacts_after = contact_state(xero_sb, tenant)
    assert {k: contacts_after[k] for k in contacts_before} == contacts_before
    [added] = [v for k, v in contacts_after.items() if k not in contacts_before]
    assert added["name"] == "Harbour Bakery" and linked.xero_contact_id == added["contact_id"]
