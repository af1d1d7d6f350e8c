"""Asking to read back the invoices Hour Cap created: one coalesced read per workspace.

The read (`invoicing.tasks_follow`, task `xero.invoice_states`) is work in the outbox with one dedupe key per
workspace, so any number of triggers while one waits — a burst of INVOICE webhook events, the hourly safety net,
managers pressing "Refresh invoice states" — become one read. A read already running does not count: a change seen
mid-run queues exactly one more.

The hourly safety net (task `xero.invoice_states_hourly`) is its own row, due at the workspace's slot in the hour
(workspaces are spread over the hour by id), and asks for the read only while the workspace has invoices Xero has
not settled yet; it is started again by the next push.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import outbox
from storage.models import Outbox, OutboxStatus
from storage.types import utcnow

FOLLOW_TASK = "xero.invoice_states"
HOURLY_TASK = "xero.invoice_states_hourly"
HOUR = timedelta(hours=1)
WEBHOOK_SETTLE = timedelta(seconds=2)  # a burst of INVOICE events arrives in several payloads: read once after it
MAX_SETTLE = timedelta(seconds=30)
_SPREAD = 997  # seconds between neighbouring workspaces' slots (prime: ids spread over the whole hour)


def follow_key(workspace_id: int) -> str:
    return f"{FOLLOW_TASK}:{workspace_id}"


def request_follow(session: Session, workspace_id: int, *, reason: str, settle: timedelta | None = None) -> bool:
    """Record a read of the workspace's own invoices; False when one is already waiting (coalesced).

    `settle` (webhooks): wait that long for more events before reading, and push a waiting read back by as much
    with every event (never past `MAX_SETTLE` after it was first asked for), so a burst Xero delivers in many
    payloads is still one read."""
    key = follow_key(workspace_id)
    row = outbox.record(session, FOLLOW_TASK, {"workspace_id": workspace_id, "reason": reason},
                        workspace_id=workspace_id, dedupe_key=key, delay=settle)
    if row is None and settle is not None:
        waiting = session.scalars(select(Outbox).where(Outbox.dedupe_key == key,
                                                       Outbox.status == OutboxStatus.PENDING.value)).first()
        if waiting is not None and waiting.created_at is not None:
            waiting.available_at = max(waiting.available_at, min(utcnow() + settle, waiting.created_at + MAX_SETTLE))
    return row is not None


def hourly_slot(workspace_id: int, after: datetime) -> datetime:
    """The workspace's next moment in the hour, strictly after `after` (at most an hour later)."""
    offset = timedelta(seconds=(workspace_id * _SPREAD) % 3600)
    hour = after.replace(minute=0, second=0, microsecond=0)
    slot = hour + offset
    while slot <= after:
        slot += HOUR
    return slot


def schedule_hourly(session: Session, workspace_id: int, *, after: datetime | None = None) -> bool:
    """Have the safety net look at the workspace at its next slot (a no-op when one is already waiting)."""
    row = outbox.record(session, HOURLY_TASK, {"workspace_id": workspace_id}, workspace_id=workspace_id,
                        dedupe_key=f"{HOURLY_TASK}:{workspace_id}",
                        not_before=hourly_slot(workspace_id, after or utcnow()))
    return row is not None
