"""Creating an invoice: one transaction saves it, reserves its entries, queues the push.

In the caller's transaction, in this order:

1. Rebuild the preview (every line, ``detail=True``) and refuse on any problem, each under its field. If it
   does not bill exactly what the manager previewed (``Preview.fingerprint`` differs: entries were logged,
   edited or billed since), refuse with "Entries changed — preview again" rather than bill something unseen.
2. Take the workspace's next invoice number under a lock on the workspace row (``SELECT … FOR UPDATE`` on
   PostgreSQL; SQLite serialises writers at ``BEGIN IMMEDIATE``): numbers never repeat, and a creation that
   aborts rolls its number back with everything else, so none is skipped either. Reference = prefix + the
   number zero-padded to 4 digits (``INV-0042``).
3. Save the invoice (status queued, totals, the settings in force frozen in ``settings_snapshot`` — the rounding
   rule above all, so the invoice can always be explained later) and its lines with their Xero fields.
4. Reserve the entries with one conditional ``UPDATE … WHERE id IN (…) AND invoice_id IS NULL``. Two managers
   invoicing overlapping entries at once: the second waits for the first's row locks, then its condition
   matches fewer rows — the count differs and the whole creation rolls back with "Entries changed — preview
   again". An entry can belong to one invoice only, without any read-then-write window.
5. Record the push in the outbox (``invoice.push``, deduplicated per invoice); the push worker does the rest.

A retainer month is billed once: the preview refuses a billed month, and the partial unique index on
``(period_project_id, period_month)`` settles a race the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from errors import InvalidInput, NotFound
from invoicing.preview import InvoiceField, InvoiceRequest, Preview, build_preview, refuse_problems
from invoicing.push_status import PUSH_TASK, caught_up
from storage import outbox
from storage.audit import audit
from storage.models import Client, Invoice, InvoiceLine, InvoiceStatus, Member, TimeEntry, Workspace
from team.roles import Permission, require
from xero.invoice_defaults import describe_defaults, invoice_defaults

ENTRIES_CHANGED = "Entries changed since the preview — preview again, then create the invoice."
NUMBER_DIGITS = 4
RESERVE_CHUNK = 20_000  # bound parameters per statement stay well under SQLite's and PostgreSQL's limits
RECENT_LIMIT = 5


class EntriesChanged(InvalidInput):
    """What would be billed is not what the manager previewed (or another invoice took entries meanwhile)."""

    def __init__(self) -> None:
        super().__init__(ENTRIES_CHANGED, field=InvoiceField.CLIENT)


@dataclass(frozen=True)
class CreatedInvoice:
    invoice_id: int
    reference: str
    client_name: str
    subtotal: Decimal
    total: Decimal
    line_amount_type: str
    line_count: int
    entry_count: int


def reference_for(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{NUMBER_DIGITS}d}"


def _snapshot(preview: Preview, defaults: dict[str, Any]) -> dict[str, Any]:
    """What was in force, as plain JSON values: enough to explain every figure on the invoice later."""
    return {
        "mode": preview.mode.value,
        "rounding": preview.rule.key,
        "rounding_label": preview.rule.label,
        "grouping": preview.grouping.value,
        "period": None if preview.period is None else {"start": preview.period.start.isoformat(),
                                                       "end": preview.period.end.isoformat()},
        "project_id": preview.project_id,
        "period_project_id": preview.period_project_id,
        "period_month": None if preview.period_month is None else preview.period_month.isoformat(),
        "basis": preview.basis.value if preview.amount is not None else None,
        "amount": None if preview.amount is None else str(preview.amount),
        "tax_type": preview.tax_type,
        "tax_rate": str(preview.tax_rate),
        "line_amount_type": preview.line_amount_type.value,
        "defaults": defaults,
        "branding_theme_id": defaults.get("theme"),  # what the push sends as BrandingThemeID
        "entry_count": preview.entry_count,
        "fingerprint": preview.fingerprint,
    }


def _lock_workspace(session: Session, workspace_id: int) -> Workspace:
    return session.execute(select(Workspace).where(Workspace.id == workspace_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def _reserve(session: Session, workspace_id: int, invoice_id: int, entry_ids: Sequence[int], *,
             approved_only: bool = False) -> int:
    """Claim the preview's entries (still uninvoiced, and still approved when only approved time is invoiced: a
    week reopened meanwhile makes the counts differ and the creation stop)."""
    reserved = 0
    for at in range(0, len(entry_ids), RESERVE_CHUNK):
        chunk = list(entry_ids[at:at + RESERVE_CHUNK])
        result = session.execute(
            update(TimeEntry)
            .where(TimeEntry.workspace_id == workspace_id, TimeEntry.id.in_(chunk), TimeEntry.invoice_id.is_(None),
                   *([TimeEntry.approval_id.is_not(None)] if approved_only else []))
            .values(invoice_id=invoice_id)
            .execution_options(synchronize_session=False)
        )
        reserved += int(getattr(result, "rowcount", 0) or 0)
    return reserved


def check_can_create_invoices(actor: Member) -> None:
    """Opening an invoice form (one invoice or the month's batch): refused unless the actor may create invoices."""
    require(actor, Permission.CREATE_INVOICES)


def create_invoice(session: Session, actor: Member, request: InvoiceRequest, today: date, *,
                   seen: str | None = None, push: bool = True) -> CreatedInvoice:
    """Save the invoice ``request`` describes (see the module docstring). ``seen``: the fingerprint of the
    preview the manager looked at (None skips that comparison: scripted callers). ``push=False``: the caller
    records the push itself (the month-end batch pushes up to 50 invoices per request)."""
    require(actor, Permission.CREATE_INVOICES)
    preview = build_preview(session, actor, request, today, detail=True)
    refuse_problems(preview)
    if seen is not None and seen != preview.fingerprint:
        raise EntriesChanged()
    assert preview.client_id is not None
    workspace = _lock_workspace(session, actor.workspace_id)
    number = workspace.next_invoice_number
    workspace.next_invoice_number = number + 1
    defaults = invoice_defaults(session, workspace.id)
    invoice = Invoice(
        workspace_id=workspace.id, client_id=preview.client_id, created_by_member_id=actor.id, number=number,
        reference=reference_for(workspace.invoice_prefix, number), status=InvoiceStatus.QUEUED.value,
        invoice_date=preview.invoice_date, due_date=preview.due_date,
        line_amount_type=preview.line_amount_type.value, subtotal=preview.totals.subtotal,
        tax_total=preview.totals.total_tax, total=preview.totals.total, mode=preview.mode.value,
        period_project_id=preview.period_project_id, period_month=preview.period_month,
        settings_snapshot=_snapshot(preview, describe_defaults(defaults)),
    )
    try:
        with session.begin_nested():
            session.add(invoice)
            session.flush()
    except IntegrityError:
        raise InvalidInput("That month was billed a moment ago by someone else — preview again.",
                           field=InvoiceField.MONTH) from None
    session.add_all([
        InvoiceLine(workspace_id=workspace.id, invoice_id=invoice.id, position=position,
                    description=item.line.description, quantity=item.line.quantity,
                    unit_amount=item.line.unit_amount, line_amount=item.line.line_amount,
                    account_code=item.account_code, tax_type=item.tax_type, item_code=item.item_code,
                    tracking=item.tracking_json, project_id=item.line.project_id, minutes=item.line.minutes,
                    note=item.line.note or None)
        for position, item in enumerate(preview.lines, start=1)
    ])
    if _reserve(session, workspace.id, invoice.id, preview.entry_ids,
                approved_only=workspace.invoice_approved_only) != preview.entry_count:
        raise EntriesChanged()
    if push:
        outbox.record(session, PUSH_TASK, {"invoice_id": invoice.id}, workspace_id=workspace.id,
                      dedupe_key=f"{PUSH_TASK}:{invoice.id}")
    audit(session, actor, "invoice.create", f"invoice:{invoice.id}", reference=invoice.reference,
          client_id=preview.client_id, mode=preview.mode.value, total=str(preview.totals.total),
          entries=preview.entry_count)
    session.flush()
    return CreatedInvoice(invoice.id, invoice.reference, preview.client_name, preview.totals.subtotal,
                          preview.totals.total, preview.line_amount_type.value, len(preview.lines),
                          preview.entry_count)


def attach_status_message(session: Session, workspace_id: int, invoice_id: int, channel_id: str, ts: str) -> None:
    """Keep where the invoice's status message is, so the push worker edits that message later.

    The row is locked (PostgreSQL; SQLite serialises writers anyway) so a status change either commits first and
    is seen here — the message is then brought up to date — or waits, and its notification finds the message."""
    invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id, Invoice.workspace_id == workspace_id)
                              .with_for_update()).one_or_none()
    if invoice is None:
        raise NotFound("That invoice no longer exists in this workspace.")
    invoice.status_channel_id = channel_id
    invoice.status_message_ts = ts
    caught_up(session, invoice)


# ---- Home: the latest invoices ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceSummary:
    invoice_id: int
    reference: str
    client_name: str
    total: Decimal
    line_amount_type: str
    status: str
    invoice_date: date
    created_at: datetime | None = None
    xero_url: str | None = None
    error_message: str | None = None


def recent_invoices(session: Session, workspace_id: int, limit: int = RECENT_LIMIT) -> list[InvoiceSummary]:
    """The workspace's latest invoices (newest first) with their status, for managers' Home."""
    rows = session.execute(
        select(Invoice, Client.name).join(Client, Client.id == Invoice.client_id)
        .where(Invoice.workspace_id == workspace_id, Client.workspace_id == workspace_id)
        .order_by(Invoice.number.desc()).limit(limit)
    ).all()
    return [InvoiceSummary(i.id, i.reference, name, Decimal(i.total), i.line_amount_type, i.status, i.invoice_date,
                           i.created_at, i.xero_url, i.error_message) for i, name in rows]
