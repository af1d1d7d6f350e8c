"""The accountant's side of an invoice in the Xero stand-in: approve, submit, edit lines, part-pay, pay, void and
delete through the HTTP control API, each raising a signed INVOICE webhook event; and `GET /Invoices` with
`createdByMyApp`, `summaryOnly`, `page`/`pageSize` and `If-Modified-Since` as Xero documents them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from sandbox.xero import XeroSandbox
from sandbox.xero_consent import Connected, connect
from tests.support.xero_sandbox import Receiver, running_sandbox, webhook_receiver, xero_signature


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        sandbox.auto_consent = True
        yield sandbox


@pytest.fixture
def receiver(sb: XeroSandbox) -> Iterator[Receiver]:
    with webhook_receiver(sb.webhook_key) as rec:
        sb.set_webhook(rec.url)
        sb.webhooks.stop()  # deliveries counted here go out on flush() only
        yield rec


@pytest.fixture
def conn(sb: XeroSandbox) -> Connected:
    return connect(sb)


def control(sb: XeroSandbox, path: str, body: dict[str, Any] | None = None) -> httpx2.Response:
    return httpx2.post(f"{sb.base_url}/_sandbox/tenants/{sb.tenants.demo_tenant_id}{path}", json=body or {})


def draft(conn: Connected, sb: XeroSandbox, reference: str = "HC-0001", amount: str = "100.00") -> dict[str, Any]:
    contact = next(c.contact_id for c in sb.contacts(sb.tenants.demo_tenant_id) if c.name == "Acme Ltd")
    answer = conn.call("PUT", "/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": contact}, "Date": "2026-11-01", "DueDate": "2026-11-15",
        "LineAmountTypes": "Exclusive", "Reference": reference, "Status": "DRAFT",
        "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200",
                       "TaxType": "OUTPUT2"}]}]})
    assert answer.status_code == 200, answer.text
    return dict(json.loads(answer.content, parse_float=Decimal)["Invoices"][0])


def events(receiver: Receiver) -> list[tuple[str, str, str]]:
    out = []
    for body, _signature, good in receiver.received:
        assert good
        out += [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in json.loads(body)["events"]]
    return out


def test_each_change_moves_the_invoice_as_xero_does_and_raises_a_signed_invoice_event(
        sb: XeroSandbox, conn: Connected, receiver: Receiver) -> None:
    approved, deleted = draft(conn, sb, "HC-0001"), draft(conn, sb, "HC-0002")
    sb.webhooks.flush()
    receiver.received.clear()
    a, d = approved["InvoiceID"], deleted["InvoiceID"]

    assert control(sb, f"/invoices/{a}/submit").json()["Status"] == "SUBMITTED"
    edited = control(sb, f"/invoices/{a}/lines", {"lines": [
        {"Description": "Work", "Quantity": 2, "UnitAmount": "100.00", "AccountCode": "200", "TaxType": "OUTPUT2"}]})
    assert Decimal(str(edited.json()["Total"])) == Decimal("230.00")  # 200 + 15% GST, computed as Xero does
    approval = control(sb, f"/invoices/{a}/approve", {"number": "INV-0042"}).json()
    assert (approval["Status"], approval["InvoiceNumber"]) == ("AUTHORISED", "INV-0042")
    part = control(sb, f"/invoices/{a}/pay", {"amount": "30.00", "date": "2026-12-01"}).json()
    assert (part["Status"], Decimal(str(part["AmountPaid"])), Decimal(str(part["AmountDue"]))) == (
        "AUTHORISED", Decimal("30.00"), Decimal("200.00"))
    paid = control(sb, f"/invoices/{a}/pay", {"date": "2026-12-12"}).json()
    assert paid["Status"] == "PAID" and Decimal(str(paid["AmountDue"])) == 0 and "FullyPaidOnDate" in paid
    assert control(sb, f"/invoices/{d}/delete").json()["Status"] == "DELETED"

    assert sb.webhooks.flush() == 1
    assert events(receiver) == [("INVOICE", "UPDATE", a)] * 5 + [("INVOICE", "UPDATE", d)]
    body, signature, _ = receiver.received[0]
    assert signature == xero_signature(body, sb.webhook_key)


def test_xero_refuses_moves_it_does_not_allow(sb: XeroSandbox, conn: Connected) -> None:
    invoice = draft(conn, sb)["InvoiceID"]
    assert control(sb, f"/invoices/{invoice}/void").status_code == 400  # a draft is deleted, not voided
    assert control(sb, f"/invoices/{invoice}/pay", {"amount": "1"}).status_code == 400  # not approved yet
    control(sb, f"/invoices/{invoice}/approve")
    assert control(sb, f"/invoices/{invoice}/delete").status_code == 400  # approved: voided, not deleted
    control(sb, f"/invoices/{invoice}/pay", {"amount": "10"})
    assert control(sb, f"/invoices/{invoice}/void").status_code == 400  # payments first
    voided = control(sb, f"/invoices/{invoice}/void", {"remove_payments": True}).json()
    assert voided["Status"] == "VOIDED" and Decimal(str(voided["AmountPaid"])) == 0
    assert control(sb, f"/invoices/{invoice}/approve").status_code == 400  # final


def test_created_by_my_app_lists_only_the_apps_own_invoices_and_the_sandbox_notices_any_other_read(
        sb: XeroSandbox, conn: Connected) -> None:
    ours = draft(conn, sb)["InvoiceID"]
    theirs = control(sb, "/invoices", {"amount": "99.00", "reference": "BOOKKEEPER"}).json()["InvoiceIDs"]
    own = conn.call("GET", "/Invoices", params={"createdByMyApp": "true", "summaryOnly": "true"}).json()
    assert [i["InvoiceID"] for i in own["Invoices"]] == [ours]
    assert sb.foreign_invoice_reads == []

    everything = conn.call("GET", "/Invoices").json()["Invoices"]
    assert {i["InvoiceID"] for i in everything} == {ours, *theirs}
    assert [(i, r.split("?")[0]) for _c, i, r in sb.foreign_invoice_reads] == [(theirs[0], "GET /Invoices")]
    assert httpx2.get(f"{sb.base_url}/_sandbox/foreign-invoice-reads").json()[0]["invoice_id"] == theirs[0]
    httpx2.delete(f"{sb.base_url}/_sandbox/foreign-invoice-reads")
    assert sb.foreign_invoice_reads == []


def test_summary_only_pages_and_if_modified_since(sb: XeroSandbox, conn: Connected) -> None:
    first = [draft(conn, sb, f"HC-{n:04d}")["InvoiceID"] for n in range(1, 6)]
    sb.clock.advance(120)
    since = sb.clock.now()
    sb.clock.advance(5)
    control(sb, f"/invoices/{first[1]}/approve")
    control(sb, f"/invoices/{first[3]}/delete")

    page = conn.call("GET", "/Invoices", params={"createdByMyApp": "true", "summaryOnly": "true", "page": 1,
                                                 "pageSize": 2}).json()
    assert page["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 3, "itemCount": 5}
    assert len(page["Invoices"]) == 2
    row = page["Invoices"][0]
    assert "LineItems" not in row and "Payments" not in row
    assert {"InvoiceID", "InvoiceNumber", "Reference", "Status", "Total", "SubTotal", "TotalTax", "AmountDue",
            "AmountPaid", "DueDate", "UpdatedDateUTC"} <= set(row)
    last = conn.call("GET", "/Invoices", params={"createdByMyApp": "true", "page": 3, "pageSize": 2}).json()
    assert len(last["Invoices"]) == 1 and "LineItems" in last["Invoices"][0]  # paged without summaryOnly: lines

    changed = conn.call("GET", "/Invoices", params={"createdByMyApp": "true", "summaryOnly": "true", "page": 1,
                                                    "pageSize": 1000},
                        headers={"If-Modified-Since": since.replace(microsecond=0).isoformat()}).json()
    assert {(i["InvoiceID"], i["Status"]) for i in changed["Invoices"]} == {(first[1], "AUTHORISED"),
                                                                           (first[3], "DELETED")}
