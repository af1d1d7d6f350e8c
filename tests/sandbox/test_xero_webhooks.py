"""Webhooks: Xero's signature, intent to receive, events for the sandbox's own writes, retries, duplicates."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sandbox.xero import XeroSandbox
from sandbox.xero.webhooks import sign
from sandbox.xero_consent import connect
from tests.support.xero_sandbox import Receiver, running_sandbox, webhook_receiver, xero_signature


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        sandbox.auto_consent = True
        yield sandbox


@pytest.fixture
def receiver(sb: XeroSandbox) -> Iterator[Receiver]:
    with webhook_receiver(sb.webhook_key) as rec:
        sb.set_webhook(rec.url)
        yield rec


def by_flush_only(sb: XeroSandbox) -> None:
    """Tests that count what flush() sends stop the background sender: on a busy machine it would batch and send
    once a delivery is due (0.5 s after an event, or a retry's time), racing the flush."""
    sb.webhooks.stop()


def test_signature_is_base64_hmac_sha256_of_raw_bytes_with_utf8_key() -> None:
    body = b'{"events":[],"firstEventSequence": 0,"lastEventSequence": 0,"entropy":"ABC"}'
    assert sign(body, "k\u00e9y") == xero_signature(body, "k\u00e9y")
    assert sign(body, "key") != sign(body.replace(b": ", b":"), "key")


def test_intent_to_receive_passes_for_a_correct_receiver(sb: XeroSandbox, receiver: Receiver) -> None:
    result = sb.webhooks.intent_to_receive(rounds=6, seed=3)
    assert result.passed and sb.webhooks.status == "OK"
    assert {c.signed_correctly for c in result.checks} == {True, False}
    bodies = [json.loads(body) for body, _sig, _good in receiver.received]
    assert all(b["events"] == [] and b["firstEventSequence"] == 0 == b["lastEventSequence"] for b in bodies)


def test_intent_to_receive_fails_a_receiver_that_reserialises(sb: XeroSandbox, receiver: Receiver) -> None:
    receiver.broken = lambda body: json.dumps(json.loads(body)).encode()
    result = sb.webhooks.intent_to_receive(rounds=6, seed=1)
    assert not result.passed and sb.webhooks.status == "INTENT_TO_RECEIVE_REQUIRED"


def test_intent_to_receive_fails_a_receiver_that_answers_400(sb: XeroSandbox) -> None:
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    server = make_server("127.0.0.1", 0, Response("bad", status=400), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sb.set_webhook(f"http://127.0.0.1:{server.server_port}/hook")
        assert not sb.webhooks.intent_to_receive(rounds=4, seed=2).passed
    finally:
        server.shutdown()
        server.server_close()


def test_own_writes_raise_batched_sequenced_contact_and_invoice_events(
    sb: XeroSandbox, receiver: Receiver
) -> None:
    by_flush_only(sb)
    conn = connect(sb)
    created = conn.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Hooked Ltd"}]}).json()["Contacts"][0]
    invoice = conn.call(
        "PUT",
        "/Invoices",
        params={"summarizeErrors": "false"},
        json={
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": created["ContactID"]},
                    "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}],
                }
            ]
        },
    ).json()["Invoices"][0]
    assert sb.webhooks.flush() == 1
    body, signature, good = receiver.received[-1]
    assert good and signature == xero_signature(body, sb.webhook_key)
    payload = json.loads(body)
    events = {(e["eventCategory"], e["eventType"], e["resourceId"]) for e in payload["events"]}
    assert ("CONTACT", "CREATE", created["ContactID"]) in events
    assert ("INVOICE", "CREATE", invoice["InvoiceID"]) in events
    assert payload["firstEventSequence"] == 1 and payload["lastEventSequence"] == len(payload["events"])
    assert all(
        e["tenantId"] == sb.tenants.demo_tenant_id and e["tenantType"] == "ORGANISATION"
        for e in payload["events"]
    )
    sb.rename_contact(sb.tenants.demo_tenant_id, created["ContactID"], "Hooked Again Ltd")
    sb.webhooks.flush()
    second = json.loads(receiver.received[-1][0])
    assert second["firstEventSequence"] == payload["lastEventSequence"] + 1
    assert [(e["eventType"], e["resourceId"]) for e in second["events"]] == [("UPDATE", created["ContactID"])]


def test_failed_deliveries_are_retried_on_the_sandbox_clock(sb: XeroSandbox, receiver: Receiver) -> None:
    by_flush_only(sb)
    receiver.fail_next = 1
    sb.add_contact(sb.tenants.demo_tenant_id, "Retry Me Ltd")
    assert sb.webhooks.flush() == 1
    assert sb.webhooks.flush() == 0  # not due yet
    sb.clock.advance(10)
    assert sb.webhooks.flush() == 1
    attempts = [(d.attempt, d.status) for d in sb.webhooks.deliveries]
    assert attempts == [(1, 500), (2, 200)]
    assert receiver.received[0][0] == receiver.received[1][0]


def test_duplicates_on_demand(sb: XeroSandbox, receiver: Receiver) -> None:
    by_flush_only(sb)
    sb.webhooks.duplicate_next(1)
    sb.archive_contact(
        sb.tenants.demo_tenant_id,
        next(c.contact_id for c in sb.contacts(sb.tenants.demo_tenant_id) if c.name == "Acme Ltd"),
    )
    assert sb.webhooks.flush() == 2
    assert receiver.received[0][0] == receiver.received[1][0]


def test_background_delivery_without_flush(sb: XeroSandbox, receiver: Receiver) -> None:
    sb.add_contact(sb.tenants.demo_tenant_id, "Background Ltd")
    sb.clock.advance(1)
    import time

    deadline = time.monotonic() + 3
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert receiver.received and receiver.received[0][2]
