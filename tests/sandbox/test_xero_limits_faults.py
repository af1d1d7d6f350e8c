"""Rate limits (with the controllable clock) and faults on demand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest

from sandbox.xero import XeroSandbox
from sandbox.xero_consent import Connected, connect
from tests.support.xero_sandbox import running_sandbox


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        sandbox.auto_consent = True
        yield sandbox


@pytest.fixture
def conn(sb: XeroSandbox) -> Connected:
    return connect(sb)


def _paced(sb: XeroSandbox, conn: Connected, per_minute: int, calls: int) -> list[httpx2.Response]:
    answers = []
    for _ in range(calls):
        answers.append(conn.call("GET", "/Organisation"))
        sb.clock.advance(60 / per_minute)
    return answers


def test_sixty_calls_a_minute_never_hit_the_limit(sb: XeroSandbox, conn: Connected) -> None:
    answers = _paced(sb, conn, 60, 150)
    assert {a.status_code for a in answers} == {200}
    assert all(
        "X-MinLimit-Remaining" in a.headers
        and "X-DayLimit-Remaining" in a.headers
        and "X-AppMinLimit-Remaining" in a.headers
        for a in answers
    )


def test_seventy_calls_a_minute_get_429_with_retry_after(sb: XeroSandbox, conn: Connected) -> None:
    answers = _paced(sb, conn, 70, 140)
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "70 calls a minute must be limited"
    assert {a.headers["X-Rate-Limit-Problem"] for a in limited} == {"minute"}
    assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in limited)
    assert answers[60].status_code == 429 and answers[0].headers["X-MinLimit-Remaining"] == "59"


def test_retry_after_is_honest(sb: XeroSandbox, conn: Connected) -> None:
    for _ in range(60):
        assert conn.call("GET", "/Organisation").status_code == 200
    limited = conn.call("GET", "/Organisation")
    wait = int(limited.headers["Retry-After"])
    sb.clock.advance(wait - 1)
    assert conn.call("GET", "/Organisation").status_code == 429
    sb.clock.advance(1)
    assert conn.call("GET", "/Organisation").status_code == 200


def test_daily_limit_and_starter_mode(sb: XeroSandbox, conn: Connected) -> None:
    sb.set_starter_mode()
    sb.set_limits(per_minute=100000, per_day=1000)
    for _ in range(1000):
        sb.clock.advance(0.5)
        assert conn.call("GET", "/Organisation").status_code == 200
    refused = conn.call("GET", "/Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 3600 * 23
    assert refused.headers["X-DayLimit-Remaining"] == "0"


def test_app_wide_minute_limit_spans_tenants(sb: XeroSandbox) -> None:
    both = connect(sb, tenant_ids=[sb.tenants.demo_tenant_id, sb.tenants.second_tenant_id])
    sb.set_limits(per_minute=60, app_per_minute=8)
    statuses = [
        both.call("GET", "/Organisation", headers={"xero-tenant-id": t}).status_code
        for t in [sb.tenants.demo_tenant_id, sb.tenants.second_tenant_id] * 5
    ]
    assert statuses[:8] == [200] * 8 and statuses[8:] == [429, 429]
    last = both.call("GET", "/Organisation")
    assert last.headers["X-Rate-Limit-Problem"] == "appminute"


def test_at_most_five_in_flight_per_tenant(sb: XeroSandbox, conn: Connected) -> None:
    sb.faults.add("GET /api.xro/2.0/Organisation", "slow", seconds=0.6)
    with ThreadPoolExecutor(max_workers=7) as pool:
        answers = list(pool.map(lambda _: conn.call("GET", "/Organisation"), range(7)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [429] * 2
    assert {a.headers["X-Rate-Limit-Problem"] for a in answers if a.status_code == 429} == {"concurrent"}
    assert sb.peak_in_flight(sb.tenants.demo_tenant_id) == 5


def test_500_and_plain_text_503_for_a_count(sb: XeroSandbox, conn: Connected) -> None:
    sb.faults.add("/api.xro/2.0/Organisation", "500", count=1)
    sb.faults.add("/api.xro/2.0/Organisation", "503", count=1)
    first, second, third = (conn.call("GET", "/Organisation") for _ in range(3))
    assert first.status_code == 500 and first.headers["Xero-Correlation-Id"]
    assert second.status_code == 503 and second.headers["content-type"].startswith("text/plain")
    assert third.status_code == 200


def test_probability_faults_are_reproducible_with_a_seed(sb: XeroSandbox, conn: Connected) -> None:
    def run(seed: int) -> list[int]:
        sb.faults.clear()
        sb.faults.add("/api.xro/2.0/Accounts", "500", probability=0.5, seed=seed)
        return [conn.call("GET", "/Accounts").status_code for _ in range(12)]

    sb.set_limits(per_minute=1000)
    first, again = run(7), run(7)
    assert first == again and 500 in first and 200 in first


def test_injected_429_and_token_endpoint_faults(sb: XeroSandbox, conn: Connected) -> None:
    sb.faults.add("/api.xro/2.0/*", "429", count=1, retry_after=17)
    limited = conn.call("GET", "/Items")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "17"
    sb.faults.add("POST /identity/connect/token", "503", count=1)
    down = httpx2.post(
        sb.token_url,
        data={"grant_type": "refresh_token", "refresh_token": conn.token["refresh_token"]},
        auth=(sb.client_id, sb.client_secret),
    )
    assert down.status_code == 503


def test_drop_after_commit_loses_the_answer_but_keeps_the_invoice(sb: XeroSandbox, conn: Connected) -> None:
    contact = next(c.contact_id for c in sb.contacts(sb.tenants.demo_tenant_id) if c.name == "Acme Ltd")
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact},
                "Reference": "LOST-1",
                "LineItems": [
                    {
                        "Description": "x",
                        "Quantity": 1,
                        "UnitAmount": 10,
                        "AccountCode": "200",
                        "TaxType": "OUTPUT2",
                    }
                ],
            }
        ]
    }
    sb.faults.add("PUT /api.xro/2.0/Invoices", "drop_after_commit", count=1)
    with pytest.raises(httpx2.RemoteProtocolError):
        conn.call(
            "PUT",
            "/Invoices",
            params={"summarizeErrors": "false"},
            json=body,
            headers={"Idempotency-Key": "lost-1"},
        )
    assert [i["Reference"] for i in sb.invoices(sb.tenants.demo_tenant_id)] == ["LOST-1"]
    retry = conn.call(
        "PUT",
        "/Invoices",
        params={"summarizeErrors": "false"},
        json=body,
        headers={"Idempotency-Key": "lost-1"},
    )
    assert retry.status_code == 200 and len(sb.invoices(sb.tenants.demo_tenant_id)) == 1
    found = conn.call("GET", "/Invoices", params={"where": 'Reference=="LOST-1"'}).json()["Invoices"]
    assert len(found) == 1


def test_inspection_counts_calls_per_path_and_tenant(sb: XeroSandbox, conn: Connected) -> None:
    conn.call("GET", "/Organisation")
    conn.call("GET", "/Contacts")
    conn.call("GET", "/Contacts")
    assert sb.call_count("/api.xro/2.0/Contacts", sb.tenants.demo_tenant_id) == 2
    assert sb.call_count("/api.xro/2.0", sb.tenants.second_tenant_id) == 0
    assert sb.token_calls == {"authorization_code": 1}
    assert (
        httpx2.get(f"{sb.base_url}/_sandbox/calls", params={"path_prefix": "/api.xro"}).json()["count"] == 3
    )


def _refresh(sb: XeroSandbox, refresh_token: str) -> httpx2.Response:
    return httpx2.post(sb.token_url, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                       auth=(sb.client_id, sb.client_secret))


def test_latency_holds_each_call_in_flight_and_the_stats_count_what_a_drill_checks(sb: XeroSandbox) -> None:
    control = f"{sb.base_url}/_sandbox"
    tenant = httpx2.post(f"{control}/tenants", json={"name": "Drill Org 1"}).json()["tenant_id"]
    conn = connect(sb, tenant_ids=[tenant])
    assert conn.call("GET", "/Organisation").json()["Organisations"][0]["Name"] == "Drill Org 1"
    assert httpx2.post(f"{control}/settings", json={"latency_ms": 400}).status_code == 200
    assert sb.latency_ms == 400
    with ThreadPoolExecutor(max_workers=7) as pool:  # no fault armed: Xero's own time keeps 5 slots busy
        answers = list(pool.map(lambda _: conn.call("GET", "/Organisation"), range(7)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [429] * 2
    first = _refresh(sb, conn.token["refresh_token"])
    again = _refresh(sb, conn.token["refresh_token"])  # the same token twice: a race a drill must never show
    assert (first.status_code, again.status_code) == (200, 200)
    assert _refresh(sb, again.json()["refresh_token"]).status_code == 200
    stats = httpx2.get(f"{control}/stats").json()
    assert stats["rate_limited"] == 2 and stats["peak_in_flight"] == {tenant: 5}
    assert sorted(stats["refreshes_per_token"].values()) == [1, 2]
    assert conn.token["refresh_token"] not in json.dumps(stats)
    assert httpx2.delete(f"{control}/stats/peaks").status_code == 200
    assert sb.peaks_in_flight() == {}
