"""An invoice's way to Xero, as state changes: queued → pushing → pushed (or check in Xero, when Xero's copy
differs from what was sent), or failed (Retry → queued, or Cancel).

The invoice row is the record (the database is the source of truth: docs/architecture.md); every change here is a
conditional UPDATE on the state it expects, so two workers, a redelivered job and a person pressing Retry can
never both win.

`pushing` means more than "a worker is on it": it means "a PUT may have reached Xero". It is set when a worker
takes the lease and only left for `pushed` or `failed`; a worker that must come back later (429, Needs
reconnect, a transient error) releases the lease but keeps `pushing`, so whoever runs next looks the invoice up
in Xero by reference before sending it again. Only an answer that proves nothing was created (a 429 before a
fresh attempt's first send) puts it back to `queued`.

Slack is told through the outbox (`invoice.notify`), recorded in the same transaction as the change, so a
status message or alert is never lost to a crash between the commit and the post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from errors import NotFound, UserError
from invoicing.totals import totals
from storage import outbox
from storage.audit import audit
from storage.models import Client, Invoice, InvoiceLine, InvoiceStatus, Member, TimeEntry, XeroConnection
from storage.types import utcnow
from team.roles import Permission, require
from xero.invoice_follow import schedule_hourly
from xero.push import DraftInvoice, DraftLine, XeroDraft
from xero.push_check import SentInvoice, compare_invoice

PUSH_TASK = "invoice.push"
NOTIFY_TASK = "invoice.notify"
IN_XERO = (InvoiceStatus.PUSHED, InvoiceStatus.CHECK_IN_XERO)  # states that are final: the draft exists
CENT = Decimal("0.01")
DEFAULT_LEASE = timedelta(minutes=2)  # a push is at most a token refresh, a lookup and a PUT (30 s timeout each)


class Event(StrEnum):
    """What `invoice.notify` is telling Slack about (the DM goes out for `pushed` and `failed` only)."""

    PUSHING = "pushing"
    PUSHED = "pushed"
    CHECK_IN_XERO = "check_in_xero"  # in Xero, but not what was sent: same value as the status
    FAILED = "failed"
    RETRYING = "retrying"
    CANCELLED = "cancelled"
    WAITING = "waiting"
    ATTACHED = "attached"  # its status message was posted after the invoice had already moved on
    XERO_STATE = "xero_state"  # Xero says something new of it (approved, paid, edited...): the message follows
    DIED = "died"  # voided or deleted in Xero: the one alert (entries released, to release, or flagged)
    RELEASED = "released"  # a manager released its entries: the alert says so


def caught_up(session: Session, invoice: Invoice) -> None:
    """The status message just stored says "queued", but the invoice may have moved on before the handler got to
    store where the message is (a fast push, a quick failure, a push waiting for Xero to be reconnected): one
    notification brings the message up to date."""
    if invoice.status != InvoiceStatus.QUEUED.value or invoice.error_message:
        _notify(session, invoice, Event.ATTACHED)


def push_dedupe_key(invoice_id: int) -> str:
    return f"{PUSH_TASK}:{invoice_id}"


# -- the worker's side ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """The outcome of `take_lease`: `taken` (with `lease_until` as our token), `skip`, or `busy` until a time."""

    outcome: str
    lease_until: datetime | None = None
    # True when an earlier attempt may have created the draft: look it up by reference before sending again.
    ambiguous: bool = False
    status: str | None = None


def take_lease(session: Session, invoice_id: int, *, duration: timedelta = DEFAULT_LEASE,
               now: datetime | None = None) -> Claim:
    """Take the invoice for one push: queued → pushing, or pushing whose lease has expired (a worker died or
    gave up mid-push: ambiguous). A retry after a failure (`push_attempt` > 0) is ambiguous too."""
    now = now or utcnow()
    lease_until = now + duration
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        return Claim("skip", status=None)
    if invoice.status not in (InvoiceStatus.QUEUED, InvoiceStatus.PUSHING):
        return Claim("skip", status=invoice.status)
    fresh = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.status == InvoiceStatus.QUEUED.value)
        .values(status=InvoiceStatus.PUSHING.value, lease_until=lease_until, error_message=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if fresh == 1:
        session.refresh(invoice)
        _notify(session, invoice, Event.PUSHING)
        return Claim("taken", lease_until, ambiguous=invoice.push_attempt > 0, status=InvoiceStatus.PUSHING)
    resumed = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.status == InvoiceStatus.PUSHING.value,
               or_(Invoice.lease_until.is_(None), Invoice.lease_until < now))
        .values(lease_until=lease_until, error_message=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if resumed == 1:
        return Claim("taken", lease_until, ambiguous=True, status=InvoiceStatus.PUSHING)
    session.refresh(invoice)
    if invoice.status == InvoiceStatus.PUSHING and invoice.lease_until is not None:
        return Claim("busy", invoice.lease_until, status=invoice.status)
    return Claim("skip", status=invoice.status)


def _held(invoice_id: int, lease_until: datetime) -> Any:
    return and_(Invoice.id == invoice_id, Invoice.status == InvoiceStatus.PUSHING.value,
                Invoice.lease_until == lease_until)


def release_lease(session: Session, invoice_id: int, lease_until: datetime, *, nothing_sent: bool = False,
                  note: str | None = None) -> bool:
    """Let go without an outcome; `nothing_sent` (proved by Xero's answer on a non-ambiguous claim) → queued."""
    values: dict[str, Any] = {"lease_until": None}
    if nothing_sent:
        values["status"] = InvoiceStatus.QUEUED.value
    if note is not None:
        values["error_message"] = note
    result = session.execute(update(Invoice).where(_held(invoice_id, lease_until)).values(**values)
                             .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def note_waiting(session: Session, invoice_id: int, note: str) -> None:
    """A push that cannot start (Needs reconnect): say why on the invoice, tell Slack once, leave the status."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.status not in (InvoiceStatus.QUEUED, InvoiceStatus.PUSHING):
        return
    if invoice.error_message != note:
        invoice.error_message = note
        _notify(session, invoice, Event.WAITING)


def draft_for(session: Session, invoice_id: int) -> tuple[DraftInvoice, str | None]:
    """What to send for the invoice, read fresh, and the organisation's short code (for the deep link)."""
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    client = session.get(Client, invoice.client_id)
    contact_id = client.xero_contact_id if client is not None else None
    if not contact_id:
        raise UserError("The client is not linked to a Xero contact: link it in the client's settings, then Retry.")
    lines = session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                            .order_by(InvoiceLine.position, InvoiceLine.id)).all()
    snapshot = invoice.settings_snapshot or {}
    theme = snapshot.get("branding_theme_id") or snapshot.get("xero_branding_theme_id")
    short_code = session.scalars(select(XeroConnection.short_code)
                                 .where(XeroConnection.workspace_id == invoice.workspace_id)).one_or_none()
    draft = DraftInvoice(
        workspace_id=invoice.workspace_id,
        invoice_id=invoice.id,
        push_attempt=invoice.push_attempt,
        contact_id=contact_id,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        line_amount_type=invoice.line_amount_type,
        reference=invoice.reference,
        branding_theme_id=str(theme) if theme else None,
        lines=[DraftLine(line.description, line.quantity, line.unit_amount, line.account_code, line.tax_type,
                         line.item_code, list(line.tracking or [])) for line in lines],
    )
    return draft, short_code


def sent_invoice(session: Session, invoice: Invoice, draft: DraftInvoice | None = None) -> SentInvoice:
    """What was sent for the invoice (`draft`, when the caller has it; else rebuilt from the row, which is what
    the draft is built from) and what the preview showed, with its half-cent tie lines counted the way
    `invoicing.totals` counts them."""
    if draft is None:
        try:
            draft, _ = draft_for(session, invoice.id)
        except UserError:  # the client was unlinked since: what was sent is no longer known, so nothing matches
            draft = DraftInvoice(invoice.workspace_id, invoice.id, invoice.push_attempt, "", invoice.invoice_date,
                                 invoice.due_date, invoice.line_amount_type, invoice.reference, [])
    amounts = tuple((line.quantity * line.unit_amount).quantize(CENT, rounding=ROUND_HALF_UP) for line in draft.lines)
    snapshot = invoice.settings_snapshot or {}
    ties = 0
    try:
        if snapshot.get("tax_rate") not in (None, ""):
            ties = len(totals(amounts, invoice.line_amount_type, Decimal(str(snapshot["tax_rate"]))).tie_lines)
    except (ArithmeticError, ValueError):
        ties = 0
    client = session.get(Client, invoice.client_id)
    return SentInvoice(
        contact_id=draft.contact_id, reference=draft.reference, line_amount_type=draft.line_amount_type,
        line_amounts=amounts, subtotal=Decimal(invoice.subtotal), total_tax=Decimal(invoice.tax_total),
        total=Decimal(invoice.total), tie_lines=ties,
        contact_name=client.xero_contact_name if client is not None else None,
    )


def mark_pushed(session: Session, invoice_id: int, xero: XeroDraft, url: str,
                sent: DraftInvoice | None = None) -> Invoice | None:
    """Record Xero's id, number, total and link, after comparing Xero's copy with what was sent (`sent`, the
    draft the request carried): equal (or differing only in an explained half-cent rounding, kept as a note)
    → pushed; anything else → check in Xero, with the differences in plain words. Either way the invoice is in
    Xero: its time stays reserved and nothing sends it again. The truth wins over our bookkeeping: a late
    success is recorded even if this run lost its lease or the invoice was marked failed meanwhile (never if
    cancelled)."""
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None or invoice.status in IN_XERO or invoice.status == InvoiceStatus.CANCELLED:
        return None
    check = compare_invoice(sent_invoice(session, invoice, sent), xero)
    invoice.status = (InvoiceStatus.PUSHED if check.matches else InvoiceStatus.CHECK_IN_XERO).value
    invoice.xero_invoice_id = xero.invoice_id
    invoice.xero_invoice_number = xero.number or None
    invoice.xero_total = xero.total
    invoice.xero_url = url
    invoice.pushed_at = utcnow()
    invoice.lease_until = None
    invoice.error_message = check.words()
    invoice.xero_status = invoice.xero_status or "DRAFT"
    _notify(session, invoice, Event.PUSHED if check.matches else Event.CHECK_IN_XERO)
    schedule_hourly(session, invoice.workspace_id)  # the safety net follows it in Xero from now on
    return invoice


def mark_failed(session: Session, invoice_id: int, message: str, *, lease_until: datetime | None) -> bool:
    """pushing → failed with Xero's own message; only while we hold the lease (None: the outbox gave up on a
    run whose lease is gone, e.g. its worker was killed on the last attempt)."""
    condition = (_held(invoice_id, lease_until) if lease_until is not None else
                 and_(Invoice.id == invoice_id,
                      Invoice.status.in_([InvoiceStatus.PUSHING.value, InvoiceStatus.QUEUED.value])))
    result = session.execute(update(Invoice).where(condition)
                             .values(status=InvoiceStatus.FAILED.value, lease_until=None, error_message=message[:4000])
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    session.refresh(invoice)
    _notify(session, invoice, Event.FAILED)
    return True


CHECK_HINT = ("Open the draft in Xero and check the difference above; correct it there before you approve it. "
              "It is in Xero, so Hour Cap will not send it again, and its time entries stay on this invoice.")


def hint_for(message: str | None) -> str:
    """What to do about a failed push, in plain words, from Xero's message."""
    text = (message or "").lower()
    if "contact" in text and ("archived" in text or "could not be found" in text or "not linked" in text):
        return ("The Xero contact for this client is archived or gone: fix the contact mapping for the client "
                "(link an active contact), then press Retry.")
    if "account code" in text or "taxtype" in text or "tax type" in text or "tax rate" in text:
        return ("An account code or tax rate is no longer valid in Xero: update the invoice defaults in the Xero "
                "setup wizard (Home → Xero settings), then press Retry.")
    if "item code" in text:
        return "An item used by a project is no longer sold in Xero: update the project's item, then press Retry."
    if "tracking" in text:
        return "A tracking option is no longer active in Xero: update the tracking defaults, then press Retry."
    if "branding" in text:
        return "The branding theme is no longer in Xero: pick another in the Xero setup wizard, then press Retry."
    if "xero kept failing" in text or "did not answer" in text:
        return "Xero was unavailable for a while: check status.xero.com, then press Retry."
    return "Fix what Xero says above, then press Retry; or Cancel to release the time entries."


# -- people's side: Retry and Cancel ----------------------------------------------------------------------------
def _own_invoice(session: Session, actor: Member, invoice_id: int) -> Invoice:
    invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id,
                                                    Invoice.workspace_id == actor.workspace_id)).one_or_none()
    if invoice is None:  # another workspace's invoice looks exactly like a missing one
        raise NotFound("That invoice was not found in this workspace.")
    return invoice


