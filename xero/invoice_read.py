"""Reading back the invoices Hour Cap created, and nothing else.

`GET /Invoices?createdByMyApp=true&summaryOnly=true&page=N&pageSize=1000` with `If-Modified-Since` (Xero's clock at
the previous read, less a minute of overlap, so a change committed mid-read is never missed): Xero answers with
only this app's invoices that changed since, in their light form. 1,000 changed invoices cost one call; nothing
changed costs one call with an empty page. Invoices someone else created never come back, so reading them is
impossible by construction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from xero.sync import CURSOR_OVERLAP, PAGE_SIZE, UnexpectedAnswer, XeroReader, if_modified_since, parse_xero_date

PATH = "/Invoices"
STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")


@dataclass(frozen=True)
class XeroInvoiceState:
    """One invoice as Xero last described it."""

    invoice_id: str
    number: str
    reference: str
    status: str
    subtotal: Decimal | None
    total_tax: Decimal | None
    total: Decimal | None
    amount_due: Decimal | None
    amount_paid: Decimal | None
    paid_on: date | None
    due_date: date | None
    updated_at: datetime | None


@dataclass(frozen=True)
class ReadResult:
    states: tuple[XeroInvoiceState, ...]
    calls: int
    cursor: datetime  # what to send as If-Modified-Since next time


def _money(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        return None


def _day(value: object) -> date | None:
    moment = parse_xero_date(value)
    return moment.date() if moment is not None else None


def parse_state(row: dict[str, Any]) -> XeroInvoiceState | None:
    """One element of Xero's answer; None when it has no id or an unknown status."""
    invoice_id = str(row.get("InvoiceID") or "").strip()
    status = str(row.get("Status") or "").strip().upper()
    if not invoice_id or status not in STATUSES:
        return None
    return XeroInvoiceState(
        invoice_id=invoice_id[:64], number=str(row.get("InvoiceNumber") or "").strip()[:64],
        reference=str(row.get("Reference") or "").strip()[:64], status=status,
        subtotal=_money(row.get("SubTotal")), total_tax=_money(row.get("TotalTax")), total=_money(row.get("Total")),
        amount_due=_money(row.get("AmountDue")), amount_paid=_money(row.get("AmountPaid")),
        paid_on=_day(row.get("FullyPaidOnDate")), due_date=_day(row.get("DueDate")),
        updated_at=parse_xero_date(row.get("UpdatedDateUTC")),
    )


def read_own_invoices(reader: XeroReader, since: datetime | None) -> ReadResult:
    """Every invoice this app created that changed since `since` (None: all of them), page by page."""
    headers = {"If-Modified-Since": if_modified_since(since)} if since is not None else {}
    states: list[XeroInvoiceState] = []
    page, calls = 1, 0
    cursor: datetime | None = None
    while True:
        response = reader.get(PATH, params={"createdByMyApp": "true", "summaryOnly": "true", "page": page,
                                            "pageSize": PAGE_SIZE}, headers=headers)
        calls += 1
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            raise UnexpectedAnswer("Xero's answer to /Invoices was not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("Invoices"), list):
            raise UnexpectedAnswer("Xero's answer to /Invoices has no Invoices list")
        if cursor is None:
            cursor = (parse_xero_date(body.get("DateTimeUTC")) or datetime.now(UTC)) - CURSOR_OVERLAP
        rows = [r for r in body["Invoices"] if isinstance(r, dict)]
        states += [s for s in (parse_state(r) for r in rows) if s is not None]
        pagination = body.get("pagination")
        page_count = pagination.get("pageCount") if isinstance(pagination, dict) else None
        if len(rows) < PAGE_SIZE or (isinstance(page_count, int) and page >= page_count):
            break
        page += 1
    assert cursor is not None
    return ReadResult(tuple(states), calls, cursor)
