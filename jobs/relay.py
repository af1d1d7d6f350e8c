"""The relay: moves due outbox rows onto the transport.

Claim first, deliver second. Rows go pending → enqueued (fresh `job_id`) in one committed transaction, and
only then are they handed to the transport: a worker can never receive a job whose row it cannot see. On
PostgreSQL `FOR UPDATE SKIP LOCKED` lets several relays (workers, web processes) split the due rows; on SQLite
`BEGIN IMMEDIATE` serialises them; either way the conditional `status = 'pending'` update means a row is
claimed by one relay only. If the transport is down the undelivered rows go back to pending and the round
stops; the next round (or the next process) tries again. A job delivered twice is harmless: `execute` claims
the row once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy import select, update

from jobs.transport import Transport, TransportUnavailable
from storage.db import Database
from storage.models import Outbox, OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)


def relay_due(db: Database, transport: Transport, limit: int = 200) -> int:
    """Deliver up to `limit` due pending rows; returns how many reached the transport."""
    claimed = _claim_due(db, limit)
    delivered = 0
    for position, (outbox_id, job_id) in enumerate(claimed):
        try:
            transport.enqueue(outbox_id, job_id)
        except TransportUnavailable as exc:
            log.warning("transport unavailable (%s); %d row(s) stay pending", exc, len(claimed) - position)
            _put_back(db, claimed[position:])
            return delivered
        except BaseException:
            _put_back(db, claimed[position:])
            raise
        delivered += 1
    return delivered


def _claim_due(db: Database, limit: int) -> list[tuple[int, str]]:
    now = utcnow()
    claimed: list[tuple[int, str]] = []
    with db.session() as session:
        ids = session.scalars(
            select(Outbox.id)
            .where(Outbox.status == OutboxStatus.PENDING.value, Outbox.available_at <= now)
            .order_by(Outbox.available_at, Outbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for outbox_id in ids:
            job_id = str(uuid.uuid4())
            result = session.execute(
                update(Outbox)
                .where(Outbox.id == outbox_id, Outbox.status == OutboxStatus.PENDING.value)
                .values(status=OutboxStatus.ENQUEUED.value, job_id=job_id, enqueued_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append((outbox_id, job_id))
    return claimed


def _put_back(db: Database, rows: list[tuple[int, str]]) -> None:
    """Undo our claim on rows the transport never took, unless a worker already got to them."""
    with db.session() as session:
        for outbox_id, job_id in rows:
            session.execute(
                update(Outbox)
                .where(
                    Outbox.id == outbox_id,
                    Outbox.status == OutboxStatus.ENQUEUED.value,
                    Outbox.job_id == job_id,
                )
                .values(status=OutboxStatus.PENDING.value, enqueued_at=None)
                .execution_options(synchronize_session=False)
            )


def fast_path(db: Database, transport: Transport) -> Callable[[], None]:
    """A callback for `db.outbox_listeners`, relaying right after commit; polling remains the safety net.

    It never raises: the work is already committed, so a failed fast path only means "delivered by the next
    poll".
    """

    def relay_now() -> None:
        try:
            relay_due(db, transport)
        except Exception:  # noqa: BLE001
            log.exception("outbox fast-path relay failed; the poller will retry")

    return relay_now
