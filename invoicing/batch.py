"""Month-end batch (issue 8 item 4): "Invoice every client for <month>" — one draft per client with billable time.

``month_batch_preview`` lists, for a calendar month, every linked client with uninvoiced billable time on its
hourly projects (totals and entry counts, from the same preview the Create invoice modal uses) and every other
active client with why it is left out (not linked to a Xero contact, nothing to bill, or the preview's problem).

``create_month_batch`` creates the invoices in ONE transaction through ``invoicing.create.create_invoice`` (the
number under the workspace lock, the conditional reservation, the snapshot), each compared with what the
manager confirmed (``seen``: the batch fingerprint), so nothing unseen is billed; if anything changed meanwhile
the whole batch rolls back with "Entries changed — review again". Instead of one ``invoice.push`` per invoice
it records ONE ``invoice.push_batch`` outbox row per group of up to ``BATCH_SIZE`` invoices (Xero takes up to
50 invoices per request; ``invoicing.tasks_batch`` handles each element's verdict on its own).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from errors import InvalidInput
from invoicing.create import ENTRIES_CHANGED, CreatedInvoice, create_invoice
from invoicing.lines import date_label
from invoicing.preview import InvoiceField, InvoiceRequest, build_preview
from invoicing.retainer import month_label, month_start
from invoicing.selection import Period
from storage import outbox
from storage.audit import audit
from storage.models import BillingMode, Client, Invoice, InvoiceMode, Member, Project, TimeEntry
from team.roles import Permission, require
from timesheets.member_calendar import member_today

PUSH_BATCH_TASK = "invoice.push_batch"
BATCH_SIZE = 50  # Xero's limit of invoices per PUT /Invoices
NOT_LINKED = "not linked to a Xero contact"
NOTHING_TO_BILL = "nothing to bill"


class BatchChanged(InvalidInput):
    """What would be billed is not what the manager confirmed."""

    def __init__(self) -> None:
        super().__init__(ENTRIES_CHANGED, field=InvoiceField.CLIENT)


@dataclass(frozen=True)
class BatchClient:
    client_id: int
    name: str
    subtotal: Decimal
    total: Decimal
    line_amount_type: str
    entry_count: int
    fingerprint: str


@dataclass(frozen=True)
class SkippedClient:
    client_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class BatchPreview:
    month: date  # the first day of the month billed
    period: Period
    clients: tuple[BatchClient, ...]
    skipped: tuple[SkippedClient, ...]

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def total(self) -> Decimal:
        return sum((c.total for c in self.clients), Decimal("0.00"))

    @property
    def fingerprint(self) -> str:
        """Identifies the whole batch (every client's own preview fingerprint): what the manager confirmed."""
        text = "|".join(f"{c.client_id}:{c.fingerprint}" for c in self.clients)
        return hashlib.sha256(f"{self.month.isoformat()}|{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BatchResult:
    month: date
    created: tuple[CreatedInvoice, ...]
    skipped: tuple[SkippedClient, ...]
    push_groups: int

    @property
    def label(self) -> str:
        return month_label(self.month)


def month_period(month: date, today: date) -> Period:
    """The calendar month of ``month`` (up to ``today`` when it has not ended yet)."""
    first = month_start(month)
    if first > today:
        raise InvalidInput(f"{month_label(first)} has not started yet.", field=InvoiceField.MONTH)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Period(first, min(last, today))


def _clients_with_time(session: Session, workspace_id: int, period: Period) -> set[int]:
    """Clients with uninvoiced billable time on their hourly projects in ``period`` (one query)."""
    rows = session.execute(
        select(Project.client_id, func.count()).join(TimeEntry, TimeEntry.project_id == Project.id).where(
            TimeEntry.workspace_id == workspace_id, Project.workspace_id == workspace_id,
            Project.billing_mode == BillingMode.HOURLY.value, TimeEntry.invoice_id.is_(None),
            TimeEntry.billable.is_(True), TimeEntry.work_date >= period.start, TimeEntry.work_date <= period.end,
        ).group_by(Project.client_id)
    ).all()
    return {int(client_id) for client_id, count in rows if count}


def request_for(client_id: int, period: Period) -> InvoiceRequest:
    return InvoiceRequest(client_id=client_id, mode=InvoiceMode.TIME, start=period.start, end=period.end)


def month_batch_preview(session: Session, actor: Member, month: date, *, today: date | None = None) -> BatchPreview:
    """Who would be invoiced for ``month`` and for how much, and who is left out and why. Managers and up."""
    require(actor, Permission.CREATE_INVOICES)
    today = today or member_today(actor)
    period = month_period(month, today)
    with_time = _clients_with_time(session, actor.workspace_id, period)
    clients = session.scalars(select(Client).where(Client.workspace_id == actor.workspace_id,
                                                   Client.archived.is_(False))
                              .order_by(Client.name_key, Client.id)).all()
    billed: list[BatchClient] = []
    skipped: list[SkippedClient] = []
    for client in clients:
        if not client.xero_contact_id:
            skipped.append(SkippedClient(client.id, client.name, NOT_LINKED))
            continue
        if client.id not in with_time:
            skipped.append(SkippedClient(client.id, client.name, NOTHING_TO_BILL))
            continue
        preview = build_preview(session, actor, request_for(client.id, period), today, detail=False)
        if not preview.ok:
            skipped.append(SkippedClient(client.id, client.name, " ".join(p.message for p in preview.problems)))
            continue
        billed.append(BatchClient(client.id, client.name, preview.totals.subtotal, preview.totals.total,
                                  preview.line_amount_type.value, preview.entry_count, preview.fingerprint))
    return BatchPreview(period.start, period, tuple(billed), tuple(skipped))


def groups(ids: Sequence[int], size: int = BATCH_SIZE) -> list[list[int]]:
    return [list(ids[at:at + size]) for at in range(0, len(ids), size)]


def create_month_batch(session: Session, actor: Member, month: date, *, seen: str | None = None,
                       today: date | None = None) -> BatchResult:
    """Create one invoice per client of ``month_batch_preview`` (one transaction), then record one
    ``invoice.push_batch`` per group of up to 50 invoices. ``seen``: the batch fingerprint confirmed (None skips
    the comparison: scripted callers)."""
    require(actor, Permission.CREATE_INVOICES)
    today = today or member_today(actor)
    preview = month_batch_preview(session, actor, month, today=today)
    if seen is not None and seen != preview.fingerprint:
        raise BatchChanged()
    if not preview.clients:
        raise InvalidInput(f"Nothing to bill for {preview.label}: no linked client has uninvoiced billable time "
                           f"from {date_label(preview.period.start)} to {date_label(preview.period.end)}.",
                           field=InvoiceField.MONTH)
    created = [create_invoice(session, actor, request_for(c.client_id, preview.period), today, seen=c.fingerprint,
                              push=False) for c in preview.clients]
    # Marked as part of a month batch: the creator gets the batch's summary, not one "pushed" DM per invoice.
    for invoice in session.scalars(select(Invoice).where(Invoice.id.in_([c.invoice_id for c in created]))):
        invoice.settings_snapshot = {**(invoice.settings_snapshot or {}), "batch_month": preview.month.isoformat()}
    chunks = groups([c.invoice_id for c in created])
    for chunk in chunks:
        outbox.record(session, PUSH_BATCH_TASK, {"invoice_ids": chunk}, workspace_id=actor.workspace_id,
                      dedupe_key=f"{PUSH_BATCH_TASK}:{chunk[0]}-{chunk[-1]}")
    audit(session, actor, "invoice.batch", f"month:{preview.month.isoformat()}", invoices=len(created),
          groups=len(chunks), skipped=len(preview.skipped))
    session.flush()
    return BatchResult(preview.month, tuple(created), preview.skipped, len(chunks))
