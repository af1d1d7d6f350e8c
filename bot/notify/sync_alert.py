"""`xero.sync_alert`: the alert a failing sync keeps in the workspace's alerts channel.

Recorded by `xero.tasks_sync` (through `xero.sync_status.record_alert_notification`) in the transaction that
records the outcome. The first failure posts ONE message saying what failed, why and what to do; later failures of
the same resource edit it (`chat.update`); a success edits it to "resolved". Its channel and ts live on the
resource's `XeroSyncState`. When the bot cannot post there (`not_in_channel`, `channel_not_found`, …) the
channel is kept without a ts so Home can say how to invite it.

Notifications of one resource may run side by side; each acts only while the state still says what it says (a
failure alert is not posted once the resource has synced again), so the message ends on the latest state.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.kept_message import keep_message
from bot.slack_clients import SlackNotInstalled
from bot.views.sync import sync_failure_alert, sync_resolved_alert
from jobs.registry import JobContext, TaskRegistry
from storage.models import Workspace
from xero.sync_status import FAILED, SYNC_ALERT_TASK, record_alert, state_for

log = logging.getLogger(__name__)


def sync_alert(ctx: JobContext, workspace_id: int, resource: str, outcome: str, why: str | None = None,
               todo: str | None = None) -> None:
    if outcome == FAILED:
        _raise_alert(ctx, workspace_id, resource, why or "unknown error", todo or "")
    else:
        _resolve_alert(ctx, workspace_id, resource)


def _raise_alert(ctx: JobContext, workspace_id: int, resource: str, why: str, todo: str) -> None:
    with ctx.db.session() as session:
        state = state_for(session, workspace_id, resource)
        workspace = session.get(Workspace, workspace_id)
        channel = workspace.alerts_channel_id if workspace is not None else None
        previous = (state.alert_channel_id, state.alert_ts)
        still_failing = state.last_error is not None
    if not channel or not still_failing:
        return
    client = _slack(ctx, workspace_id)
    if client is None:
        return
    text, blocks = sync_failure_alert(resource, why, todo)
    posted = keep_message(client, channel, previous, text, blocks, "the sync alert")
    if posted is not None:
        with ctx.db.session() as session:
            record_alert(session, workspace_id, resource, *posted)


def _resolve_alert(ctx: JobContext, workspace_id: int, resource: str) -> None:
    with ctx.db.session() as session:
        state = state_for(session, workspace_id, resource)
        channel, ts = state.alert_channel_id, state.alert_ts
        if channel is None or state.last_error is not None:
            return  # nothing raised, or failing again since: the failure's own notification keeps the alert
    if ts is not None:
        client = _slack(ctx, workspace_id)
        if client is not None:
            text, blocks = sync_resolved_alert(resource)
            try:
                client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except SlackApiError as exc:
                log.warning("could not resolve the sync alert %s in %s: %s", ts, channel, exc.response.get("error"))
    with ctx.db.session() as session:
        record_alert(session, workspace_id, resource, None, None)


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


def register(tasks: TaskRegistry) -> None:
    tasks.add(SYNC_ALERT_TASK, sync_alert)
