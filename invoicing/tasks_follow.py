"""`xero.invoice_states` and `xero.invoice_states_hourly`: read back our own invoices from Xero, and the hourly
safety net that asks for that read while anything is still open.

`xero.invoice_states` (args `workspace_id`, `reason`), recorded by `xero.invoice_follow.request_follow` (INVOICE
webhook events for our invoices, the safety net, Refresh invoice states) with one dedupe key per workspace:

- a connection that is not usable (Needs reconnect, or gone) is skipped without a call;
- one `GET /Invoices?createdByMyApp=true&summaryOnly=true&page=1&pageSize=1000` with `If-Modified-Since` (more
  pages only past 1,000 changed invoices); the states are stored by `invoicing.follow.apply_states` in short
  transactions, and the cursor (Xero's clock less a minute) only after all of them are stored;
- Xero's minute limit reschedules at `Retry-After`; Needs reconnect during the read stops quietly (announced on
  its own) and keeps the old cursor, so nothing is missed once reconnected.

`xero.invoice_states_hourly` (arg `workspace_id`): when the workspace still has invoices Xero has not settled
(not PAID, VOIDED or DELETED), record the read and come back at the workspace's next slot; otherwise stop (the
next push starts it again).
"""

from __future__ import annotations

import logging

from errors import Transient
from invoicing.follow import CHUNK, Applied, apply_states, has_unsettled
from jobs.registry import JobContext, TaskRegistry
from xero.connection_summary import find_connection
from xero.errors import TenantNotConnected
from xero.invoice_follow import FOLLOW_TASK, HOURLY_TASK, request_follow, schedule_hourly
from xero.invoice_read import read_own_invoices
from xero.status import usable
from xero.sync import UnexpectedAnswer
from xero.tasks_sync import reader_for

log = logging.getLogger(__name__)


def follow(ctx: JobContext, workspace_id: int, reason: str = "") -> None:
    with ctx.db.session() as session:
        connection = find_connection(session, workspace_id)
        if not usable(connection):
            log.info("invoice states for workspace %s skipped: no usable Xero connection", workspace_id)
            return
        assert connection is not None
        since = connection.invoices_modified_since
    try:
        with reader_for(ctx, workspace_id) as reader:
            result = read_own_invoices(reader, since)
    except TenantNotConnected as exc:
        log.info("invoice states for workspace %s stopped: %s", workspace_id, exc.reason)
        return
    except UnexpectedAnswer as exc:
        raise Transient(str(exc)) from exc
    total = Applied()
    for start in range(0, len(result.states), CHUNK):
        with ctx.db.session() as session:
            part = apply_states(session, workspace_id, result.states[start:start + CHUNK])
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    with ctx.db.session() as session:
        connection = find_connection(session, workspace_id)
        if connection is not None:
            connection.invoices_modified_since = result.cursor
    log.info("invoice states for workspace %s (%s): %s calls, %s of ours, %s changed, %s stale, %s released, "
             "%s to release, %s flagged", workspace_id, reason or "-", result.calls, total.matched, total.changed,
             total.stale, total.released, total.asked, total.flagged)


def hourly(ctx: JobContext, workspace_id: int) -> None:
    with ctx.db.session() as session:
        if not usable(find_connection(session, workspace_id)) or not has_unsettled(session, workspace_id):
            return
        request_follow(session, workspace_id, reason="hourly")
        schedule_hourly(session, workspace_id)


def register(tasks: TaskRegistry) -> None:
    tasks.add(FOLLOW_TASK, follow)
    tasks.add(HOURLY_TASK, hourly)
