"""Invoice routes: create (PUT), upsert (POST), list and get, with ``summarizeErrors`` in both modes.

``summarizeErrors=false``: 200, every element carries ``StatusAttributeString``/``HasErrors``/
``ValidationErrors``. Default (true): any bad element makes the answer a 400 ``ValidationException``
listing the
bad elements, while the good ones are still created (which is why clients must not use that mode).
Listing without ``page`` leaves out line items, as Xero does; with ``page`` (100 per page) they are included.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from . import invoice_rules
from .accounting import ApiContext, ApiError
from .contacts import contact_json, save_one
from .dates import date_string, day_as_datetime, ms_date
from .models import Invoice, Line, Payment, Tenant
from .money import Rounder
from .responses import envelope, json_response, not_found, validation_error

PAGE_SIZE = 100


def _unitdp(ctx: ApiContext) -> int:
    return 4 if ctx.int_arg("unitdp") == 4 else 2


def line_json(line: Line, unitdp: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "LineItemID": line.line_id,
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitAmount": line.unit_amount.quantize(Decimal(10) ** -unitdp),
    }
    if line.item_code:
        row["ItemCode"] = line.item_code
    if line.account_code:
        row["AccountCode"] = line.account_code
    if line.tax_type:
        row["TaxType"] = line.tax_type
    row.update(
        {
            "TaxAmount": line.tax_amount,
            "LineAmount": line.line_amount,
            "Tracking": [dict(t) for t in line.tracking],
        }
    )
    return row


def _payment_json(payment: Payment) -> dict[str, Any]:
    return {"PaymentID": payment.payment_id, "Date": ms_date(day_as_datetime(payment.day)),
            "Amount": payment.amount}


def invoice_json(tenant: Tenant, inv: Invoice, *, unitdp: int = 2, lines: bool = True,
                 summary: bool = False) -> dict[str, Any]:
    """Xero's invoice; ``summary`` (``summaryOnly=true``) leaves out the heavy parts: lines, payments, credits."""
    contact = tenant.contacts.get(inv.contact_id)
    row: dict[str, Any] = {
        "Type": inv.type,
        "InvoiceID": inv.invoice_id,
        "InvoiceNumber": inv.number,
        "Reference": inv.reference,
    }
    if not summary:
        row.update({"Payments": [_payment_json(p) for p in inv.payments], "CreditNotes": [], "Prepayments": [],
                    "Overpayments": []})
    row.update({
        "AmountDue": inv.amount_due,
        "AmountPaid": inv.amount_paid,
        "AmountCredited": Decimal("0.00"),
        "CurrencyRate": Decimal("1.0000000000"),
        "IsDiscounted": False,
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": contact_json(contact, summary=True) if contact else {"ContactID": inv.contact_id},
        "DateString": date_string(inv.issue_date),
        "Date": ms_date(day_as_datetime(inv.issue_date)),
    })
    if inv.fully_paid_on:
        row["FullyPaidOnDate"] = ms_date(day_as_datetime(inv.fully_paid_on))
    if inv.due_date:
        row["DueDateString"] = date_string(inv.due_date)
        row["DueDate"] = ms_date(day_as_datetime(inv.due_date))
    if inv.branding_theme_id:
        row["BrandingThemeID"] = inv.branding_theme_id
    row.update({"Status": inv.status, "LineAmountTypes": inv.line_amount_types})
    if lines and not summary:
        row["LineItems"] = [line_json(line, unitdp) for line in inv.lines]
    row.update(
        {
            "SubTotal": inv.sub_total,
            "TotalTax": inv.total_tax,
            "Total": inv.total,
            "UpdatedDateUTC": ms_date(inv.updated),
            "CurrencyCode": inv.currency,
            "SentToContact": False,
        }
    )
    return row


def _where_record(tenant: Tenant, inv: Invoice) -> dict[str, Any]:
    record = invoice_json(tenant, inv, lines=False)
    record["Contact.ContactID"] = inv.contact_id
    record["Contact.Name"] = record["Contact"].get("Name", "")
    return record


