"""Home's invoice list: the workspace's invoices with where each stands in Xero, filtered by state and paged.

Filters: everything; open (not approved in Xero yet: on its way, failed, or a draft or awaiting approval there);
awaiting payment (approved, part paid or not); paid; voided or deleted in Xero. Newest first, a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from invoicing.xero_states import AUTHORISED, DEAD, DRAFT, PAID, SUBMITTED
from storage.models import Client, Invoice, InvoiceStatus

PER_PAGE = 10


class InvoiceFilter(StrEnum):
    ALL = "all"
    OPEN = "open"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    DEAD = "dead"


FILTER_LABELS = {InvoiceFilter.ALL: "All invoices", InvoiceFilter.OPEN: "Open",
                 InvoiceFilter.AWAITING_PAYMENT: "Awaiting payment", InvoiceFilter.PAID: "Paid",
                 InvoiceFilter.DEAD: "Voided or deleted"}


def read_filter(value: object) -> InvoiceFilter:
    try:
        return InvoiceFilter(str(value))
    except ValueError:
        return InvoiceFilter.ALL


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice as Home lists it: Hour Cap's figures and, once read back, Xero's."""

    invoice_id: int
    reference: str
    client_name: str
    total: Decimal
    subtotal: Decimal
    line_amount_type: str
    currency: str | None
    status: str
    xero_url: str | None
    error_message: str | None
    xero_status: str | None
    xero_number: str | None
    xero_due_date: date | None
    xero_total: Decimal | None
    xero_subtotal: Decimal | None
    xero_amount_due: Decimal | None
    xero_amount_paid: Decimal | None
    xero_paid_on: date | None
    release_state: str | None


@dataclass(frozen=True)
class InvoicePage:
    rows: tuple[InvoiceRow, ...]
    filter: InvoiceFilter
    page: int  # 0-based, within range
    total: int  # invoices matching the filter

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def _condition(chosen: InvoiceFilter) -> ColumnElement[bool] | None:
    in_xero = Invoice.status.in_([InvoiceStatus.PUSHED.value, InvoiceStatus.CHECK_IN_XERO.value])
    if chosen is InvoiceFilter.OPEN:
        waiting = Invoice.status.in_([InvoiceStatus.QUEUED.value, InvoiceStatus.PUSHING.value,
                                      InvoiceStatus.FAILED.value])
        return or_(waiting, and_(in_xero, or_(Invoice.xero_status.is_(None),
                                              Invoice.xero_status.in_([DRAFT, SUBMITTED]))))
    if chosen is InvoiceFilter.AWAITING_PAYMENT:
        return and_(in_xero, Invoice.xero_status == AUTHORISED)
    if chosen is InvoiceFilter.PAID:
        return and_(in_xero, Invoice.xero_status == PAID)
    if chosen is InvoiceFilter.DEAD:
        return and_(in_xero, Invoice.xero_status.in_(DEAD))
    return None


def list_invoices(session: Session, workspace_id: int, chosen: InvoiceFilter = InvoiceFilter.ALL,
                  page: int = 0) -> InvoicePage:
    """One page of the workspace's invoices matching `chosen` (a page past the end shows the last one)."""
    where = [Invoice.workspace_id == workspace_id, Client.workspace_id == workspace_id]
    condition = _condition(chosen)
    if condition is not None:
        where.append(condition)
    total = int(session.scalar(select(func.count(Invoice.id)).join(Client, Client.id == Invoice.client_id)
                               .where(*where)) or 0)
    last = max(0, -(-total // PER_PAGE) - 1)
    page = min(max(page, 0), last)
    rows = session.execute(
        select(Invoice, Client.name).join(Client, Client.id == Invoice.client_id).where(*where)
        .order_by(Invoice.number.desc()).offset(page * PER_PAGE).limit(PER_PAGE)
    ).all()
    return InvoicePage(tuple(_row(i, name) for i, name in rows), chosen, page, total)


def _row(i: Invoice, client_name: str) -> InvoiceRow:
    return InvoiceRow(
        invoice_id=i.id, reference=i.reference, client_name=client_name, total=Decimal(i.total),
        subtotal=Decimal(i.subtotal), line_amount_type=i.line_amount_type, currency=i.currency, status=i.status,
        xero_url=i.xero_url, error_message=i.error_message, xero_status=i.xero_status,
        xero_number=i.xero_invoice_number, xero_due_date=i.xero_due_date, xero_total=i.xero_total,
        xero_subtotal=i.xero_subtotal, xero_amount_due=i.xero_amount_due, xero_amount_paid=i.xero_amount_paid,
        xero_paid_on=i.xero_paid_on, release_state=i.release_state,
    )
