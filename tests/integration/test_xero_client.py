"""The rate-aware Xero client against the sandbox over HTTP: per-request auth and tenant headers, typed errors
(401 refresh-and-retry, 403 connections check, 429, 5xx, timeouts, drops, 400 messages), the per-tenant budget
(in process, and shared through Redis by 4 processes at Xero's real limits), and the contract: every request the
client sends is validated against Xero's OpenAPI files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from sandbox.xero import SandboxClock, XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace, xero_settings
from settings import Settings
from storage.db import Database
from storage.models import ConnectionStatus, Outbox, XeroConnection
from storage.types import utcnow
from tests.support.xero_connection import refresh_calls, settings_payload
from tests.support.xero_openapi import Contract, require_specs
from tests.support.xero_sandbox import running_sandbox
from xero.client import XeroClient
from xero.errors import (
    NeedsReconnect,
    RateLimited,
    XeroTransient,
    XeroValidationError,
)
from xero.limits import Budget, LocalLimits
from xero.status import ANNOUNCE_TASK

REPO = Path(__file__).resolve().parents[2]


# openapi-core cannot evaluate the spec's OAuth2 security scheme; our scopes are set in settings.py anyway
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")


# -- contract: every request our client sends is checked against Xero's OpenAPI --------------------------------
@pytest.fixture
def contract() -> Iterator[Contract]:
    require_specs()
    checker = Contract()
    yield checker
    assert not checker.violations, checker.violations


@pytest.fixture
def http(contract: Contract) -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=10, event_hooks={"request": [contract.check]}) as client:
        yield client


@pytest.fixture
def settings(xero_sb: XeroSandbox, database_url: str) -> Settings:
    return xero_settings(xero_sb, database_url)


@pytest.fixture
def client(db: Database, settings: Settings, connected: ConnectedWorkspace, http: httpx2.Client) -> XeroClient:
    return XeroClient(db, settings, connected.workspace_id, http=http, limits=LocalLimits())


def _row(db: Database, workspace_id: int) -> XeroConnection:
    with db.session() as session:
        return session.scalars(select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)).one()


def _statuses(sb: XeroSandbox, path: str) -> list[int]:
    return [c.status for c in sb.calls if c.path.lower() == path.lower()]


def _invoice(sb: XeroSandbox, reference: str) -> dict[str, Any]:
    contact = next(c.contact_id for c in sb.contacts(sb.tenants.demo_tenant_id) if c.name == "Acme Ltd")
    return {"Type": "ACCREC", "Contact": {"ContactID": contact}, "Date": "2026-11-01", "DueDate": "2026-11-15",
            "LineAmountTypes": "Exclusive", "Reference": reference, "Status": "DRAFT",
            "LineItems": [{"Description": "Design, 2.5 h", "Quantity": 2.5, "UnitAmount": 150.0,
                           "AccountCode": "200", "TaxType": "OUTPUT2"}]}


# -- normal work --------------------------------------------------------------------------------------------
def test_calls_validate_against_the_spec_and_carry_per_request_headers(
    db: Database, xero_sb: XeroSandbox, settings: Settings, connected: ConnectedWorkspace, http: httpx2.Client,
    contract: Contract,
) -> None:
    other = connect_workspace(db, xero_sb, tenant_id=xero_sb.tenants.second_tenant_id)
    limits = LocalLimits()
    demo = XeroClient(db, settings, connected.workspace_id, http=http, limits=limits)
    second = XeroClient(db, settings, other.workspace_id, http=http, limits=limits)
    assert "authorization" not in {k.lower() for k in http.headers}  # the shared pool carries no credentials
    assert demo.get("/Organisation").json()["Organisations"][0]["Name"] == "Demo Company (NZ)"
    assert second.get("/Organisation").json()["Organisations"][0]["Name"] == "Kiwi Ventures Ltd"
    demo.get("/Contacts", params={"summaryOnly": "true", "where": 'ContactStatus=="ACTIVE"', "page": 1,
                                  "pageSize": 1000})
    demo.get("/Contacts", params={"includeArchived": "true"}, headers={"If-Modified-Since": "2026-01-01T00:00:00Z"})
    for path in ("/Items", "/TrackingCategories", "/Accounts", "/TaxRates", "/BrandingThemes"):
        demo.get(path)
    demo.put("/Contacts", json={"Contacts": [{"Name": "Contract Client Ltd"}]}, idempotency_key="contact-1")
    created = demo.put("/Invoices", params={"summarizeErrors": "false", "unitdp": 4},
                       json={"Invoices": [_invoice(xero_sb, "INV-0042")]}, idempotency_key="invoice-42-g1")
    assert created.json()["Invoices"][0]["StatusAttributeString"] == "OK"
    demo.post("/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [_invoice(xero_sb, "INV-0043")]},
              idempotency_key="invoice-43-g1")
    found = demo.get("/Invoices", params={"where": 'Reference=="INV-0042"'}).json()["Invoices"]
    assert [i["Reference"] for i in found] == ["INV-0042"]

    assert [c.tenant_id for c in xero_sb.calls if c.path.endswith("/Organisation")] == [
        connected.tenant_id, other.tenant_id]
    sent = [r for r in contract.requests if "/api.xro/2.0" in r.url.path]
    assert len(contract.checked) == len(sent) == 13
    tokens_by_tenant = {(r.headers["xero-tenant-id"], r.headers["authorization"]) for r in sent}
    assert len(tokens_by_tenant) == 2, "each tenant's requests carry that tenant's own token"
    keys = [r.headers.get("idempotency-key") for r in sent if r.method in ("PUT", "POST")]
    assert keys == ["contact-1", "invoice-42-g1", "invoice-43-g1"]
    remaining = limits.remaining(connected.tenant_id)
    assert remaining.minute == 60 - 12 and remaining.day == 5000 - 12 and remaining.app_minute is not None


def test_validation_error_carries_xeros_messages(
    client: XeroClient, xero_sb: XeroSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(XeroValidationError) as raised:
        client.put("/Contacts", json={"Contacts": [{"Name": "Acme Ltd"}]})
    error = raised.value
    assert any("already assigned to another contact" in m for m in error.messages), error.messages
    assert error.correlation_id and error.correlation_id in caplog.text


def test_a_401_mid_way_refreshes_once_and_retries_once(
    db: Database, client: XeroClient, xero_sb: XeroSandbox, connected: ConnectedWorkspace
) -> None:
    assert client.get("/Organisation").status_code == 200
    xero_sb.clock.advance(31 * 60)  # Xero's copy of the access token has expired; ours says it is still fresh
    assert client.get("/Organisation").status_code == 200
    assert _statuses(xero_sb, "/api.xro/2.0/Organisation") == [200, 401, 200]
    assert refresh_calls(xero_sb) == 1 and _row(db, connected.workspace_id).token_version == 2


def test_403_with_the_organisation_gone_from_connections_means_needs_reconnect(
    db: Database, client: XeroClient, xero_sb: XeroSandbox, connected: ConnectedWorkspace
) -> None:
    xero_sb.disconnect_tenant(connected.tenant_id)  # removed "from Xero's side"; tokens still refresh
    xero_sb.reset_calls()
    with pytest.raises(NeedsReconnect) as raised:
        client.get("/Organisation")
    assert raised.value.correlation_id
    assert _statuses(xero_sb, "/api.xro/2.0/Organisation") == [403] and _statuses(xero_sb, "/connections") == [200]
    row = _row(db, connected.workspace_id)
    assert row.status == ConnectionStatus.NEEDS_RECONNECT.value
    calls = len(xero_sb.calls)
    with pytest.raises(NeedsReconnect):
        client.get("/Organisation")
    assert len(xero_sb.calls) == calls
    with db.session() as session:
        assert len(session.scalars(select(Outbox).where(Outbox.task == ANNOUNCE_TASK)).all()) == 1


def test_429_is_rate_limited_at_retry_after_and_holds_the_tenant_off(client: XeroClient, xero_sb: XeroSandbox) -> None:
    xero_sb.faults.add("/api.xro/2.0/*", "429", count=1, retry_after=17)
    before = utcnow()
    with pytest.raises(RateLimited) as raised:
        client.get("/Items")
    error = raised.value
    assert error.problem == "minute" and error.correlation_id is None or error.problem == "minute"
    assert before + timedelta(seconds=16) <= error.retry_at <= utcnow() + timedelta(seconds=18)
    assert error.when == error.retry_at  # what jobs.execute reschedules at
    calls = len(xero_sb.calls)
    with pytest.raises(RateLimited):  # the block is honoured without asking Xero again
        client.get("/Items")
    assert len(xero_sb.calls) == calls


def test_daily_limit_429_says_day(client: XeroClient, xero_sb: XeroSandbox) -> None:
    xero_sb.set_limits(per_day=2)
    client.get("/Organisation")
    client.get("/Organisation")
    with pytest.raises(RateLimited) as raised:
        client.get("/Organisation")
    assert raised.value.problem == "day" and raised.value.retry_at > utcnow() + timedelta(hours=23)


def test_5xx_timeouts_and_drops_are_transient(
    client: XeroClient, xero_sb: XeroSandbox, db: Database, settings: Settings, connected: ConnectedWorkspace,
    http: httpx2.Client, caplog: pytest.LogCaptureFixture,
) -> None:
    xero_sb.faults.add("/api.xro/2.0/Organisation", "500", count=1)
    xero_sb.faults.add("/api.xro/2.0/Organisation", "503", count=1)
    with pytest.raises(XeroTransient) as five_hundred:
        client.get("/Organisation")
    assert five_hundred.value.status == 500 and five_hundred.value.correlation_id in caplog.text
    with pytest.raises(XeroTransient) as maintenance:  # plain text, not JSON
        client.get("/Organisation")
    assert maintenance.value.status == 503
    xero_sb.faults.add("PUT /api.xro/2.0/Invoices", "drop_after_commit", count=1)
    with pytest.raises(XeroTransient):
        client.put("/Invoices", params={"summarizeErrors": "false"},
                   json={"Invoices": [_invoice(xero_sb, "INV-DROP")]}, idempotency_key="drop-1")
    assert [i["Reference"] for i in xero_sb.invoices(connected.tenant_id)] == ["INV-DROP"]  # committed, unanswered
    xero_sb.faults.add("/api.xro/2.0/Accounts", "slow", count=1, seconds=1.0)
    impatient = XeroClient(db, settings, connected.workspace_id, limits=LocalLimits(), timeout=0.3)
    with impatient, pytest.raises(XeroTransient, match="in time"):
        impatient.get("/Accounts")
    assert client.get("/Organisation").status_code == 200


# -- the budget ---------------------------------------------------------------------------------------------
def test_in_process_budget_keeps_five_in_flight_and_never_meets_a_429(
    client: XeroClient, xero_sb: XeroSandbox, connected: ConnectedWorkspace
) -> None:
    xero_sb.faults.add("GET /api.xro/2.0/Organisation", "slow", seconds=0.15)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            statuses.append(client.get("/Organisation").status_code)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and statuses == [200] * 12
    assert xero_sb.peak_in_flight(connected.tenant_id) == 5


def test_spent_minute_budget_raises_rate_limited_instead_of_sleeping(
    db: Database, settings: Settings, connected: ConnectedWorkspace, xero_sb: XeroSandbox, http: httpx2.Client
) -> None:
    tight = XeroClient(db, settings, connected.workspace_id, http=http,
                       limits=LocalLimits(Budget(per_minute=3, window=60.0)))
    for _ in range(3):
        tight.get("/Organisation")
    started = time.monotonic()
    with pytest.raises(RateLimited) as raised:
        tight.get("/Organisation")
    assert time.monotonic() - started < 0.5, "a slot a minute away is not waited for"
    assert raised.value.problem == "minute" and raised.value.source == "budget"
    assert utcnow() + timedelta(seconds=55) < raised.value.retry_at <= utcnow() + timedelta(seconds=61)
    assert _statuses(xero_sb, "/api.xro/2.0/Organisation") == [200, 200, 200]


# -- 200 calls from 4 processes at Xero's real limits, time sped up ---------------------------------------------
SPEED = 60.0  # one sandbox minute per real second
PROCESSES, THREADS, CALLS = 4, 4, 50


def test_two_hundred_calls_from_four_processes_never_meet_a_429(
    db: Database, database_url: str, redis_url: str, encryption_keys: tuple[str, ...],
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    with running_sandbox(clock=SandboxClock(speed=SPEED)) as sb:
        sb.auto_consent = True
        sb.set_limits(per_minute=60, in_flight=5)  # Xero's real limits, in sandbox time
        sb.faults.add("GET /api.xro/2.0/Organisation", "slow", seconds=0.03)  # calls overlap: in-flight is tested
        ws = connect_workspace(db, sb)
        settings = xero_settings(sb, database_url, redis_url=redis_url)
        config = {
            "keys": list(encryption_keys), "database_url": database_url, "redis_url": redis_url,
            "workspace_id": ws.workspace_id, "threads": THREADS, "calls": CALLS,
            "prefix": f"hourcap-test:{uuid.uuid4().hex}",
            # a minute of sandbox time, plus 3 sandbox-seconds for skew; waits of up to 2 s are waited out
            "budget": {"in_flight": 5, "per_minute": 60, "window": 63 / SPEED, "max_wait": 2.0},
            "settings": settings_payload(settings),
        }
        code = "from tests.support.xero_connection import limits_worker; limits_worker()"
        procs = [subprocess.Popen([sys.executable, "-c", code, json.dumps(config)], cwd=REPO, text=True,
                                  env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=(tmp_path / f"limits-{n}.log").open("w"))
                 for n in range(PROCESSES)]
        try:
            for proc in procs:
                assert proc.stdout is not None and json.loads(proc.stdout.readline())["ready"]
            started = time.monotonic()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            outcomes = []
            for proc in procs:
                assert proc.stdout is not None
                outcomes.append(json.loads(proc.stdout.readline()))
            elapsed = time.monotonic() - started
        finally:
            for proc in procs:
                proc.kill() if proc.poll() is None else None
                proc.wait()
        calls = [c for c in sb.calls if c.path.endswith("/Organisation")]
        limited = sum(1 for c in calls if c.status == 429)
        peak = sb.peak_in_flight(ws.tenant_id)
        rescheduled = sum(o["rescheduled"] for o in outcomes)
        line = (f"xero limits: calls={len(calls)} processes={PROCESSES} status429={limited} peak_in_flight={peak} "
                f"budget_reschedules={rescheduled} elapsed={elapsed:.1f}s (sandbox minute = {60 / SPEED:.1f}s)")
        with capsys.disabled():
            print(f"\n{line}")
        assert [e for o in outcomes for e in o["errors"]] == []
        assert sum(o["ok"] for o in outcomes) == PROCESSES * CALLS
        assert len(calls) == PROCESSES * CALLS and limited == 0 and peak <= 5, line
        assert peak == 5, f"16 callers on slow calls should have pressed the in-flight limit: {line}"
        # the minute budget really bound: 200 calls at 60 a (sped-up) minute take more than three minutes
        assert elapsed > 3 * 60 / SPEED, line
