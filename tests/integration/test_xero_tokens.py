"""Token lifecycle against the Xero sandbox over HTTP and the real database: refresh ahead of expiry,
compare-and-swap versions, the lost refresh answer, invalid_grant → Needs reconnect, the idle-refresh job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import select, text, update

import xero.tasks_tokens
from app import task_registry
from jobs.execute import execute
from jobs.registry import JobContext
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import SCOPES, ConnectedWorkspace, connect_workspace, xero_settings
from sandbox.xero_consent import connect
from storage.db import Database
from storage.models import ConnectionStatus, Outbox, OutboxStatus, XeroConnection
from storage.types import utcnow
from tests.support.xero_connection import expire_access_token, invalid_grants, refresh_calls
from xero import tokens
from xero.client import XeroClient
from xero.errors import NeedsReconnect, TenantNotConnected
from xero.limits import LocalLimits
from xero.status import ANNOUNCE_TASK


def _row(db: Database, workspace_id: int) -> XeroConnection:
    with db.session() as session:
        return session.scalars(select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)).one()


def _lock(kind: str, request: pytest.FixtureRequest) -> tokens.TokenLock:
    if kind == "redis":
        return tokens.RedisLock(request.getfixturevalue("redis_url"))
    return tokens.RowLock()


def test_a_fresh_token_is_used_as_stored(db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace,
                                         database_url: str) -> None:
    settings = xero_settings(xero_sb, database_url)
    assert tokens.access_token(db, connected.workspace_id, settings) == (connected.access_token, connected.tenant_id)
    assert refresh_calls(xero_sb) == 0


@pytest.mark.parametrize("kind", ["row", "redis"])
def test_refresh_ahead_of_expiry_writes_a_new_version_encrypted(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str, kind: str,
    request: pytest.FixtureRequest,
) -> None:
    settings = xero_settings(xero_sb, database_url)
    with db.session() as session:  # expires in 4 minutes: inside the 5-minute margin
        session.execute(update(XeroConnection).values(access_expires_at=utcnow() + timedelta(minutes=4)))
    token, tenant = tokens.access_token(db, connected.workspace_id, settings, lock=_lock(kind, request))
    row = _row(db, connected.workspace_id)
    assert token != connected.access_token and tenant == connected.tenant_id
    assert row.token_version == 2 and row.access_token == token and row.refresh_token != connected.refresh_token
    assert row.access_expires_at > utcnow() + timedelta(minutes=29)
    assert refresh_calls(xero_sb) == 1 and invalid_grants(xero_sb) == 0
    with db.engine.connect() as conn:
        raw = " ".join(str(v) for v in conn.execute(text("SELECT * FROM xero_connections")).one())
    assert token not in raw and row.refresh_token not in raw, "tokens must be stored encrypted"
    # the new token works in Xero, and asking again does not refresh
    answer = httpx2.get(f"{xero_sb.api_url}/Organisation",
                        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant})
    assert answer.status_code == 200
    assert tokens.access_token(db, connected.workspace_id, settings)[0] == token and refresh_calls(xero_sb) == 1


def test_refresh_now_skips_when_someone_refreshed_since_the_failing_token(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str
) -> None:
    settings = xero_settings(xero_sb, database_url)
    fresh, _ = tokens.refresh_now(db, connected.workspace_id, settings, stale_token=connected.access_token)
    assert refresh_calls(xero_sb) == 1
    # a second worker that also saw the old token fail: the stored token is newer, so no call to Xero
    again, _ = tokens.refresh_now(db, connected.workspace_id, settings, stale_token=connected.access_token)
    assert again == fresh and refresh_calls(xero_sb) == 1


@pytest.mark.parametrize("kind", ["row", "redis"])
def test_lost_refresh_answer_is_recovered_with_the_old_token_inside_the_grace_window(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str, kind: str,
    request: pytest.FixtureRequest,
) -> None:
    settings = xero_settings(xero_sb, database_url)
    expire_access_token(db, connected.workspace_id)
    xero_sb.faults.add("POST /identity/connect/token", "drop_after_commit", count=1)  # rotates, then hangs up
    token, tenant = tokens.access_token(db, connected.workspace_id, settings, lock=_lock(kind, request))
    assert refresh_calls(xero_sb) == 2 and invalid_grants(xero_sb) == 0
    row = _row(db, connected.workspace_id)
    assert row.status == ConnectionStatus.CONNECTED.value and row.token_version == 2 and row.access_token == token
    # what we stored is the live token set: the next refresh (half an hour later) succeeds
    xero_sb.clock.advance(26 * 60)
    expire_access_token(db, connected.workspace_id)
    tokens.access_token(db, connected.workspace_id, settings, lock=_lock(kind, request))
    assert refresh_calls(xero_sb) == 3 and invalid_grants(xero_sb) == 0
    assert _row(db, connected.workspace_id).token_version == 3


def test_revoked_refresh_token_means_needs_reconnect_announced_once_and_no_more_calls(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str
) -> None:
    settings = xero_settings(xero_sb, database_url)
    revoked = httpx2.post(xero_sb.revocation_url, data={"token": connected.refresh_token},
                          auth=(xero_sb.client_id, xero_sb.client_secret))
    assert revoked.status_code == 200
    expire_access_token(db, connected.workspace_id)
    with pytest.raises(NeedsReconnect) as raised:
        tokens.access_token(db, connected.workspace_id, settings)
    assert raised.value.correlation_id  # Xero's id for the refused refresh
    assert connected.refresh_token not in str(raised.value)
    row = _row(db, connected.workspace_id)
    assert row.status == ConnectionStatus.NEEDS_RECONNECT.value and "invalid_grant" in (row.status_reason or "")
    assert refresh_calls(xero_sb) == 1 and invalid_grants(xero_sb) == 1
    calls_before = len(xero_sb.calls)
    with XeroClient(db, settings, connected.workspace_id, limits=LocalLimits()) as client:
        for _ in range(3):
            with pytest.raises(NeedsReconnect):
                client.get("/Organisation")
    with pytest.raises(NeedsReconnect):
        tokens.refresh_now(db, connected.workspace_id, settings)
    assert len(xero_sb.calls) == calls_before, "a connection in Needs reconnect must not call Xero"
    with db.session() as session:
        announcements = session.scalars(select(Outbox).where(Outbox.task == ANNOUNCE_TASK)).all()
    assert [(a.workspace_id, a.args) for a in announcements] == [(connected.workspace_id, {"connection_id": row.id})]


def test_refresh_token_dead_after_sixty_idle_days(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str
) -> None:
    xero_sb.clock.advance(61 * 86400)
    expire_access_token(db, connected.workspace_id)
    with pytest.raises(NeedsReconnect):
        tokens.access_token(db, connected.workspace_id, xero_settings(xero_sb, database_url))
    assert _row(db, connected.workspace_id).status == ConnectionStatus.NEEDS_RECONNECT.value


def test_invalid_grant_after_someone_else_stored_a_new_token_set_is_not_a_reconnect(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str, redis_url: str
) -> None:
    """The re-read after invalid_grant: while our refresh was on its way, an admin reconnected (a new token set
    stored, the old one revoked). The refusal is about the old set; the new one is used."""
    settings = xero_settings(xero_sb, database_url)
    expire_access_token(db, connected.workspace_id)
    stored: dict[str, Any] = {}

    def reconnect_meanwhile(request: httpx2.Request) -> None:
        if stored or not request.url.path.endswith("/connect/token"):
            return
        token = connect(xero_sb, tenant_ids=[connected.tenant_id], scope=SCOPES).token
        stored.update(token)
        httpx2.post(xero_sb.revocation_url, data={"token": connected.refresh_token},
                    auth=(xero_sb.client_id, xero_sb.client_secret)).raise_for_status()
        with db.session() as session:  # what the connect dance writes: a new set, a new version
            session.execute(update(XeroConnection).where(XeroConnection.workspace_id == connected.workspace_id)
                            .values(access_token=token["access_token"], refresh_token=token["refresh_token"],
                                    access_expires_at=utcnow() + timedelta(minutes=30),
                                    token_version=XeroConnection.token_version + 1))

    # the Redis lock leaves the row unlocked during the token call, as a reconnect in another process would see it
    with httpx2.Client(event_hooks={"request": [reconnect_meanwhile]}) as http:
        token, _ = tokens.access_token(db, connected.workspace_id, settings, lock=tokens.RedisLock(redis_url),
                                       http=http)
    assert token == stored["access_token"] and invalid_grants(xero_sb) == 1
    row = _row(db, connected.workspace_id)
    assert row.status == ConnectionStatus.CONNECTED.value and row.token_version == 2
    with db.session() as session:
        assert session.scalars(select(Outbox).where(Outbox.task == ANNOUNCE_TASK)).all() == []


def test_no_connection_is_tenant_not_connected(db: Database, xero_sb: XeroSandbox, database_url: str) -> None:
    with pytest.raises(TenantNotConnected):
        tokens.access_token(db, 987654, xero_settings(xero_sb, database_url))


def test_idle_refresh_job_refreshes_connections_idle_for_thirty_days_and_reschedules_itself(
    db: Database, xero_sb: XeroSandbox, database_url: str
) -> None:
    settings = xero_settings(xero_sb, database_url)
    idle = connect_workspace(db, xero_sb)
    busy = connect_workspace(db, xero_sb, tenant_id=xero_sb.tenants.second_tenant_id)
    lapsed = connect_workspace(db, xero_sb)
    with db.session() as session:
        session.execute(update(XeroConnection).where(XeroConnection.workspace_id.in_([idle.workspace_id,
                        lapsed.workspace_id])).values(refreshed_at=utcnow() - timedelta(days=31)))
        session.execute(update(XeroConnection).where(XeroConnection.workspace_id == lapsed.workspace_id)
                        .values(status=ConnectionStatus.NEEDS_RECONNECT.value))
        xero.tasks_tokens.schedule_refresh_idle(session)
        xero.tasks_tokens.schedule_refresh_idle(session)  # asked twice: one waiting run
    with db.session() as session:
        first = session.scalars(select(Outbox).where(Outbox.task == "xero.refresh_idle")).one()
    assert execute(JobContext(db=db, settings=settings, tasks=task_registry()), first.id) == "done"
    assert refresh_calls(xero_sb) == 1
    assert _row(db, idle.workspace_id).token_version == 2
    assert _row(db, idle.workspace_id).refreshed_at > utcnow() - timedelta(minutes=1)
    assert _row(db, busy.workspace_id).token_version == 1 and _row(db, lapsed.workspace_id).token_version == 1
    with db.session() as session:
        rows = session.scalars(select(Outbox).where(Outbox.task == "xero.refresh_idle").order_by(Outbox.id)).all()
    assert [r.status for r in rows] == [OutboxStatus.DONE.value, OutboxStatus.PENDING.value]
    assert rows[1].dedupe_key == "xero.refresh_idle"
    assert timedelta(hours=23) < rows[1].available_at - utcnow() <= timedelta(days=1)


def test_no_token_reaches_the_logs_or_the_errors(
    db: Database, xero_sb: XeroSandbox, connected: ConnectedWorkspace, database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every path that handles tokens, logged at DEBUG (httpx2 and httpcore included): refresh, a lost answer,
    a 401 and its refresh, then invalid_grant."""
    caplog.set_level("DEBUG")
    settings = xero_settings(xero_sb, database_url)
    seen = {connected.access_token, connected.refresh_token}
    errors: list[str] = []
    expire_access_token(db, connected.workspace_id)
    xero_sb.faults.add("POST /identity/connect/token", "drop_after_commit", count=1)
    tokens.access_token(db, connected.workspace_id, settings)
    row = _row(db, connected.workspace_id)
    seen |= {row.access_token, row.refresh_token}
    xero_sb.clock.advance(31 * 60)
    with XeroClient(db, settings, connected.workspace_id, limits=LocalLimits()) as client:
        assert client.get("/Organisation").status_code == 200
        row = _row(db, connected.workspace_id)
        seen |= {row.access_token, row.refresh_token}
        httpx2.post(xero_sb.revocation_url, data={"token": row.refresh_token},
                    auth=(xero_sb.client_id, xero_sb.client_secret)).raise_for_status()
        expire_access_token(db, connected.workspace_id)
        with pytest.raises(NeedsReconnect) as raised:
            client.get("/Organisation")
        errors.append(f"{raised.value!r} {raised.value}")
    assert refresh_calls(xero_sb) == 4 and "HTTP Request" in caplog.text  # the DEBUG logging really ran
    leaked = [t[:12] + "…" for t in seen if t in caplog.text or any(t in e for e in errors)]
    assert leaked == []
