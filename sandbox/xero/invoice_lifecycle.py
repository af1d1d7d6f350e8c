"""What happens to an invoice in Xero after it is created, done "by the accountant" through the control API.

Xero's rules, as far as a client can see them:

- DRAFT → SUBMITTED (awaiting approval) → AUTHORISED (approved: it keeps its number, or takes the one given);
  DRAFT → AUTHORISED directly too.
- DRAFT or SUBMITTED → DELETED; AUTHORISED → VOIDED. Xero refuses to void an invoice with payments on it, so a
  paid invoice is voided by removing its payments first (``remove_payments=True``), as a person does in Xero.
- Payments go on AUTHORISED invoices only; when they cover the total the invoice is PAID, with its
  ``FullyPaidOnDate``. A PAID, VOIDED or DELETED invoice is never edited.
- Lines of DRAFT, SUBMITTED and AUTHORISED invoices (without payments) may be edited; totals follow.

Every change stamps ``UpdatedDateUTC`` and raises an INVOICE UPDATE webhook event (signed and retried like any
other delivery).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from . import invoice_rules
from .models import Invoice, Line, Payment, Tenant, new_id
from .money import Rounder
from .state import SandboxState

OTHER_APP = "someone-else-in-xero"  # what an invoice made by a person (or another app) in Xero is created by


class LifecycleError(ValueError):
    """Xero would refuse this change (the message is Xero's kind of words)."""


def _invoice(tenant: Tenant, invoice_id: str) -> Invoice:
    invoice = tenant.invoices.get(invoice_id)
    if invoice is None:
        raise LifecycleError(f"no invoice {invoice_id} in this organisation")
    return invoice


def _expect(invoice: Invoice, *statuses: str) -> None:
    if invoice.status not in statuses:
        raise LifecycleError(f"invoice {invoice.number or invoice.invoice_id} is {invoice.status}; "
                             f"this needs {' or '.join(statuses)}")


def submit(state: SandboxState, tenant: Tenant, invoice_id: str) -> Invoice:
    invoice = _invoice(tenant, invoice_id)
    _expect(invoice, "DRAFT")
    invoice.status = "SUBMITTED"
    state.invoice_written(tenant, invoice)
    return invoice


def approve(state: SandboxState, tenant: Tenant, invoice_id: str, number: str | None = None) -> Invoice:
    invoice = _invoice(tenant, invoice_id)
    _expect(invoice, "DRAFT", "SUBMITTED")
    invoice.status = "AUTHORISED"
    if number:
        invoice.number = number
    elif not invoice.number:
        invoice.number = invoice_rules.next_number(tenant)
    state.invoice_written(tenant, invoice)
    return invoice


def delete(state: SandboxState, tenant: Tenant, invoice_id: str) -> Invoice:
    invoice = _invoice(tenant, invoice_id)
    _expect(invoice, "DRAFT", "SUBMITTED")
    invoice.status = "DELETED"
    state.invoice_written(tenant, invoice)
    return invoice


def void(state: SandboxState, tenant: Tenant, invoice_id: str, *, remove_payments: bool = False) -> Invoice:
    invoice = _invoice(tenant, invoice_id)
    if remove_payments and invoice.payments:
        invoice.payments, invoice.fully_paid_on = [], None
        invoice.status = "AUTHORISED"
    _expect(invoice, "AUTHORISED")
    if invoice.payments:
        raise LifecycleError("This invoice has payments applied; remove them before voiding it")
    invoice.status = "VOIDED"
    state.invoice_written(tenant, invoice)
    return invoice


def pay(state: SandboxState, tenant: Tenant, invoice_id: str, amount: Decimal | None = None,
        day: date | None = None) -> Invoice:
    """A payment of ``amount`` (None: whatever is still due) on ``day`` (None: the sandbox's today)."""
    invoice = _invoice(tenant, invoice_id)
    _expect(invoice, "AUTHORISED")
    due = invoice.amount_due
    paid = due if amount is None else amount
    if paid <= 0 or paid > due:
        raise LifecycleError(f"a payment must be more than 0 and at most the amount due ({due})")
    when = day or state.clock.now().date()
    invoice.payments.append(Payment(new_id(), when, paid))
    if invoice.amount_due == 0:
        invoice.status, invoice.fully_paid_on = "PAID", when
    state.invoice_written(tenant, invoice)
    return invoice


def edit_lines(state: SandboxState, tenant: Tenant, invoice_id: str, lines: list[dict[str, Any]]) -> Invoice:
    """Replace the lines (Xero's line elements: Description, Quantity, UnitAmount, AccountCode, TaxType…);
    the totals are computed again as Xero computes them."""
    invoice = _invoice(tenant, invoice_id)
    _expect(invoice, "DRAFT", "SUBMITTED", "AUTHORISED")
    if invoice.payments:
        raise LifecycleError("This document cannot be edited as it has a payment allocated to it")
    element = {
        "Type": invoice.type, "Contact": {"ContactID": invoice.contact_id}, "Status": invoice.status,
        "LineAmountTypes": invoice.line_amount_types, "Date": invoice.issue_date.isoformat(),
        "DueDate": invoice.due_date.isoformat() if invoice.due_date else None, "Reference": invoice.reference,
        "InvoiceNumber": invoice.number, "LineItems": lines,
    }
    draft = invoice_rules.build(tenant, element, unitdp=4, rounder=Rounder(state.settings.rounding),
                                today=state.clock.now().date(), existing_id=invoice.invoice_id)
    if draft.errors:
        raise LifecycleError("; ".join(draft.errors))
    invoice.lines = list(draft.lines)
    invoice.sub_total, invoice.total_tax, invoice.total = draft.sub_total, draft.total_tax, draft.total
    state.invoice_written(tenant, invoice)
    return invoice


def add_foreign(state: SandboxState, tenant: Tenant, *, contact_id: str, amount: Decimal, status: str = "AUTHORISED",
                reference: str = "", emit: bool = True) -> Invoice:
    """An invoice a person made in Xero (not through any app): Hour Cap must never read it."""
    now = state.clock.now()
    line = Line(new_id(), "Made in Xero", Decimal("1"), amount, amount, Decimal("0.00"), "200", "NONE", None, [])
    invoice = Invoice(new_id(), "ACCREC", contact_id, invoice_rules.next_number(tenant), reference, status,
                      "NoTax", now.date(), now.date(), None, tenant.base_currency, [line], amount, Decimal("0.00"),
                      amount, now, OTHER_APP)
    tenant.invoices[invoice.invoice_id] = invoice
    contact = tenant.contacts.get(contact_id)
    if contact is not None and not contact.is_customer:  # a sales invoice makes its contact a customer
        contact.is_customer = True
        state.contact_written(tenant, contact, created=False)
    if emit:
        state.invoice_written(tenant, invoice, created=True)
    return invoice


def touch(state: SandboxState, tenant: Tenant, invoice_id: str) -> Invoice:
    """A change Xero reports without any field a client sees changing (a note, a history entry)."""
    invoice = _invoice(tenant, invoice_id)
    state.invoice_written(tenant, invoice)
    return invoice
