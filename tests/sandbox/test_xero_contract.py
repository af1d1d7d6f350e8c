"""Contract: sandbox responses validate against Xero's OpenAPI files, and requests the spec forbids are
refused the way Xero refuses them. The spec is read from ../shared (patched for its one known defect)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from sandbox.xero import XeroSandbox
from sandbox.xero_consent import Connected, connect
from tests.support.xero_openapi import as_xero_request, load_spec, require_specs, validate_answer
from tests.support.xero_sandbox import running_sandbox, webhook_receiver


@pytest.fixture(autouse=True)
def _xero_openapi_files() -> None:
    require_specs()


@pytest.fixture(scope="module")
def accounting() -> Any:
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(load_spec("xero_accounting.yaml"), config=Config(spec_validator_cls=None))


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        sandbox.auto_consent = True
        yield sandbox


@pytest.fixture
def conn(sb: XeroSandbox) -> Connected:
    return connect(sb)


def _contact_id(sb: XeroSandbox) -> str:
    return next(c.contact_id for c in sb.contacts(sb.tenants.demo_tenant_id) if c.name == "Acme Ltd")


def _invoice(sb: XeroSandbox, account: str = "200") -> dict[str, Any]:
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": _contact_id(sb)},
        "Date": "2026-11-01",
        "DueDate": "2026-11-15",
        "LineAmountTypes": "Exclusive",
        "Reference": "C-1",
        "Status": "DRAFT",
        "LineItems": [
            {
                "Description": "d",
                "Quantity": 1.25,
                "UnitAmount": 99.99,
                "AccountCode": account,
                "TaxType": "OUTPUT2",
                "ItemCode": "CONSULT",
                "Tracking": [{"Name": "Region", "Option": "North"}],
            }
        ],
    }


def test_every_accounting_response_validates(accounting: Any, sb: XeroSandbox, conn: Connected) -> None:
    sb.seed_contacts(sb.tenants.demo_tenant_id, 30, archived_every=3)
    answers = [
        conn.call("GET", "/Organisation"),
        conn.call("GET", "/Accounts"),
        conn.call("GET", "/TaxRates"),
        conn.call("GET", "/TrackingCategories", params={"includeArchived": "true"}),
        conn.call("GET", "/BrandingThemes"),
        conn.call("GET", "/Items", params={"unitdp": 4}),
        conn.call(
            "GET",
            "/Contacts",
            params={
                "page": 1,
                "pageSize": 10,
                "summaryOnly": "true",
                "where": 'ContactStatus=="ACTIVE"',
                "includeArchived": "true",
            },
        ),
        conn.call("GET", "/Contacts", params={"searchTerm": "seeded"}),
        conn.call("GET", f"/Contacts/{_contact_id(sb)}"),
        conn.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Contract Co"}]}),
        conn.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Acme Ltd"}]}),
        conn.call(
            "PUT",
            "/Invoices",
            params={"summarizeErrors": "false", "unitdp": 4},
            json={"Invoices": [_invoice(sb), _invoice(sb, account="999")]},
            headers={"Idempotency-Key": "contract-1"},
        ),
        conn.call(
            "POST", "/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [_invoice(sb)]}
        ),
        conn.call("GET", "/Invoices", params={"where": 'Reference=="C-1"'}),
        conn.call("GET", "/Invoices", params={"page": 1, "unitdp": 4}),
    ]
    invoice_id = answers[-1].json()["Invoices"][0]["InvoiceID"]
    answers.append(conn.call("GET", f"/Invoices/{invoice_id}"))
    assert answers[10].status_code == 400
    for answer in answers:
        validate_answer(accounting, answer)


def test_requests_the_spec_forbids_are_refused(accounting: Any, sb: XeroSandbox, conn: Connected) -> None:
    from openapi_core.exceptions import OpenAPIError

    forbidden = [
        (conn.call("GET", "/Contacts", params={"page": "abc"}), 400),
        (conn.client.get("/Contacts"), 403),  # xero-tenant-id is a required header
        (conn.call("PUT", "/Invoices", content=b""), 400),  # the request body is required
        (conn.call("GET", "/Contacts", params={"includeArchived": "maybe"}), 400),
    ]
    for answer, status in forbidden:
        with pytest.raises(OpenAPIError):
            accounting.validate_request(as_xero_request(answer))
        assert answer.status_code == status, answer.request.url
    assert forbidden[0][0].json()["Type"] == "ValidationException"


def test_connections_match_the_identity_spec_except_documented_timestamps(
    sb: XeroSandbox, conn: Connected
) -> None:
    spec = load_spec("xero-identity.yaml")
    schema = json.loads(json.dumps(spec["components"]["schemas"]["Connection"]))
    rows = conn.client.get(sb.connections_url).json()
    assert rows
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    for row in rows:
        for field in ("createdDateUtc", "updatedDateUtc"):
            # documented exception: Xero sends no offset and 7 fractional digits, which RFC 3339 rejects
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", row[field])
            schema["properties"][field].pop("format")
        jsonschema.validate(row, schema, format_checker=checker)


def test_webhook_payloads_match_the_webhooks_spec(sb: XeroSandbox) -> None:
    spec = load_spec("xero-webhooks.yaml")
    schema = {**spec["components"]["schemas"]["WebhookEvent"], "components": spec["components"]}
    with webhook_receiver(sb.webhook_key) as receiver:
        sb.set_webhook(receiver.url)
        sb.add_contact(sb.tenants.demo_tenant_id, "Spec Ltd")
        sb.webhooks.flush()
        assert sb.webhooks.intent_to_receive(rounds=2, seed=0).passed
    assert len(receiver.received) == 3
    events = json.loads(receiver.received[0][0])
    jsonschema.Draft202012Validator(schema).validate(events)
    # known exception: intent-to-receive payloads carry sequences 0,
    # below the spec's minimum
    relaxed = copy.deepcopy(schema)
    for name in ("firstEventSequence", "lastEventSequence"):
        relaxed["properties"][name]["minimum"] = 0
    for body, _sig, _good in receiver.received[1:]:
        payload = json.loads(body)
        assert payload["events"] == [] and payload["firstEventSequence"] == 0
        jsonschema.Draft202012Validator(relaxed).validate(payload)
