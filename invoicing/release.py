"""Releasing the time entries of a draft that died in Xero (voided or deleted), so a future invoice can bill them.

One conditional UPDATE on the invoice decides who releases (the read's automatic release, or a manager's Release
entries): only an invoice that is dead in Xero, not flagged and not released yet matches, so two presses — or a
press racing the automatic release — release once and the other is told it is done. The entries are then unhooked
from the invoice in the same transaction, under the workspace row's lock that Create invoice also takes, so a
Create invoice whose preview was taken before the release sees the entries changed and is told to preview again.
The old invoice keeps its lines, totals and history; the audit row lists the entries released.

Entries of an approved or paid invoice are never released, and neither are those of an invoice voided after a
payment (flagged: a person checks Xero).
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from errors import NotFound, UserError
from invoicing.push_status import Event, tell_slack
from invoicing.xero_states import DEAD
from storage.audit import audit
from storage.models import Invoice, Member, ReleaseState, TimeEntry, Workspace
from storage.types import utcnow
from team.roles import Permission, require
from team.workspace_settings import change_setting

AUTO, ASK = "auto", "ask"
CHOICES = {AUTO: "Release them by themselves", ASK: "Ask a manager first (Release entries)"}


def release_now(session: Session, actor: Member | None, invoice: Invoice, *, automatic: bool) -> int:
    """Release `invoice`'s entries now (see the module docstring); returns how many. Raises `UserError` when
    the invoice is not (or no longer) releasable."""
    session.execute(select(Workspace.id).where(Workspace.id == invoice.workspace_id).with_for_update())
    waiting = Invoice.release_state == ReleaseState.ASK.value
    won = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.workspace_id == invoice.workspace_id,
               Invoice.xero_status.in_(DEAD), Invoice.entries_released_at.is_(None),
               or_(waiting, Invoice.release_state.is_(None)) if automatic else waiting)
        .values(release_state=ReleaseState.RELEASED.value, entries_released_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(invoice)
    if won != 1:
        raise UserError(_why_not(invoice))
    entry_ids = sorted(session.scalars(select(TimeEntry.id).where(
        TimeEntry.workspace_id == invoice.workspace_id, TimeEntry.invoice_id == invoice.id)))
    session.execute(update(TimeEntry)
                    .where(TimeEntry.workspace_id == invoice.workspace_id, TimeEntry.invoice_id == invoice.id)
                    .values(invoice_id=None).execution_options(synchronize_session=False))
    audit(session, actor, "invoice.release_entries", f"invoice:{invoice.id}", workspace_id=invoice.workspace_id,
          reference=invoice.reference, xero_status=invoice.xero_status, automatic=automatic,
          entries=len(entry_ids), entry_ids=entry_ids[:5000])
    return len(entry_ids)


def _why_not(invoice: Invoice) -> str:
    if invoice.release_state == ReleaseState.RELEASED.value:
        return f"The time entries of invoice {invoice.reference} were already released."
    if invoice.release_state == ReleaseState.FLAGGED.value:
        return (f"Invoice {invoice.reference} was paid before it was voided in Xero, so its time entries stay on "
                "it: check the payment in Xero.")
    return (f"Invoice {invoice.reference} is {(invoice.xero_status or 'a draft').lower()} in Xero, not voided or "
            "deleted, so its time entries stay on it.")


def release_entries(session: Session, actor: Member, invoice_id: int) -> tuple[Invoice, int]:
    """A manager's Release entries on an invoice voided or deleted in Xero (setting "ask")."""
    require(actor, Permission.RELEASE_ENTRIES)
    invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id,
                                                    Invoice.workspace_id == actor.workspace_id)).one_or_none()
    if invoice is None:  # another workspace's invoice looks exactly like a missing one
        raise NotFound("That invoice was not found in this workspace.")
    released = release_now(session, actor, invoice, automatic=False)
    tell_slack(session, invoice, Event.RELEASED)
    return invoice, released


def set_release_mode(session: Session, actor: Member, mode: str) -> str:
    """An admin's choice: release a dead draft's entries by themselves ("auto") or ask a manager ("ask")."""
    require(actor, Permission.CHANGE_RELEASE_SETTING)
    if mode not in CHOICES:
        raise UserError("Pick one of the choices for entries of invoices voided or deleted in Xero.")
    return change_setting(session, actor, Permission.CHANGE_RELEASE_SETTING, Workspace.release_dead_drafts, mode)
