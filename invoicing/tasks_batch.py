"""`invoice.push_batch`: up to 50 invoices to Xero in ONE `PUT /Invoices?summarizeErrors=false&unitdp=4`.

Args: `invoice_ids` (recorded by `invoicing.batch.create_month_batch`, one row per group of up to 50).

- Each invoice is leased exactly as the single push leases it (`take_lease`). Only fresh claims (queued, never
  sent: nothing to look up) go into the request. An invoice that may already be in Xero (an ambiguous claim),
  or whose lease another run holds, goes to the single path (`invoice.push`), which looks it up by reference
  before any re-create.
- The request carries an `Idempotency-Key` derived from the sorted invoice ids and their attempt numbers.
- `summarizeErrors=false`: Xero answers each element on its own, in the order sent. OK → pushed, or check in
  Xero when Xero's copy differs (`mark_pushed`, as the single push records it); ERROR → failed with Xero's own
  message (`mark_failed`, as the single push).
- 429 (Xero's or our own budget) proves nothing was created: the invoices go back to queued and the task is
  rescheduled at Retry-After.
- Any other failure of the whole request is never re-sent as a batch: Needs reconnect and 4xx answers prove nothing
  was created (the invoices go back to queued); a timeout, a dropped connection, a 5xx or a garbled answer is
  ambiguous (the invoices stay pushing). Either way every invoice is handed to the single path by recording
  `invoice.push` for it, which looks it up in Xero by reference first when in doubt — so no duplicate is made.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import Transient, UserError
from invoicing.batch import PUSH_BATCH_TASK
from invoicing.push_status import (
    DEFAULT_LEASE,
    PUSH_TASK,
    draft_for,
    mark_failed,
    mark_pushed,
    push_dedupe_key,
    release_lease,
    take_lease,
)
from invoicing.tasks_push import _client, _knob
from jobs.registry import JobContext, TaskRegistry
from storage import outbox
from storage.models import Invoice, Outbox, XeroConnection
from storage.types import utcnow
from xero.client import MAX_IDEMPOTENCY_KEY
from xero.errors import RateLimited, TenantNotConnected, XeroError
from xero.push import (
    INVOICES_PATH,
    PUT_PARAMS,
    DraftInvoice,
    UnexpectedAnswer,
    XeroDraft,
    deep_link,
    draft_from,
    encode_json,
    invoice_payload,
    parse_body,
)
from xero.status import usable

log = logging.getLogger(__name__)

MAX_BATCH = 50


@dataclass(frozen=True)
class _Leased:
    invoice_id: int
    lease_until: datetime
    draft: DraftInvoice
    short_code: str | None


def batch_idempotency_key(workspace_id: int, attempts: dict[int, int]) -> str:
    """Same invoices at the same attempt generations → same key (a quick re-send replays)."""
    text = ",".join(f"{invoice_id}:{attempts[invoice_id]}" for invoice_id in sorted(attempts))
    key = f"hourcap-batch-{workspace_id}-{hashlib.sha256(text.encode()).hexdigest()[:40]}"
    assert len(key) <= MAX_IDEMPOTENCY_KEY
    return key


def batch_payload(drafts: list[DraftInvoice]) -> dict[str, Any]:
    return {"Invoices": [invoice_payload(d)["Invoices"][0] for d in drafts]}


def _hand_over(session: Session, invoice_ids: list[int]) -> None:
    """The single path takes these invoices (it looks each up by reference before any re-create)."""
    for invoice_id in invoice_ids:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            continue
        outbox.record(session, PUSH_TASK, {"invoice_id": invoice_id}, workspace_id=invoice.workspace_id,
                      dedupe_key=push_dedupe_key(invoice_id))


def push_batch(ctx: JobContext, invoice_ids: list[int]) -> None:
    db = ctx.db
    ids = [int(i) for i in invoice_ids][:MAX_BATCH]
    leased: list[_Leased] = []
    handed: list[int] = []
    with db.session() as session:
        now = utcnow()
        duration = _knob(ctx, "invoice_push_lease", DEFAULT_LEASE)
        for invoice_id in ids:
            invoice = session.get(Invoice, invoice_id)
            if invoice is None or invoice.status not in ("queued", "pushing"):
                continue
            connection = session.scalars(select(XeroConnection)
                                         .where(XeroConnection.workspace_id == invoice.workspace_id)).one_or_none()
            if not usable(connection):
                handed.append(invoice_id)  # the single path pauses until Xero is reconnected
                continue
            claim = take_lease(session, invoice_id, duration=duration, now=now)
            if claim.outcome == "skip":
                continue
            if claim.outcome == "busy":
                handed.append(invoice_id)
                continue
            assert claim.lease_until is not None
            if claim.ambiguous:  # may be in Xero already: the single path looks it up first
                release_lease(session, invoice_id, claim.lease_until)
                handed.append(invoice_id)
                continue
            try:
                draft, short_code = draft_for(session, invoice_id)
            except UserError as exc:
                mark_failed(session, invoice_id, exc.message, lease_until=claim.lease_until)
                continue
            leased.append(_Leased(invoice_id, claim.lease_until, draft, short_code))
        _hand_over(session, handed)
    if not leased:
        return
    _send(ctx, leased)


def _send(ctx: JobContext, leased: list[_Leased]) -> None:
    db = ctx.db
    drafts = [item.draft for item in leased]
    workspace_id = drafts[0].workspace_id
    key = batch_idempotency_key(workspace_id, {d.invoice_id: d.push_attempt for d in drafts})
    try:
        with _client(ctx, workspace_id) as client:
            response = client.put(INVOICES_PATH, params=PUT_PARAMS, content=encode_json(batch_payload(drafts)),
                                  headers={"Content-Type": "application/json"}, idempotency_key=key)
        elements = _elements(parse_body(response), drafts)
        correlation = response.headers.get("Xero-Correlation-Id")
    except RateLimited:  # refused before doing anything: back to queued, the same batch comes back later
        with db.session() as session:
            for item in leased:
                release_lease(session, item.invoice_id, item.lease_until, nothing_sent=True)
        raise
    except TenantNotConnected as exc:  # nothing was created; the single path pauses until reconnected
        _give_back(ctx, leased, nothing_sent=True, reason=str(exc))
        return
    except XeroError as exc:
        # A 4xx other than 429 created nothing; a transient one (5xx, timeout, drop) may have created some.
        _give_back(ctx, leased, nothing_sent=not isinstance(exc, Transient), reason=str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - timeouts, drops, garbled answers: ambiguous
        _give_back(ctx, leased, nothing_sent=False, reason=str(exc) or exc.__class__.__name__)
        return
    with db.session() as session:
        for item, element in zip(leased, elements, strict=True):
            if isinstance(element, XeroDraft):
                mark_pushed(session, item.invoice_id, element, deep_link(element.invoice_id, item.short_code),
                            item.draft)
                log.info("invoice.push_batch %s: pushed as %s (%s)", item.invoice_id, element.invoice_id,
                         element.number)
            else:
                text = f"{element} (Xero correlation id {correlation})" if correlation else element
                if not mark_failed(session, item.invoice_id, text, lease_until=item.lease_until):
                    log.warning("invoice.push_batch %s: lost the lease before recording the failure: %s",
                                item.invoice_id, text)
                log.warning("invoice.push_batch %s failed: %s", item.invoice_id, text)


def _elements(body: dict[str, Any], drafts: list[DraftInvoice]) -> list[XeroDraft | str]:
    """Each element's verdict, in the order sent: a created draft, or Xero's message. Anything that does not line
    up with what we sent (count, reference) is an unexpected answer: ambiguous for the whole request."""
    elements = body.get("Invoices")
    if not isinstance(elements, list) or len(elements) != len(drafts):
        raise UnexpectedAnswer("Xero's answer does not hold one element per invoice sent")
    verdicts: list[XeroDraft | str] = []
    for draft, element in zip(drafts, elements, strict=True):
        if not isinstance(element, dict):
            raise UnexpectedAnswer("Xero's answer holds an element that is not an object")
        reference = element.get("Reference")
        if reference is not None and str(reference) != draft.reference:
            raise UnexpectedAnswer("Xero's answer is not in the order sent")
        verdict = str(element.get("StatusAttributeString") or "").upper()
        if element.get("HasErrors") or verdict == "ERROR" or element.get("ValidationErrors"):
            messages = [str(e.get("Message")) for e in element.get("ValidationErrors") or []
                        if isinstance(e, dict) and e.get("Message")]
            verdicts.append("; ".join(messages) or "Xero refused the invoice without saying why")
            continue
        created = draft_from(element)
        if not created.invoice_id:
            raise UnexpectedAnswer("Xero's answer has an element without an InvoiceID")
        verdicts.append(created)
    return verdicts


def _give_back(ctx: JobContext, leased: list[_Leased], *, nothing_sent: bool, reason: str) -> None:
    """The whole request failed: never re-send the batch; every invoice goes to the single path. When nothing
    was created the invoices go back to queued; otherwise they stay pushing, so the single path looks each up by
    reference before re-creating it."""
    log.warning("invoice.push_batch: request for %d invoices failed (%s); handing them to invoice.push",
                len(leased), reason)
    with ctx.db.session() as session:
        for item in leased:
            release_lease(session, item.invoice_id, item.lease_until, nothing_sent=nothing_sent)
        _hand_over(session, [item.invoice_id for item in leased])


def _batch_gave_up(ctx: JobContext, row: Outbox) -> None:
    """Backstop: a batch row that ended failed (its worker killed on the last attempt, a database error on every
    attempt) must not strand its invoices: each goes to the single path, which looks it up before re-creating."""
    if row.task != PUSH_BATCH_TASK:
        return
    ids = [int(i) for i in (row.args or {}).get("invoice_ids", [])]
    with ctx.db.session() as session:
        open_ids = list(session.scalars(select(Invoice.id).where(Invoice.id.in_(ids),
                                                                 Invoice.status.in_(["queued", "pushing"]))))
        _hand_over(session, open_ids)
    log.warning("invoice.push_batch gave up after %s tries (%s); %d invoices handed to invoice.push",
                row.attempts, row.last_error, len(open_ids))


def register(tasks: TaskRegistry) -> None:
    tasks.add(PUSH_BATCH_TASK, push_batch, lease=DEFAULT_LEASE + timedelta(minutes=1))
    tasks.on_failed(_batch_gave_up)
