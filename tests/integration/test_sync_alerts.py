"""The `xero.sync` task through the real outbox executor, against the Xero and Slack stand-ins over HTTP:
status rows, one alert per failing resource (posted once, edited on later failures, resolved by a success),
rate limits, Needs reconnect, and Home's deduplicated background trigger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app import task_registry
from bot.slack_clients import SlackClients
from jobs.execute import execute as execute_row
from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace
from settings import Settings
from storage.db import Database
from storage.models import Outbox, Workspace, XeroConnection, XeroContact, XeroSyncState
from storage.types import utcnow
from tests.support.workspace import (
    ALICE,
    BOB,
    KIRI,
    OWNER,
    SIGNING_SECRET,
    TEAM,
    token_and_xero_settings,
)
from xero.limits import LocalLimits
from xero.status import mark_needs_reconnect
from xero.sync import RESOURCES
from xero.sync_status import SYNC_ALERT_TASK, SYNC_TASK, request_sync, status_summary, sync_due

ALERTS = "C0ALERTS"
NO_BOT = "C0NOBOT"
CONTACTS_PATH = "/api.xro/2.0/Contacts"


def _settings(sb: XeroSandbox, slack_api: SlackSandbox, database_url: str, keys: tuple[str, ...]) -> Settings:
    return token_and_xero_settings(slack_api, sb, database_url, keys)


@pytest.fixture
def ctx(db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
        encryption_keys: tuple[str, ...]) -> JobContext:
    slack_api.add_channel(ALERTS, "hourcap-alerts", team_id=TEAM, is_member=True)
    slack_api.add_channel(NO_BOT, "finance", team_id=TEAM, is_member=False, is_private=True)
    settings = _settings(xero_sb, slack_api, database_url, encryption_keys)
    return JobContext(db=db, settings=settings, tasks=task_registry(),
                      services={"slack": SlackClients(settings), "xero_limits": LocalLimits()})


@pytest.fixture
def ws(db: Database, xero_sb: XeroSandbox) -> ConnectedWorkspace:
    connected = connect_workspace(db, xero_sb, team_id=TEAM)
    _set_alerts_channel(db, connected.workspace_id, ALERTS)
    return connected


def _set_alerts_channel(db: Database, workspace_id: int, channel: str | None) -> None:
    with db.session() as session:
        session.execute(update(Workspace).where(Workspace.id == workspace_id).values(alerts_channel_id=channel))


def execute(ctx: JobContext, outbox_id: int) -> str:
    """Run one sync row, then the alert notifications it recorded (as the relay would, right after commit)."""
    outcome = execute_row(ctx, outbox_id)
    with ctx.db.session() as session:
        alerts = list(session.scalars(select(Outbox.id).where(Outbox.task == SYNC_ALERT_TASK,
                                                              Outbox.status == "pending").order_by(Outbox.id)))
    for alert in alerts:
        assert execute_row(ctx, alert) == "done"
    return outcome


def _request(db: Database, workspace_id: int, resource: str) -> int:
    with db.session() as session:
        assert request_sync(session, workspace_id, resource, reason="test") == [resource]
        return session.scalars(select(Outbox.id).where(Outbox.task == SYNC_TASK, Outbox.status == "pending",
                                                       Outbox.workspace_id == workspace_id)).one()


def _run_again(ctx: JobContext, outbox_id: int) -> str:
    """What the relay does once a retry is due: make it due now (no sleeping), run it."""
    with ctx.db.session() as session:
        session.execute(update(Outbox).where(Outbox.id == outbox_id).values(available_at=utcnow()))
    return execute(ctx, outbox_id)


def _state(db: Database, workspace_id: int, resource: str) -> XeroSyncState:
    with db.session() as session:
        return session.scalars(select(XeroSyncState).where(XeroSyncState.workspace_id == workspace_id,
                                                           XeroSyncState.resource == resource)).one()


def _text(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message.get("blocks", []))


def test_failure_posts_one_alert_later_failures_edit_it_success_resolves_it(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    db = ctx.db
    xero_sb.faults.add("GET /api.xro/2.0/Contacts*", "503", count=2)
    row = _request(db, ws.workspace_id, "contacts")
    assert execute(ctx, row) == "retry"

    state = _state(db, ws.workspace_id, "contacts")
    assert state.last_error and "503" in state.last_error and state.last_success_at is None
    assert state.last_attempt_at is not None and state.alert_channel_id == ALERTS and state.alert_ts
    messages = slack_api.messages(ALERTS)
    assert len(messages) == 1
    assert "Syncing contacts from Xero failed" in _text(messages[0]) and "What to do" in _text(messages[0])
    with db.session() as session:
        summary = status_summary(session, ws.workspace_id)
    assert summary.warning and "contacts" in summary.warning and "503" in summary.warning
    assert summary.syncing  # the retry is waiting

    assert _run_again(ctx, row) == "retry"
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert len(slack_api.calls_to("chat.update")) == 1
    assert len(slack_api.messages(ALERTS)) == 1 and slack_api.messages(ALERTS)[0].get("edited")

    assert _run_again(ctx, row) == "done"
    assert len(slack_api.calls_to("chat.postMessage")) == 1, "a success never posts: it edits the alert"
    resolved = slack_api.messages(ALERTS)
    assert len(resolved) == 1 and "Resolved" in _text(resolved[0])
    state = _state(db, ws.workspace_id, "contacts")
    assert state.last_error is None and state.last_success_at is not None and state.modified_since is not None
    assert (state.alert_channel_id, state.alert_ts) == (None, None)
    with db.session() as session:
        summary = status_summary(session, ws.workspace_id)
        assert summary.warning is None and not summary.syncing and summary.last_synced_at is not None
        assert session.scalars(select(XeroContact).where(XeroContact.workspace_id == ws.workspace_id)).first()

    # the next failure of the same resource is a new incident: a new alert
    xero_sb.faults.add("GET /api.xro/2.0/Contacts*", "500", count=1)
    again = _request(db, ws.workspace_id, "contacts")
    assert execute(ctx, again) == "retry"
    assert len(slack_api.messages(ALERTS)) == 2


def test_no_alerts_channel_means_home_warning_only(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    _set_alerts_channel(ctx.db, ws.workspace_id, None)
    xero_sb.faults.add("GET /api.xro/2.0/Items*", "500", count=1)
    assert execute(ctx, _request(ctx.db, ws.workspace_id, "items")) == "retry"
    assert slack_api.calls_to("chat.postMessage") == []
    assert "500" in (_state(ctx.db, ws.workspace_id, "items").last_error or "")
    with ctx.db.session() as session:
        assert (status_summary(session, ws.workspace_id).warning or "").startswith("Last sync of items failed")


def test_bot_not_in_the_alerts_channel_is_recorded_for_home(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    _set_alerts_channel(ctx.db, ws.workspace_id, NO_BOT)
    xero_sb.faults.add("GET /api.xro/2.0/TaxRates*", "503", count=1)
    assert execute(ctx, _request(ctx.db, ws.workspace_id, "tax_rates")) == "retry"
    assert slack_api.messages(NO_BOT) == []
    state = _state(ctx.db, ws.workspace_id, "tax_rates")
    assert (state.alert_channel_id, state.alert_ts) == (NO_BOT, None)
    with ctx.db.session() as session:
        hint = status_summary(session, ws.workspace_id).invite_hint
    assert hint and f"<#{NO_BOT}>" in hint and "/invite" in hint


def test_minute_limit_reschedules_at_retry_after_without_an_alert(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    xero_sb.faults.add("GET /api.xro/2.0/BrandingThemes*", "429", count=1, retry_after=42)
    row = _request(ctx.db, ws.workspace_id, "branding_themes")
    before = utcnow()
    assert execute(ctx, row) == "rescheduled"
    with ctx.db.session() as session:
        outbox_row = session.get(Outbox, row)
        assert outbox_row is not None and outbox_row.attempts == 0
        assert timedelta(seconds=40) < outbox_row.available_at - before < timedelta(seconds=45)
    assert _state(ctx.db, ws.workspace_id, "branding_themes").last_error is None
    assert slack_api.calls_to("chat.postMessage") == []


def test_daily_limit_stop_is_said_plainly_and_rescheduled(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    xero_sb.set_limits(per_day=1)
    assert execute(ctx, _request(ctx.db, ws.workspace_id, "organisation")) == "done"  # today's one call
    row = _request(ctx.db, ws.workspace_id, "accounts")
    assert execute(ctx, row) == "rescheduled"
    error = _state(ctx.db, ws.workspace_id, "accounts").last_error or ""
    assert error.startswith("Xero's daily limit of API calls for this organisation is used up; syncing resumes at")
    messages = slack_api.messages(ALERTS)
    assert len(messages) == 1 and "daily limit" in _text(messages[0])
    with ctx.db.session() as session:
        outbox_row = session.get(Outbox, row)
        assert outbox_row is not None and outbox_row.available_at > utcnow() + timedelta(hours=1)


def test_needs_reconnect_stops_syncing_without_calling_xero(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, ws.connection_row_id)
        assert connection is not None
        mark_needs_reconnect(session, connection, "refresh token refused (invalid_grant)")
        assert not sync_due(session, ws.workspace_id)
    xero_sb.reset_calls()
    assert execute(ctx, _request(ctx.db, ws.workspace_id, "contacts")) == "done"
    assert xero_sb.calls == []
    assert slack_api.calls_to("chat.postMessage") == []
    with ctx.db.session() as session:
        assert session.scalars(select(XeroSyncState)).all() == []


def test_every_resource_syncs_through_the_task_and_home_is_not_due_afterwards(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox
) -> None:
    with ctx.db.session() as session:
        assert sync_due(session, ws.workspace_id)
        assert request_sync(session, ws.workspace_id, None, reason="connected") == list(RESOURCES)
        assert request_sync(session, ws.workspace_id, None, reason="again") == []  # coalesced
        assert not sync_due(session, ws.workspace_id)  # work is waiting
        rows = list(session.scalars(select(Outbox.id).where(Outbox.task == SYNC_TASK)))
    xero_sb.reset_calls()
    assert [execute(ctx, row) for row in rows] == ["done"] * len(RESOURCES)
    assert len(xero_sb.calls) == len(RESOURCES)
    with ctx.db.session() as session:
        assert not sync_due(session, ws.workspace_id)
        summary = status_summary(session, ws.workspace_id)
        assert all(r.last_success_at for r in summary.resources) and summary.warning is None
        session.execute(update(XeroSyncState).values(last_success_at=utcnow() - timedelta(minutes=11),
                                                     last_attempt_at=utcnow() - timedelta(minutes=11)))
    with ctx.db.session() as session:
        assert sync_due(session, ws.workspace_id)


# -- Home's trigger: ten people open Home, one sync ----------------------------------------------------------------
@pytest.fixture
def home_runtime(db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
                 encryption_keys: tuple[str, ...]) -> Iterator[Any]:
    from app import build_runtime

    runtime = build_runtime(_settings(xero_sb, slack_api, database_url, encryption_keys), start_jobs=False)
    slack_api.reset_calls()
    yield runtime
    runtime.close()


def test_ten_home_opens_record_one_background_sync_and_never_call_xero(
    home_runtime: Any, db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    from tests.support.slack_requests import SignedSlack

    connected = connect_workspace(db, xero_sb, team_id=TEAM)
    slack = SignedSlack(home_runtime.web_app.test_client(), SIGNING_SECRET,
                        response_base=slack_api.response_url_base)
    xero_sb.reset_calls()
    users = [OWNER, ALICE, BOB, KIRI] * 3
    for user in users[:10]:
        assert slack.home_opened(user).status_code == 200
    slack_api.wait_for("views.publish", count=10, timeout=10)
    assert xero_sb.calls == [], "the listener never calls Xero"
    with db.session() as session:
        rows = list(session.scalars(select(Outbox).where(Outbox.task == SYNC_TASK)))
    assert sorted(r.args["resource"] for r in rows) == sorted(RESOURCES)
    assert {(r.workspace_id, r.status) for r in rows} == {(connected.workspace_id, "pending")}


def test_organisation_removed_in_xero_mid_sync_means_needs_reconnect_not_a_sync_alert(
    ctx: JobContext, ws: ConnectedWorkspace, xero_sb: XeroSandbox, slack_api: SlackSandbox
) -> None:
    xero_sb.disconnect_tenant(ws.tenant_id)
    row = _request(ctx.db, ws.workspace_id, "items")
    assert execute(ctx, row) == "done"  # nothing to retry: the connection is what needs fixing
    assert slack_api.calls_to("chat.postMessage") == []
    with ctx.db.session() as session:
        connection = session.get(XeroConnection, ws.connection_row_id)
        assert connection is not None and connection.status == "needs_reconnect"
    assert "reconnect" in (_state(ctx.db, ws.workspace_id, "items").last_error or "")
    calls = len(xero_sb.calls)
    assert execute(ctx, _request(ctx.db, ws.workspace_id, "items")) == "done"
    assert len(xero_sb.calls) == calls, "after Needs reconnect no sync calls Xero"