def retry_invoice(session: Session, actor: Member, invoice_id: int) -> Invoice:
    """failed → queued with the next attempt generation (a new Idempotency-Key), and the push recorded."""
    require(actor, Permission.RETRY_PUSH)
    invoice = _own_invoice(session, actor, invoice_id)
    result = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == InvoiceStatus.FAILED.value)
        .values(status=InvoiceStatus.QUEUED.value, push_attempt=Invoice.push_attempt + 1, lease_until=None,
                error_message=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(invoice)
        raise UserError(f"Invoice {invoice.reference} is {invoice.status}, so there is nothing to retry.")
    session.refresh(invoice)
    outbox.record(session, PUSH_TASK, {"invoice_id": invoice.id}, workspace_id=invoice.workspace_id,
                  dedupe_key=push_dedupe_key(invoice.id))
    _notify(session, invoice, Event.RETRYING)
    audit(session, actor, "invoice.retry", f"invoice:{invoice.id}", attempt=invoice.push_attempt)
    return invoice


def cancel_invoice(session: Session, actor: Member, invoice_id: int) -> Invoice:
    """failed or queued → cancelled, and its time entries released for later invoices (same transaction)."""
    require(actor, Permission.CANCEL_INVOICE)
    invoice = _own_invoice(session, actor, invoice_id)
    result = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id,
               Invoice.status.in_([InvoiceStatus.FAILED.value, InvoiceStatus.QUEUED.value]))
        .values(status=InvoiceStatus.CANCELLED.value, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(invoice)
        if invoice.status == InvoiceStatus.PUSHING:
            raise UserError(f"Invoice {invoice.reference} is being pushed to Xero right now; try again in a "
                            "minute.")
        raise UserError(f"Invoice {invoice.reference} is {invoice.status}, so it can't be cancelled here.")
    released = session.execute(
        update(TimeEntry)
        .where(TimeEntry.invoice_id == invoice.id, TimeEntry.workspace_id == invoice.workspace_id)
        .values(invoice_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(invoice)
    _notify(session, invoice, Event.CANCELLED)
    audit(session, actor, "invoice.cancel", f"invoice:{invoice.id}", released_entries=released)
    return invoice


# -- Slack, through the outbox ----------------------------------------------------------------------------------
def needs_telling(session: Session, invoice: Invoice) -> bool:
    """Whether anyone in Slack follows this invoice (a status message, a creator, an alert, an alerts channel)."""
    if invoice.status_channel_id or invoice.created_by_member_id or invoice.alert_ts or invoice.alert_channel_id:
        return True
    from storage.models import Workspace

    channel = session.scalars(select(Workspace.alerts_channel_id)
                              .where(Workspace.id == invoice.workspace_id)).one_or_none()
    return bool(channel)


def _notify(session: Session, invoice: Invoice, event: Event) -> None:
    if not needs_telling(session, invoice):
        return
    outbox.record(session, NOTIFY_TASK, {"invoice_id": invoice.id, "event": event.value},
                  workspace_id=invoice.workspace_id,
                  dedupe_key=f"{NOTIFY_TASK}:{invoice.id}:{event.value}:{invoice.push_attempt}")


def tell_slack(session: Session, invoice: Invoice, event: Event) -> None:
    """Record the `invoice.notify` notification for `event` (coalesced while one for the same event waits)."""
    _notify(session, invoice, event)
