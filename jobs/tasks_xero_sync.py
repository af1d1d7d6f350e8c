"""`xero.sync`: sync one resource of one workspace from Xero, keep its status, and keep one alert per failure.

Args: `workspace_id`, `resource` (one of `xero.sync.RESOURCES`), `reason` (for logs). Recorded by
`xero.sync_status.request_sync` (Home, refresh buttons, after connecting, contact webhooks), deduplicated per
workspace and resource.

- A connection that is not usable (Needs reconnect, or gone) is skipped without a call to Xero.
- Every run records an attempt; success records the time (and the contacts cursor) and clears the error.
- Xero's minute limit reschedules the run at `Retry-After` (no error: nothing failed). A daily-limit stop is a
  failure said plainly ("Xero's daily limit … resumes at …") and rescheduled at `Retry-After` too.
- Any other failure records Xero's message and goes back to the outbox (retries with backoff, or ends failed).
- Alerts (PRODUCT.md §9): the first failure posts ONE message to the workspace's alerts channel saying what failed,
  why and what to do; later failures of the same resource edit it (`chat.update`); a success edits it to
  "resolved". Its channel and ts live on the resource's `XeroSyncState`. When the bot cannot post there
  (`not_in_channel`, `channel_not_found`, …) the channel is kept without a ts so Home can say how to invite it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.kept_message import keep_message
from bot.slack_clients import SlackNotInstalled
from jobs.registry import JobContext, Permanent, RetryAt, Transient, task
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
    LABELS,
    SYNC_TASK,
    record_alert,
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


@task(SYNC_TASK)
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
        alert = (state.alert_channel_id, state.alert_ts)
        if resource == CONTACTS:  # new or renamed contacts may now match clients by name (never a guess)
            auto_match(session, workspace_id)
    log.info("xero.sync %s for workspace %s (%s): %s calls, %s kept, %s removed", resource, workspace_id,
             reason or "-", result.calls, result.kept, result.removed)
    channel, ts = alert
    if channel is None:
        return
    if ts is not None:
        client = _slack(ctx, workspace_id)
        if client is not None:
            text, blocks = resolved_message(resource)
            try:
                client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except SlackApiError as exc:
                log.warning("could not resolve the sync alert %s in %s: %s", ts, channel, exc.response.get("error"))
    with ctx.db.session() as session:
        record_alert(session, workspace_id, resource, None, None)


def _failed(ctx: JobContext, workspace_id: int, resource: str, why: str, todo: str) -> None:
    """Record the failure, then post the alert — or edit the one already posted for this resource."""
    with ctx.db.session() as session:
        state = record_failure(session, workspace_id, resource, why)
        workspace = session.get(Workspace, workspace_id)
        channel = workspace.alerts_channel_id if workspace is not None else None
        previous = (state.alert_channel_id, state.alert_ts)
    log.warning("xero.sync %s for workspace %s failed: %s", resource, workspace_id, why)
    if not channel:
        return
    client = _slack(ctx, workspace_id)
    if client is None:
        return
    text, blocks = failure_message(resource, why, todo)
    posted = keep_message(client, channel, previous, text, blocks, "the sync alert")
    if posted is not None:
        with ctx.db.session() as session:
            record_alert(session, workspace_id, resource, *posted)


def _slack(ctx: JobContext, workspace_id: int) -> WebClient | None:
    with ctx.db.session() as session:
        workspace = session.get(Workspace, workspace_id)
        if workspace is None:
            return None
        team_id, enterprise_id = workspace.slack_team_id, workspace.slack_enterprise_id
    try:
        client: WebClient = ctx.services["slack"].for_team(team_id, enterprise_id=enterprise_id)
        return client
    except (KeyError, SlackNotInstalled):
        log.info("workspace %s: no Slack client, the sync alert is left to Home", workspace_id)
        return None


# -- words ------------------------------------------------------------------------------------------------------
def daily_limit_message(retry_at: datetime) -> str:
    when = retry_at.astimezone(UTC).strftime("%H:%M UTC on %d %b")
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


def failure_message(resource: str, why: str, todo: str) -> tuple[str, list[dict[str, Any]]]:
    label = LABELS[resource]
    text = f":warning: Syncing {label} from Xero failed. Why: {why} What to do: {todo}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: *Syncing {label} from Xero failed*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why:* {_clip(why)}\n*What to do:* {todo}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "This message updates if it fails again, "
                                                                    "and says so when syncing works again."}]},
    ]
    return text, blocks


def resolved_message(resource: str) -> tuple[str, list[dict[str, Any]]]:
    label = LABELS[resource]
    text = f":white_check_mark: Resolved: syncing {label} from Xero works again."
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _clip(text: str, limit: int = 2500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
