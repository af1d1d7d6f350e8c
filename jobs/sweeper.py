"""The sweeper: returns work whose delivery was lost to the outbox, and prunes old bookkeeping (done outbox rows,
Slack event receipts, Xero webhook event identities).

Two ways work gets stuck, both recovered from the database's point of view:
- enqueued, but the transport no longer knows the job (Redis restarted or was flushed, the job expired, a
  worker died before claiming it): after `stale_after` the row goes back to pending; the attempt was never
  used.
- running, but the lease expired (the worker was killed mid-task): the attempt counts, so the row goes back to
  pending, or fails once its attempts are exhausted (`on_failed` hooks run when a context is given).
Every change is a conditional update on the state we looked at, so concurrent sweepers and late workers are
safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from jobs.execute import run_failed_hooks
from jobs.registry import JobContext
from jobs.transport import Transport, TransportUnavailable
from storage.db import Database
from storage.models import Outbox, OutboxStatus, SlackEventReceipt, XeroWebhookEvent
from storage.types import utcnow

log = logging.getLogger(__name__)

KEEP_DONE = timedelta(days=7)
KEEP_RECEIPTS = timedelta(days=1)
# Xero retries a failed webhook delivery for up to 24 h: three days of event identities dedupe any
# redelivery with room to spare; older rows only grow the table.
KEEP_WEBHOOK_EVENTS = timedelta(days=3)
BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    requeued_lost: int = 0  # enqueued rows whose job vanished
    requeued_expired: int = 0  # running rows whose worker died, attempts left
    failed_expired: int = 0  # running rows whose worker died, attempts exhausted
    pruned_done: int = 0
    pruned_receipts: int = 0
    pruned_webhook_events: int = 0


@dataclass(frozen=True)
class PruneReport:
    done: int = 0
    receipts: int = 0
    webhook_events: int = 0


def sweep(
    db: Database,
    transport: Transport,
    *,
    stale_after: timedelta = timedelta(minutes=2),
    ctx: JobContext | None = None,
) -> SweepReport:
    """One pass over stuck work and old rows; pass `ctx` so rows failed here reach the `on_failed` hooks."""
    lost = _requeue_lost(db, transport, stale_after)
    requeued, failed = _recover_expired(db, ctx)
    pruned = prune(db)
    report = SweepReport(lost, requeued, failed, pruned.done, pruned.receipts, pruned.webhook_events)
    if lost or requeued or failed:
        log.warning("sweeper recovered work: %s", report)
    return report


def _requeue_lost(db: Database, transport: Transport, stale_after: timedelta) -> int:
    with db.session() as session:
        candidates = session.execute(
            select(Outbox.id, Outbox.job_id)
            .where(Outbox.status == OutboxStatus.ENQUEUED.value, Outbox.enqueued_at < utcnow() - stale_after)
            .order_by(Outbox.id)
            .limit(BATCH)
        ).all()
    lost: list[tuple[int, str | None]] = []
    started = getattr(transport, "started", None)
    for outbox_id, job_id in candidates:
        try:
            if job_id is None or not transport.knows(job_id):
                lost.append((outbox_id, job_id))
            elif started is not None and started(job_id):
                # Started long ago yet the row was never claimed (a claim makes it RUNNING at once): the worker
                # died between starting the job and claiming the row. The executor's conditional claim keeps a
                # late run of the old delivery harmless.
                lost.append((outbox_id, job_id))
        except TransportUnavailable as exc:
            log.warning("sweeper cannot reach the transport (%s); lost jobs are checked next pass", exc)
            break
    count = 0
    with db.session() as session:
        for outbox_id, job_id in lost:
            result = session.execute(
                update(Outbox)
                .where(
                    Outbox.id == outbox_id,
                    Outbox.status == OutboxStatus.ENQUEUED.value,
                    Outbox.job_id.is_(None) if job_id is None else Outbox.job_id == job_id,
                )
                .values(
                    status=OutboxStatus.PENDING.value,
                    enqueued_at=None,
                    last_error="job lost by the transport",
                )
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount  # type: ignore[attr-defined]
    return count


def _recover_expired(db: Database, ctx: JobContext | None) -> tuple[int, int]:
    now = utcnow()
    requeued = 0
    failed: list[int] = []
    with db.session() as session:
        rows = session.execute(
            select(Outbox.id, Outbox.attempts, Outbox.max_attempts)
            .where(Outbox.status == OutboxStatus.RUNNING.value, Outbox.lease_until < now)
            .order_by(Outbox.id)
            .limit(BATCH)
        ).all()
        for outbox_id, attempts, max_attempts in rows:
            exhausted = attempts >= max_attempts
            values: dict[str, object] = {"lease_until": None}
            if exhausted:
                values.update(
                    status=OutboxStatus.FAILED.value,
                    finished_at=now,
                    last_error=f"worker lost mid-task (lease expired) on attempt {attempts}/{max_attempts}",
                )
            else:
                values.update(
                    status=OutboxStatus.PENDING.value,
                    available_at=now,
                    enqueued_at=None,
                    last_error=f"worker lost mid-task (lease expired) on attempt {attempts}",
                )
            result = session.execute(
                update(Outbox)
                .where(
                    Outbox.id == outbox_id,
                    Outbox.status == OutboxStatus.RUNNING.value,
                    Outbox.attempts == attempts,
                    Outbox.lease_until < now,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                if exhausted:
                    failed.append(outbox_id)
                else:
                    requeued += 1
    if ctx is not None:
        for outbox_id in failed:
            with db.session() as session:
                row = session.get(Outbox, outbox_id)
            if row is not None:
                run_failed_hooks(ctx, row)
    return requeued, len(failed)


def prune(db: Database) -> PruneReport:
    """Delete done outbox rows older than a week, Slack event receipts older than a day, Xero webhook event
    identities older than three days; failed rows stay."""
    now = utcnow()
    with db.session() as session:
        done = session.execute(
            delete(Outbox)
            .where(Outbox.status == OutboxStatus.DONE.value, Outbox.finished_at < now - KEEP_DONE)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        receipts = session.execute(
            delete(SlackEventReceipt)
            .where(SlackEventReceipt.received_at < now - KEEP_RECEIPTS)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        events = session.execute(
            delete(XeroWebhookEvent)
            .where(XeroWebhookEvent.received_at < now - KEEP_WEBHOOK_EVENTS)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    return PruneReport(done=done, receipts=receipts, webhook_events=events)