def list_invoices(ctx: ApiContext) -> Response:
    tenant, unitdp = ctx.tenant, _unitdp(ctx)
    rows = list(tenant.invoices.values())
    for arg, attr in (
        ("IDs", "invoice_id"),
        ("InvoiceNumbers", "number"),
        ("ContactIDs", "contact_id"),
        ("Statuses", "status"),
    ):
        wanted = ctx.list_arg(arg)
        if wanted is not None:
            lowered = {w.lower() for w in wanted}
            rows = [i for i in rows if str(getattr(i, attr)).lower() in lowered]
    if ctx.flag("createdByMyApp"):
        rows = [i for i in rows if i.created_by_client == ctx.access.client_id]
    since = ctx.modified_since()
    if since is not None:
        rows = [i for i in rows if i.updated >= since]
    term = (ctx.arg("searchTerm") or "").strip().lower()
    if term:
        rows = [i for i in rows if term in i.number.lower() or term in i.reference.lower()]
    rows = ctx.filtered(rows, lambda i: _where_record(tenant, i))
    extra: dict[str, Any] = {}
    page = ctx.int_arg("page")
    size = ctx.int_arg("pageSize")
    if page is None and size is not None:
        page = 1  # Xero pages as soon as a pageSize is given
    with_lines = False
    if page is not None:
        size = size or PAGE_SIZE
        if page < 1 or size < 1 or size > 1000:
            raise ApiError(validation_error("page must be 1 or more and pageSize between 1 and 1000"))
        extra["pagination"] = {
            "page": page,
            "pageSize": size,
            "pageCount": -(-len(rows) // size),
            "itemCount": len(rows),
        }
        rows = rows[(page - 1) * size : page * size]
        with_lines = not ctx.flag("summaryOnly")
    summary = ctx.flag("summaryOnly")
    ctx.state.invoices_read(ctx.access.client_id, rows, f"GET /Invoices?{ctx.request.query_string.decode()}")
    items = [invoice_json(tenant, i, unitdp=unitdp, lines=with_lines, summary=summary) for i in rows]
    return json_response(envelope("Invoices", items, ctx.state.clock.now(), **extra))


def _find(tenant: Tenant, ident: str) -> Invoice | None:
    lowered = ident.lower()
    return next(
        (i for i in tenant.invoices.values() if lowered in (i.invoice_id.lower(), i.number.lower())), None
    )


def get_invoice(ctx: ApiContext) -> Response:
    inv = _find(ctx.tenant, ctx.params["id"])
    if inv is None:
        raise ApiError(not_found())
    ctx.state.invoices_read(ctx.access.client_id, [inv], f"GET /Invoices/{ctx.params['id']}")
    body = envelope("Invoices", [invoice_json(ctx.tenant, inv, unitdp=_unitdp(ctx))], ctx.state.clock.now())
    return json_response(body)


def _error_element(element: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The element echoed back with its errors (only fields that are safe to echo)."""
    row: dict[str, Any] = {}
    if str(element.get("Type", "")).upper() in invoice_rules.TYPES:
        row["Type"] = str(element["Type"]).upper()
    for key in ("InvoiceID", "InvoiceNumber", "Reference"):
        if isinstance(element.get(key), str):
            row[key] = element[key]
    contact = element.get("Contact")
    if isinstance(contact, dict) and isinstance(contact.get("ContactID"), str):
        row["Contact"] = {"ContactID": contact["ContactID"]}
    row.update(
        {
            "HasErrors": True,
            "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in errors],
        }
    )
    return row


def _save_one(ctx: ApiContext, element: dict[str, Any], unitdp: int) -> tuple[Invoice | None, list[str]]:
    tenant, state = ctx.tenant, ctx.state
    existing = None
    if element.get("InvoiceID"):
        existing = _find(tenant, str(element["InvoiceID"]))
        if existing is None:
            return None, [f"The InvoiceID '{element['InvoiceID']}' could not be found."]
        if existing.status in ("PAID", "VOIDED", "DELETED"):
            return None, [
                "This document cannot be edited as it has a payment or credit note allocated to it."
                if existing.status == "PAID"
                else "Invoice not of valid status for modification"
            ]
        element = {**_as_input(tenant, existing), **element}
    rounder = Rounder(state.settings.rounding)
    draft = invoice_rules.build(
        tenant,
        element,
        unitdp=unitdp,
        rounder=rounder,
        today=state.clock.now().date(),
        existing_id=existing.invoice_id if existing else None,
    )
    if draft.errors:
        return None, draft.errors
    contact = draft.contact
    if draft.contact_changes is not None:
        contact, errors = save_one(ctx, draft.contact_changes, contact.contact_id if contact else None)
        if contact is None:
            return None, errors
    assert contact is not None and draft.issue_date is not None
    now = state.clock.now()
    number = draft.number or (
        existing.number if existing else invoice_rules.next_number(tenant) if draft.type == "ACCREC" else ""
    )
    invoice = Invoice(
        existing.invoice_id if existing else invoice_rules.new_id(),
        draft.type,
        contact.contact_id,
        number,
        draft.reference,
        draft.status,
        draft.amount_types,
        draft.issue_date,
        draft.due_date,
        draft.theme_id,
        tenant.base_currency,
        draft.lines,
        draft.sub_total,
        draft.total_tax,
        draft.total,
        now,
        existing.created_by_client if existing else ctx.access.client_id,
    )
    if existing is None:
        changes = state.alterations.take("invoices")
        if changes:
            _alter(invoice, changes)
    tenant.invoices[invoice.invoice_id] = invoice
    if draft.type == "ACCREC" and not contact.is_customer:
        contact.is_customer = True
        state.contact_written(tenant, contact, created=False)
    state.webhooks.emit(tenant.tenant_id, "INVOICE", "UPDATE" if existing else "CREATE", invoice.invoice_id)
    return invoice, []


def _alter(invoice: Invoice, changes: dict[str, Any]) -> None:
    """An armed alteration (``faults.Alterations``): keep the new invoice with some fields changed."""
    texts = {"Status": "status", "Reference": "reference", "ContactID": "contact_id",
             "LineAmountTypes": "line_amount_types"}
    money = {"SubTotal": "sub_total", "TotalTax": "total_tax", "Total": "total"}
    for key, value in changes.items():
        if key in texts:
            setattr(invoice, texts[key], str(value))
        elif key in money:
            setattr(invoice, money[key], Decimal(str(value)))
        elif key == "DropLastLine" and value and invoice.lines:
            invoice.lines = invoice.lines[:-1]
        elif key == "LastLineAmount" and invoice.lines:
            invoice.lines[-1].line_amount = Decimal(str(value))


def _as_input(tenant: Tenant, inv: Invoice) -> dict[str, Any]:
    """An existing invoice as a request element, so POST can change only the fields it sends."""
    return {
        "Type": inv.type,
        "Contact": {"ContactID": inv.contact_id},
        "InvoiceNumber": inv.number,
        "Reference": inv.reference,
        "Status": inv.status,
        "LineAmountTypes": inv.line_amount_types,
        "Date": inv.issue_date.isoformat(),
        "DueDate": inv.due_date.isoformat() if inv.due_date else None,
        "BrandingThemeID": inv.branding_theme_id,
        "LineItems": [
            {
                "LineItemID": li.line_id,
                "Description": li.description,
                "Quantity": li.quantity,
                "UnitAmount": li.unit_amount,
                "AccountCode": li.account_code,
                "TaxType": li.tax_type,
                "ItemCode": li.item_code,
                "Tracking": li.tracking,
            }
            for li in inv.lines
        ],
    }


def save_invoices(ctx: ApiContext) -> Response:
    summarize = ctx.flag("summarizeErrors", default=True)
    unitdp = _unitdp(ctx)
    answers, failed = [], []
    for element in ctx.body_items("Invoices"):
        invoice, errors = _save_one(ctx, element, unitdp)
        if invoice is None:
            row = _error_element(element, errors)
            failed.append(row)
            answers.append(row)
            continue
        row = invoice_json(ctx.tenant, invoice, unitdp=unitdp)
        if not summarize:
            row["StatusAttributeString"] = "OK"
        answers.append(row)
    if failed and summarize:
        return validation_error("A validation exception occurred", failed)
    return json_response(envelope("Invoices", answers, ctx.state.clock.now()))
