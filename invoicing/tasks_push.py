"""`invoice.push`: one invoice to Xero as a draft, exactly once; `invoice.notify`: tell Slack where it stands.

`invoice.push` (args: `invoice_id`; recorded by `invoicing.create` and `invoicing.push_status.retry_invoice`):

- Idempotent: re-reads the invoice; pushed, failed and cancelled invoices are left alone; a live lease held by
  another run means "come back when it expires" (RetryAt), never "done".
- Needs reconnect (or no connection) PAUSES the push: the invoice keeps its status, says it is waiting, and the
  task comes back every few minutes (RetryAt, which uses no attempt). We chose polling over a waiting state so
  that reconnecting needs no extra wiring: within `PAUSE` of the reconnect the push resumes on its own.
- An earlier attempt that may have reached Xero (status still `pushing`: timeout, dropped connection, killed
  worker, a database error after Xero answered; or any Retry) makes the task look the invoice up by reference
  first, so the draft is never created twice even when the Idempotency-Key has expired.
- 429 → RetryAt(Retry-After). Transient failures (5xx, timeouts, dropped connections, garbled answers) retry with
  the registry's exponential backoff up to `MAX_RETRIES` times, then the invoice fails with a clear message.
  Validation errors fail the invoice at once with Xero's own words; nothing retries them.
- Success stores Xero's id, number, total and the deep link after comparing Xero's copy with what was sent
  (`xero.push_check`): a difference marks the invoice "check in Xero" (it is in Xero: never sent again).

Every outcome records `invoice.notify` in the same transaction: bot/notify/invoice.py tells Slack.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from errors import RetryAt, Transient, UserError
from invoicing.push_status import (
    DEFAULT_LEASE,
    PUSH_TASK,
    Claim,
    draft_for,
    mark_failed,
    mark_pushed,
    note_waiting,
    push_dedupe_key,
    release_lease,
    take_lease,
)
from jobs.registry import JobContext, TaskRegistry
from storage.db import Database
from storage.models import Invoice, Outbox, OutboxStatus, XeroConnection
from storage.types import utcnow
from xero.client import DEFAULT_TIMEOUT, XeroClient
from xero.errors import RateLimited, TenantNotConnected, XeroError, XeroValidationError
from xero.push import DraftRefused, create_draft, deep_link, find_by_reference
from xero.status import usable

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # automatic retries after transient failures; then failed, and Retry is manual
PAUSE = timedelta(minutes=3)  # how often a paused push (Needs reconnect) checks again
WAITING_NOTE = "Xero needs reconnecting: the push resumes by itself once an admin reconnects Xero on Home."


def _knob(ctx: JobContext, name: str, default: Any) -> Any:
    """Test and drill knobs attached by the composition root (`invoice_push_retries`, `…_lease`, `…_pause`,
    `xero_timeout`); production uses the defaults."""
    return ctx.services.get(name, default)


# -- invoice.push -----------------------------------------------------------------------------------------------
def push(ctx: JobContext, invoice_id: int) -> None:
    db = ctx.db
    now = utcnow()
    pause: timedelta = _knob(ctx, "invoice_push_pause", PAUSE)
    claim: Claim | None = None
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status not in ("queued", "pushing"):
            log.info("invoice.push %s: nothing to do (%s)", invoice_id, invoice.status if invoice else "gone")
            return
        connection = session.scalars(select(XeroConnection)
                                     .where(XeroConnection.workspace_id == invoice.workspace_id)).one_or_none()
        if usable(connection):
            claim = take_lease(session, invoice_id, duration=_knob(ctx, "invoice_push_lease", DEFAULT_LEASE), now=now)
        else:
            note_waiting(session, invoice_id, WAITING_NOTE)
    if claim is None:
        raise RetryAt(now + pause, "paused: Xero needs reconnecting")
    if claim.outcome == "skip":
        return
    if claim.outcome == "busy":
        assert claim.lease_until is not None
        raise RetryAt(claim.lease_until + timedelta(seconds=1), "another run holds the invoice's lease")
    _push_claimed(ctx, invoice_id, claim, pause)


def _push_claimed(ctx: JobContext, invoice_id: int, claim: Claim, pause: timedelta) -> None:
    db = ctx.db
    lease = claim.lease_until
    assert lease is not None
    try:
        with db.session() as session:
            draft, short_code = draft_for(session, invoice_id)
        with _client(ctx, draft.workspace_id) as client:
            found = find_by_reference(client, draft.reference, draft.contact_id) if claim.ambiguous else None
            if found is not None:
                log.info("invoice.push %s: found %s in Xero by reference %s; not creating it again", invoice_id,
                         found.invoice_id, draft.reference)
            result = found or create_draft(client, draft)
    except RateLimited:
        with db.session() as session:  # Xero refused before doing anything: only earlier attempts are in doubt
            release_lease(session, invoice_id, lease, nothing_sent=not claim.ambiguous)
        raise
    except TenantNotConnected as exc:
        with db.session() as session:
            release_lease(session, invoice_id, lease, nothing_sent=not claim.ambiguous)
            note_waiting(session, invoice_id, WAITING_NOTE)
        raise RetryAt(utcnow() + pause, f"paused: {exc.reason}") from exc
    except (XeroValidationError, DraftRefused) as exc:
        _fail(db, invoice_id, "; ".join(exc.messages), lease, getattr(exc, "correlation_id", None))
        return
    except UserError as exc:
        _fail(db, invoice_id, exc.message, lease, None)
        return
    except XeroError as exc:
        if not isinstance(exc, Transient):  # 403 with a missing scope, 404, other 4xx: retrying cannot help
            _fail(db, invoice_id, str(exc), lease, exc.correlation_id)
            return
        _transient(ctx, invoice_id, lease, exc)
    except Exception as exc:  # noqa: BLE001 - timeouts, drops, garbled answers, a database blip: all ambiguous
        _transient(ctx, invoice_id, lease, exc)
    else:
        with db.session() as session:
            recorded = mark_pushed(session, invoice_id, result, deep_link(result.invoice_id, short_code), draft)
        log.info("invoice.push %s: %s as %s (%s)", invoice_id, "pushed" if recorded else "already recorded",
                 result.invoice_id, result.number)


def _client(ctx: JobContext, workspace_id: int) -> XeroClient:
    assert ctx.settings is not None, "invoice.push needs settings (Xero URLs)"
    return XeroClient(ctx.db, ctx.settings, workspace_id, limits=ctx.services.get("xero_limits"),
                      lock=ctx.services.get("xero_lock"), timeout=_knob(ctx, "xero_timeout", DEFAULT_TIMEOUT))


def _fail(db: Database, invoice_id: int, message: str, lease: Any, correlation: str | None) -> None:
    text = f"{message} (Xero correlation id {correlation})" if correlation else message
    with db.session() as session:
        if not mark_failed(session, invoice_id, text, lease_until=lease):
            log.warning("invoice.push %s: lost the lease before recording the failure: %s", invoice_id, text)
    log.warning("invoice.push %s failed: %s", invoice_id, text)


def _transient(ctx: JobContext, invoice_id: int, lease: Any, exc: BaseException) -> None:
    """Retry with backoff (keeping `pushing`: the next run looks the draft up first), or give up after
    `MAX_RETRIES` retries with a message that says what kept happening."""
    reason = getattr(exc, "reason", None) or str(exc) or exc.__class__.__name__
    attempt = current_attempt(ctx.db, invoice_id)
    retries: int = _knob(ctx, "invoice_push_retries", MAX_RETRIES)
    if attempt > retries:
        message = f"Xero kept failing after {attempt} tries: {reason}"
        _fail(ctx.db, invoice_id, message, lease, getattr(exc, "correlation_id", None))
        return
    with ctx.db.session() as session:
        release_lease(session, invoice_id, lease)
    raise Transient(f"attempt {attempt} of {retries + 1}: {reason}") from exc


def current_attempt(db: Database, invoice_id: int) -> int:
    """This run's attempt number: the running outbox row of the invoice's push (1 when run outside the outbox).
    A run killed mid-push used an attempt too (the job runner counts it)."""
    with db.session() as session:
        attempts = session.scalar(select(func.max(Outbox.attempts)).where(
            Outbox.task == PUSH_TASK, Outbox.dedupe_key == push_dedupe_key(invoice_id),
            Outbox.status == OutboxStatus.RUNNING.value))
    return int(attempts or 1)


def _outbox_gave_up(ctx: JobContext, row: Outbox) -> None:
    """Backstop: a push row that ended failed without the task saying so (its worker was killed on the last
    attempt, or an unexpected error exhausted the attempts) must not leave the invoice in `pushing` forever."""
    if row.task != PUSH_TASK:
        return
    invoice_id = int((row.args or {}).get("invoice_id", 0))
    message = f"Hour Cap could not finish pushing this invoice after {row.attempts} tries: {row.last_error}"
    with ctx.db.session() as session:
        if mark_failed(session, invoice_id, message, lease_until=None):
            log.warning("invoice.push %s failed (outbox gave up): %s", invoice_id, row.last_error)


def register(tasks: TaskRegistry) -> None:
    tasks.add(PUSH_TASK, push, lease=DEFAULT_LEASE + timedelta(minutes=1))
    tasks.on_failed(_outbox_gave_up)
