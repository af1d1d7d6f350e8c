"""Following our drafts in Xero: what a read of our own invoices changes, and the managers' Refresh.

`apply_states` takes what Xero said (`xero.invoice_read`) for one workspace: each state is matched to the
workspace's invoice by Xero's invoice id, weighed by `invoicing.xero_states.decide` (older answers change
nothing, dead ends stay dead), stored beside Hour Cap's own figures (never over them), and Slack is told through
the outbox. An invoice that just died in Xero has its entries released (workspace setting "auto"), waits for a
manager's Release entries ("ask", the default), or is flagged when it had been paid — one alert either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from errors import InvalidInput
from invoicing.push_status import IN_XERO, Event, tell_slack
from invoicing.release import release_now
from invoicing.xero_states import SETTLED, Death, Held, decide, paid_something
from storage.models import Invoice, Member, ReleaseState, Workspace
from storage.types import utcnow
from team.roles import Permission, require
from xero.connection_summary import find_connection
from xero.invoice_follow import request_follow
from xero.invoice_read import XeroInvoiceState
from xero.status import usable

CHUNK = 500
AUTO, ASK = "auto", "ask"


@dataclass
class Applied:
    matched: int = 0  # states that are one of this workspace's invoices
    changed: int = 0  # ...that changed something Slack shows
    stale: int = 0  # ...older than what we hold (out of order): ignored
    released: int = 0  # invoices whose entries were released by themselves
    asked: int = 0  # invoices waiting for a manager's Release entries
    flagged: int = 0  # voided after a payment


def _same_figures(invoice: Invoice, seen: XeroInvoiceState) -> bool:
    return ((invoice.xero_invoice_number or "") == seen.number and invoice.xero_due_date == seen.due_date
            and invoice.xero_total == seen.total and invoice.xero_subtotal == seen.subtotal
            and invoice.xero_amount_due == seen.amount_due and invoice.xero_amount_paid == seen.amount_paid
            and invoice.xero_paid_on == seen.paid_on)


def _store(invoice: Invoice, seen: XeroInvoiceState) -> None:
    invoice.xero_status = seen.status
    invoice.xero_invoice_number = seen.number or invoice.xero_invoice_number
    invoice.xero_due_date = seen.due_date
    invoice.xero_subtotal, invoice.xero_total_tax, invoice.xero_total = seen.subtotal, seen.total_tax, seen.total
    invoice.xero_amount_due, invoice.xero_amount_paid = seen.amount_due, seen.amount_paid
    invoice.xero_paid_on = seen.paid_on
    invoice.xero_updated_at = seen.updated_at
    invoice.xero_seen_at = utcnow()
    invoice.xero_ever_paid = bool(invoice.xero_ever_paid) or paid_something(seen)


def apply_states(session: Session, workspace_id: int, states: Sequence[XeroInvoiceState]) -> Applied:
    """Store what Xero said of the workspace's invoices (one short transaction per call; callers chunk)."""
    applied = Applied()
    if not states:
        return applied
    by_id = {s.invoice_id.lower(): s for s in states}
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return applied
    mode = workspace.release_dead_drafts if workspace.release_dead_drafts in (AUTO, ASK) else ASK
    wanted = sorted({s.invoice_id for s in states} | set(by_id))  # Xero's ids as sent, and lower-cased
    done: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        invoices = session.scalars(
            select(Invoice).where(Invoice.workspace_id == workspace_id,
                                  Invoice.xero_invoice_id.in_(wanted[start:start + CHUNK]))
            .order_by(Invoice.id).with_for_update()
        ).all()
        for invoice in invoices:
            seen = by_id.get((invoice.xero_invoice_id or "").lower())
            if seen is None or invoice.id in done:
                continue
            done.add(invoice.id)
            applied.matched += 1
            _apply_one(session, invoice, seen, mode, applied)
    return applied


def _apply_one(session: Session, invoice: Invoice, seen: XeroInvoiceState, mode: str, applied: Applied) -> None:
    held = Held(invoice.xero_status, invoice.xero_updated_at, bool(invoice.xero_ever_paid))
    decision = decide(held, seen, same_figures=_same_figures(invoice, seen))
    if not decision.take:
        applied.stale += 1
        return
    _store(invoice, seen)
    if decision.changed:
        applied.changed += 1
        tell_slack(session, invoice, Event.XERO_STATE)
    if decision.newly_dead is None or invoice.release_state is not None:
        return
    if decision.newly_dead is Death.FLAG:
        invoice.release_state = ReleaseState.FLAGGED.value
        applied.flagged += 1
    elif mode == AUTO:
        release_now(session, None, invoice, automatic=True)
        applied.released += 1
    else:
        invoice.release_state = ReleaseState.ASK.value
        applied.asked += 1
    tell_slack(session, invoice, Event.DIED)


def has_unsettled(session: Session, workspace_id: int) -> bool:
    """Whether the workspace has invoices in Xero that Xero has not settled yet (the safety net's condition)."""
    return bool(session.scalar(select(exists().where(
        Invoice.workspace_id == workspace_id, Invoice.xero_invoice_id.is_not(None),
        Invoice.status.in_([s.value for s in IN_XERO]),
        or_(Invoice.xero_status.is_(None), Invoice.xero_status.not_in(SETTLED)),
    ))))


def own_invoice_ids(session: Session, workspace_id: int, candidates: Sequence[str]) -> set[str]:
    """Which of `candidates` (Xero invoice ids) are invoices this workspace pushed."""
    found: set[str] = set()
    wanted = sorted({c for c in candidates} | {c.lower() for c in candidates})
    for start in range(0, len(wanted), CHUNK):
        found.update(str(i) for i in session.scalars(select(Invoice.xero_invoice_id).where(
            Invoice.workspace_id == workspace_id, Invoice.xero_invoice_id.in_(wanted[start:start + CHUNK]))))
    return found


def refresh_invoice_states(session: Session, actor: Member) -> bool:
    """A manager's "Refresh invoice states": one read now, in the background (coalesced with any waiting)."""
    require(actor, Permission.REFRESH_INVOICE_STATES)
    if not usable(find_connection(session, actor.workspace_id)):
        raise InvalidInput("Xero isn't connected (or needs reconnecting), so there is nothing to refresh yet.")
    return request_follow(session, actor.workspace_id, reason="refresh")
