"""`xero.sync`: sync one resource of one workspace from Xero, keep its status, and keep one alert per failure.

Args: `workspace_id`, `resource` (one of `xero.sync.RESOURCES`), `reason` (for logs). Recorded by
`xero.sync_status.request_sync` (Home, refresh buttons, after connecting, contact webhooks), deduplicated per
workspace and resource.

- A connection that is not usable (Needs reconnect, or gone) is skipped without a call to Xero.
- Every run records an attempt; success records the time (and the contacts cursor) and clears the error.
- Xero's minute limit reschedules the run at `Retry-After` (no error: nothing failed). A daily-limit stop is a
  failure said plainly ("Xero's daily limit … resumes at …") and rescheduled at `Retry-After` too.
- Any other failure records Xero's message and goes back to the outbox (retries with backoff, or ends failed).
- Alerts: a failure records an alert notification (what failed, why, what to do) in the transaction that records
  the failure, and a success after an alert records one that resolves it; `bot/notify/sync_alert.py` renders
  them (one message per failing resource, edited as it goes, "resolved" at the end).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from errors import Permanent, RetryAt, Transient
from formats import DEFAULT
from jobs.registry import JobContext, TaskRegistry
from storage.models import Workspace, XeroConnection
from xero.client import XeroClient
from xero.errors import (
    NeedsReconnect,
    RateLimited,
    TenantNotConnected,
    XeroError,
    XeroForbidden,
    XeroTransient,
    XeroValidationError,
)
from xero.mapping import auto_match
from xero.status import usable
from xero.sync import CONTACTS, RESOURCES, SyncResult, UnexpectedAnswer, sync_resource
from xero.sync_status import (
    FAILED,
    RESOLVED,
    SYNC_TASK,
    record_alert_notification,
    record_attempt,
    record_failure,
    record_success,
)

log = logging.getLogger(__name__)


def reader_for(ctx: JobContext, workspace_id: int) -> XeroClient:
    """The workspace's Xero client (`xero.client.XeroClient`): auth and tenant headers built per request from the
    one connection row, refresh under the lock, the tenant's call budget, typed errors. A composition root (or a
    test) may attach `xero_limits` / `xero_lock` services to choose the budget and lock implementation."""
    assert ctx.settings is not None, "xero.sync needs settings (Xero URLs)"
    return XeroClient(ctx.db, ctx.settings, workspace_id, limits=ctx.services.get("xero_limits"),
                      lock=ctx.services.get("xero_lock"))


def sync(ctx: JobContext, workspace_id: int, resource: str, reason: str = "") -> None:
    if resource not in RESOURCES:
        raise Permanent(f"unknown Xero resource {resource!r}")
    with ctx.db.session() as session:
        connection = session.scalars(
            select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)
        ).one_or_none()
        if not usable(connection):
            log.info("xero.sync %s for workspace %s skipped: no usable Xero connection", resource, workspace_id)
            return
        state = record_attempt(session, workspace_id, resource)
        since = state.modified_since if resource == CONTACTS else None
    try:
        with reader_for(ctx, workspace_id) as reader:
            result = sync_resource(ctx.db, reader, workspace_id, resource, since=since)
    except RateLimited as exc:
        if exc.problem != "day":
            raise  # the minute (or in-flight) limit: come back at Retry-After, nothing failed
        _failed(ctx, workspace_id, resource, daily_limit_message(exc.retry_at),
                "Nothing to do: Hour Cap carries on by itself when Xero's limit resets.")
        raise
    except TenantNotConnected as exc:
        # Needs reconnect (announced on its own, so no sync alert here), or disconnected while this ran.
        if isinstance(exc, NeedsReconnect):
            with ctx.db.session() as session:
                record_failure(session, workspace_id, resource, exc.reason)
        log.info("xero.sync %s for workspace %s stopped: %s", resource, workspace_id, exc.reason)
        return
    except UnexpectedAnswer as exc:
        _failed(ctx, workspace_id, resource, str(exc), _advice(exc))
        raise Transient(str(exc)) from exc
    except Exception as exc:
        _failed(ctx, workspace_id, resource, _why(exc), _advice(exc))
        raise
    _succeeded(ctx, workspace_id, resource, result, reason)


# -- outcomes ---------------------------------------------------------------------------------------------------
def _succeeded(ctx: JobContext, workspace_id: int, resource: str, result: SyncResult, reason: str) -> None:
    with ctx.db.session() as session:
        state = record_success(session, workspace_id, resource, cursor=result.cursor)
        if state.alert_channel_id is not None:  # an alert was raised for this resource: have it resolved
            record_alert_notification(session, workspace_id, resource, RESOLVED)
        if resource == CONTACTS:  # new or renamed contacts may now match clients by name (never a guess)
            auto_match(session, workspace_id)
    log.info("xero.sync %s for workspace %s (%s): %s calls, %s kept, %s removed", resource, workspace_id,
             reason or "-", result.calls, result.kept, result.removed)


def _failed(ctx: JobContext, workspace_id: int, resource: str, why: str, todo: str) -> None:
    """Record the failure and, when the workspace has an alerts channel, the alert that tells it (posted, or the
    one already posted for this resource edited, by the Slack-side `xero.sync_alert` task)."""
    with ctx.db.session() as session:
        record_failure(session, workspace_id, resource, why)
        workspace = session.get(Workspace, workspace_id)
        if workspace is not None and workspace.alerts_channel_id:
            record_alert_notification(session, workspace_id, resource, FAILED, why=why, todo=todo)
    log.warning("xero.sync %s for workspace %s failed: %s", resource, workspace_id, why)


# -- words ------------------------------------------------------------------------------------------------------
def daily_limit_message(retry_at: datetime) -> str:
    at = retry_at.astimezone(UTC)  # stored once and shown to everyone: UTC, the formatter's default locale
    when = f"{at:%H:%M} UTC on {DEFAULT.day(at.date())}"
    return f"Xero's daily limit of API calls for this organisation is used up; syncing resumes at {when}."


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or str(exc) or exc.__class__.__name__
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else exc.__class__.__name__
    correlation = exc.correlation_id if isinstance(exc, XeroError) else None
    return f"{text} (Xero correlation id {correlation})" if correlation else text


def _advice(exc: BaseException) -> str:
    if isinstance(exc, XeroTransient | UnexpectedAnswer):
        return ("Nothing to do yet: Hour Cap retries by itself. If this lasts, check Xero's status page "
                "(status.xero.com), then use Refresh on the Hour Cap Home tab.")
    if isinstance(exc, XeroForbidden):
        return "An admin should reconnect Xero from the Hour Cap Home tab (a permission or scope is missing)."
    if isinstance(exc, XeroValidationError):
        return "Use Refresh on the Hour Cap Home tab; if it fails again, contact support with the correlation id."
    if isinstance(exc, RetryAt):
        return "Nothing to do: Hour Cap tries again by itself."
    return "Hour Cap retries by itself; if it keeps failing, use Refresh on the Hour Cap Home tab."


def register(tasks: TaskRegistry) -> None:
    tasks.add(SYNC_TASK, sync)
