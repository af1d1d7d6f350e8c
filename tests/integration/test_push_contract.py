"""Contract (issue 8): every request the `invoice.push` task sends to Xero validates against Xero's OpenAPI
description — a time-entries invoice with tracking, item codes and a branding theme, a tax-Inclusive one, and the
reference lookup an ambiguous attempt makes before it creates again.

The requests are captured on the wire (the httpx transport is wrapped in this test only; none of our functions is
patched) and checked to be exactly the accounting calls the sandbox recorded, then validated with openapi-core
against ../shared/xero-openapi (patched at load for its one documented defect)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from invoicing.push_status import PUSH_TASK, push_dedupe_key
from invoicing.totals import totals
from jobs.registry import JobContext
from sandbox.xero import XeroSandbox
from storage import outbox
from storage.db import Database
from storage.models import Invoice, InvoiceLine, Member
from tests.support.catalog import add_entry
from tests.support.invoice_push import PUT_INVOICES, PushWorld, load, run_push
from tests.support.xero_openapi import Contract, require_specs

ACCOUNTING = "/api.xro/2.0"

# openapi-core cannot evaluate the spec's OAuth2 security scheme; our scopes are set in settings.py anyway
pytestmark = [
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
    pytest.mark.usefixtures("xero_openapi_files"),
]


@pytest.fixture
def xero_openapi_files() -> None:
    require_specs()


class Wire:
    """Every request any httpx2 client in this process sends, as it leaves for the server."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []

    def accounting(self) -> list[httpx2.Request]:
        return [r for r in self.requests if ACCOUNTING in r.url.path]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    captured = Wire()
    real = httpx2.HTTPTransport.handle_request

    def recording(transport: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
        request.read()  # the body as sent (the push sends bytes; reading a byte stream is idempotent)
        captured.requests.append(request)
        return real(transport, request)

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", recording)
    return captured


@pytest.fixture
def contract() -> Iterator[Contract]:
    checker = Contract()
    yield checker
    assert not checker.violations, checker.violations


def queue(db: Database, w: PushWorld, number: int, reference: str, *, line_amount_type: str,
          lines: list[dict[str, Any]], theme_id: str | None) -> int:
    """A queued time-entries invoice, its lines and reserved entries, and its push recorded (as in
    test_invoice_push.queue_invoice, with item codes, several tracking categories and a chosen tax mode)."""
    amounts = [(Decimal(li["quantity"]) * Decimal(li["unit"])).quantize(Decimal("0.01")) for li in lines]
    figures = totals(amounts, line_amount_type, Decimal("15"))  # OUTPUT2 is 15% GST: what the preview would say
    with db.session() as s:
        owner = s.get(Member, w.owner_id)
        assert owner is not None
        invoice = Invoice(workspace_id=w.ws.workspace_id, client_id=w.client_id, created_by_member_id=w.owner_id,
                          number=number, reference=reference, status="queued",
                          invoice_date=date(2026, 11, 1), due_date=date(2026, 11, 20), currency="NZD",
                          line_amount_type=line_amount_type, subtotal=figures.subtotal,
                          tax_total=figures.total_tax, total=figures.total,
                          settings_snapshot={"branding_theme_id": theme_id} if theme_id else {})
        s.add(invoice)
        s.flush()
        for position, li in enumerate(lines):
            quantity, unit = Decimal(li["quantity"]), Decimal(li["unit"])
            s.add(InvoiceLine(workspace_id=w.ws.workspace_id, invoice_id=invoice.id, position=position,
                              description=li["description"], quantity=quantity, unit_amount=unit,
                              line_amount=(quantity * unit).quantize(Decimal("0.01")), account_code="200",
                              tax_type="OUTPUT2", item_code=li.get("item_code"), tracking=li.get("tracking", [])))
            entry = add_entry(s, owner, w.project_id, date(2026, 10, 5 + position), 60, hourly_rate=li["unit"])
            entry.invoice_id = invoice.id
        outbox.record(s, PUSH_TASK, {"invoice_id": invoice.id}, workspace_id=w.ws.workspace_id,
                      dedupe_key=push_dedupe_key(invoice.id))
        return invoice.id


def body(request: httpx2.Request) -> dict[str, Any]:
    parsed = json.loads(request.content)
    assert isinstance(parsed, dict)
    return parsed


def test_every_request_the_push_sends_validates_against_xeros_openapi(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, wire: Wire, contract: Contract) -> None:
    tenant = push_world.ws.tenant_id
    xero_sb.reset_calls()

    # 1. Time entries, Exclusive: item codes, two tracking categories, a branding theme.
    tracked = queue(push_ctx.db, push_world, 101, "HC-0101 \"Oct\" \\ web", line_amount_type="Exclusive",
                    theme_id=push_world.theme_id,
                    lines=[{"description": "2026-10-05 Design review, 2.5 h", "quantity": "2.5000", "unit": "150.00",
                            "item_code": "CONSULT",
                            "tracking": [{"Name": "Region", "Option": "North"},
                                         {"Name": "Department", "Option": "Design"}]},
                           {"description": "2026-10-06 Build, 45 min", "quantity": "0.7500", "unit": "120.00",
                            "item_code": "DESIGN", "tracking": [{"Name": "Region", "Option": "South"}]}])
    assert run_push(push_ctx, tracked) == "done"

    # 2. Inclusive amounts, no theme, no item code, no tracking.
    inclusive = queue(push_ctx.db, push_world, 102, "HC-0102", line_amount_type="Inclusive", theme_id=None,
                      lines=[{"description": "2026-10-07 Support, 1 h 20 min", "quantity": "1.3333",
                              "unit": "172.50"}])
    assert run_push(push_ctx, inclusive) == "done"

    # 3. An ambiguous first attempt (500): the next run looks the reference up before creating again.
    looked_up = queue(push_ctx.db, push_world, 103, "HC-0103 \"retry\"", line_amount_type="Exclusive",
                      theme_id=push_world.theme_id,
                      lines=[{"description": "2026-10-08 Fixes", "quantity": "1.0000", "unit": "150.00",
                              "item_code": "CONSULT", "tracking": [{"Name": "Region", "Option": "North"}]}])
    xero_sb.faults.add(PUT_INVOICES, "500", count=1)
    assert run_push(push_ctx, looked_up) == "retry"
    assert run_push(push_ctx, looked_up) == "done"

    for invoice_id in (tracked, inclusive, looked_up):
        assert load(push_ctx.db, invoice_id).status == "pushed", load(push_ctx.db, invoice_id).error_message

    # What left us is what the sandbox received, call for call.
    sent = wire.accounting()
    received = [(c.method, c.path) for c in xero_sb.calls if c.path.startswith(ACCOUNTING)]
    assert [(r.method, r.url.path) for r in sent] == received
    assert [(r.method, r.url.path.removeprefix(ACCOUNTING)) for r in sent] == [
        ("PUT", "/Invoices"), ("PUT", "/Invoices"), ("PUT", "/Invoices"), ("GET", "/Invoices"), ("PUT", "/Invoices")]

    for request in sent:
        contract.check(request)
    assert len(contract.checked) == len(sent) == 5

    # The validated requests carry what the cases are about (so the spec really saw them).
    puts = [r for r in sent if r.method == "PUT"]
    assert all(r.url.params["summarizeErrors"] == "false" and r.headers.get("idempotency-key") for r in puts)
    [first] = body(puts[0])["Invoices"]
    assert first["Status"] == "DRAFT" and first["BrandingThemeID"] == push_world.theme_id
    assert first["LineAmountTypes"] == "Exclusive"
    assert [li["ItemCode"] for li in first["LineItems"]] == ["CONSULT", "DESIGN"]
    assert first["LineItems"][0]["Tracking"] == [{"Name": "Region", "Option": "North"},
                                                 {"Name": "Department", "Option": "Design"}]
    assert b'"Quantity":2.5000' in puts[0].content  # Decimals on the wire, exactly
    [second] = body(puts[1])["Invoices"]
    assert second["LineAmountTypes"] == "Inclusive" and "BrandingThemeID" not in second
    assert "ItemCode" not in second["LineItems"][0] and "Tracking" not in second["LineItems"][0]
    [lookup] = [r for r in sent if r.method == "GET"]
    assert lookup.url.params["where"] == 'Reference=="HC-0103 \\"retry\\""'

    drafts = {d["Reference"]: d for d in xero_sb.invoices(tenant)}
    assert {ref: d["Status"] for ref, d in drafts.items()} == {
        "HC-0101 \"Oct\" \\ web": "DRAFT", "HC-0102": "DRAFT", "HC-0103 \"retry\"": "DRAFT"}
    assert drafts["HC-0102"]["LineAmountTypes"] == "Inclusive"


def test_the_contract_check_catches_a_payload_the_spec_refuses(contract: Contract) -> None:
    """The check is not vacuous: a body Xero's schema refuses (Quantity as text) is reported."""
    request = httpx2.Request(
        "PUT", "https://api.xero.com/api.xro/2.0/Invoices", params={"summarizeErrors": "false"},
        headers={"xero-tenant-id": "00000000-0000-0000-0000-000000000000", "Authorization": "Bearer x",
                 "Content-Type": "application/json"},
        content=json.dumps({"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": "nope"},
                                          "LineItems": [{"Description": "d", "Quantity": "two"}]}]}).encode())
    contract.check(request)
    assert len(contract.violations) == 1
    contract.violations.clear()
