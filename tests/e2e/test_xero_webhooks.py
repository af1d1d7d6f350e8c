"""Xero webhooks end to end: the Xero stand-in's webhook sender (signing, batching, intent-to-receive) posting to
Hour Cap's real web app served on loopback; what is stored and which sync work is recorded is read back from the
database. Jobs are not started, so recorded work stays visible as waiting outbox rows."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from sandbox.xero.webhooks import new_webhook_key
from sandbox.xero_connection import ConnectedWorkspace
from storage.db import Database
from storage.models import Outbox, XeroWebhookEvent
from tests.support.workspace import token_mode_settings
from xero.sync_status import SYNC_TASK, dedupe_key
from xero.webhooks import parse, signature, verify


@dataclass
class Served:
    url: str
    key: str
    db: Database


@pytest.fixture
def served(slack_api: SlackSandbox, db: Database, database_url: str, encryption_keys: tuple[str, ...],
           xero_sb: XeroSandbox) -> Iterator[Served]:
    """Hour Cap's web app (jobs not started) on a loopback port, sharing its webhook key with the sandbox."""
    from app import build_runtime

    key = xero_sb.webhook_key
    runtime = build_runtime(token_mode_settings(slack_api, database_url, encryption_keys, XERO_WEBHOOK_KEY=key),
                            start_jobs=False)
    server = make_server("127.0.0.1", 0, runtime.web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/xero/webhooks"
    xero_sb.set_webhook(url)
    try:
        yield Served(url, key, db)
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()


def _events(db: Database) -> list[XeroWebhookEvent]:
    with db.session() as session:
        return list(session.scalars(select(XeroWebhookEvent)))


def _waiting_syncs(db: Database) -> list[Outbox]:
    with db.session() as session:
        return list(session.scalars(select(Outbox).where(Outbox.task == SYNC_TASK)))


def _delivered(sb: XeroSandbox, count: int) -> None:
    """Wait for the sender (flush, or its own thread, whichever takes a batch first) to have sent `count`."""
    deadline = time.monotonic() + 5
    while len(sb.webhooks.deliveries) < count:
        assert time.monotonic() < deadline, f"only {len(sb.webhooks.deliveries)} of {count} deliveries sent"
        sb.webhooks.flush()
        time.sleep(0.01)


def _post(served: Served, body: bytes, sig: str | None) -> httpx2.Response:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if sig is not None:
        headers["x-xero-signature"] = sig
    return httpx2.post(served.url, content=body, headers=headers, timeout=5)


def _payload(*events: dict[str, Any]) -> dict[str, Any]:
    return {"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events),
            "entropy": "QWERTYUIOPASDFGHJKLZ"}


def _event(tenant_id: str, resource_id: str, category: str = "CONTACT", when: str = "2026-11-02T10:11:12.345") -> dict:
    return {"resourceUrl": f"https://api.xero.com/api.xro/2.0/Contacts/{resource_id}", "resourceId": resource_id,
            "eventDateUtc": when, "eventType": "UPDATE", "eventCategory": category, "tenantId": tenant_id,
            "tenantType": "ORGANISATION"}


def test_signature_is_checked_on_the_raw_bytes_with_odd_spacing() -> None:
    key = new_webhook_key()
    odd = b'  {"events" :[ ],\n   "firstEventSequence":0 , "lastEventSequence": 0,"entropy":"ABC"}\n\n'
    good = signature(odd, key)
    assert verify(odd, good, key)
    reserialised = json.dumps(json.loads(odd)).encode()
    assert not verify(reserialised, good, key), "hashing re-serialised JSON must not pass"
    assert not verify(odd, signature(odd, new_webhook_key()), key)
    assert not verify(odd, None, key) and not verify(odd, "", key) and not verify(odd, good, None)
    assert not verify(odd + b" ", good, key)
    assert parse(odd) == []


def test_good_signature_200_empty_no_cookie_bad_or_missing_401(served: Served) -> None:
    body = b'{ "events":[],  "firstEventSequence": 0,"lastEventSequence":0, "entropy" : "X"}  '
    ok = _post(served, body, signature(body, served.key))
    assert ok.status_code == 200 and ok.content == b"" and "set-cookie" not in ok.headers
    assert _post(served, body, signature(body, new_webhook_key())).status_code == 401
    assert _post(served, body, None).status_code == 401
    reserialised = json.dumps(json.loads(body)).encode()
    assert _post(served, body, signature(reserialised, served.key)).status_code == 401


def test_intent_to_receive_passes_against_the_served_app(served: Served, xero_sb: XeroSandbox) -> None:
    result = xero_sb.webhooks.intent_to_receive(rounds=10, seed=7)
    assert result.passed, result.checks
    assert {c.signed_correctly for c in result.checks} == {True, False}
    assert all(c.seconds < 1.0 for c in result.checks)
    assert xero_sb.webhooks.status == "OK"
    assert _events(served.db) == [] and _waiting_syncs(served.db) == []


def test_intent_to_receive_fails_when_our_key_is_not_xeros(served: Served, xero_sb: XeroSandbox) -> None:
    xero_sb.set_webhook(served.url, new_webhook_key())  # Xero signs with a key we do not have
    result = xero_sb.webhooks.intent_to_receive(rounds=4, seed=1)
    assert not result.passed and xero_sb.webhooks.status == "INTENT_TO_RECEIVE_REQUIRED"


def test_burst_of_contact_events_becomes_one_waiting_sync(
    served: Served, xero_sb: XeroSandbox, connected: ConnectedWorkspace
) -> None:
    ids = xero_sb.seed_contacts(connected.tenant_id, 50)
    for number, contact_id in enumerate(ids):
        xero_sb.rename_contact(connected.tenant_id, contact_id, f"Renamed {number}")
        if number % 10 == 9:
            xero_sb.webhooks.flush()  # five deliveries of ten events each
    _delivered(xero_sb, 5)
    assert [d.status for d in xero_sb.webhooks.deliveries] == [200] * 5
    assert [d.last_sequence - d.first_sequence + 1 for d in xero_sb.webhooks.deliveries] == [10] * 5
    assert len(_events(served.db)) == 50
    syncs = _waiting_syncs(served.db)
    assert [(s.workspace_id, s.args["resource"], s.status, s.dedupe_key) for s in syncs] == [
        (connected.workspace_id, "contacts", "pending", dedupe_key(connected.workspace_id, "contacts"))]


def test_redelivery_is_stored_once(served: Served, xero_sb: XeroSandbox, connected: ConnectedWorkspace) -> None:
    xero_sb.webhooks.duplicate_next(1)
    xero_sb.add_contact(connected.tenant_id, "Twice Delivered Ltd")
    xero_sb.webhooks.flush()
    _delivered(xero_sb, 2)
    assert [(d.status, d.duplicate) for d in xero_sb.webhooks.deliveries] == [(200, False), (200, True)]
    events = _events(served.db)
    assert [(e.event_category, e.event_type, e.tenant_id) for e in events] == [
        ("CONTACT", "CREATE", connected.tenant_id)]
    assert len(_waiting_syncs(served.db)) == 1


def test_unknown_tenant_gets_200_and_is_ignored(served: Served, connected: ConnectedWorkspace) -> None:
    body = json.dumps(_payload(_event("00000000-0000-0000-0000-00000000dead", "c-1"))).encode()
    started = time.monotonic()
    answer = _post(served, body, signature(body, served.key))
    assert answer.status_code == 200 and answer.content == b""
    assert time.monotonic() - started < 1.0
    assert _events(served.db) == [] and _waiting_syncs(served.db) == []


def test_mixed_payload_keeps_known_tenants_and_only_contact_events_start_syncs(
    served: Served, connected: ConnectedWorkspace
) -> None:
    tenant = connected.tenant_id
    body = json.dumps(_payload(
        _event(tenant, "inv-1", category="INVOICE"),
        _event("11111111-2222-3333-4444-555555555555", "c-9"),
    ), indent=3).encode()
    assert _post(served, body, signature(body, served.key)).status_code == 200
    assert [(e.event_category, e.resource_id) for e in _events(served.db)] == [("INVOICE", "inv-1")]
    assert _waiting_syncs(served.db) == []  # an invoice event is not a reason to re-read contacts
    body = json.dumps(_payload(_event(tenant, "c-1"), _event(tenant, "c-1"), _event(tenant, "c-2"))).encode()
    assert _post(served, body, signature(body, served.key)).status_code == 200
    assert _post(served, body, signature(body, served.key)).status_code == 200  # redelivered
    assert len(_events(served.db)) == 3
    assert len(_waiting_syncs(served.db)) == 1
