"""Accounting behaviour of the Xero sandbox: contacts, settings, invoices, validation, rounding,
idempotency."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from sandbox.xero import XeroSandbox
from sandbox.xero_consent import Connected, connect
from tests.support.xero_sandbox import running_sandbox


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def conn(sb: XeroSandbox) -> Connected:
    sb.auto_consent = True
    return connect(sb)


def _json(response: httpx2.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def _contact_id(sb: XeroSandbox, name: str) -> str:
    return next(c.contact_id for c in sb.contacts(sb.tenants.demo_tenant_id) if c.name == name)


def _invoice(sb: XeroSandbox, **overrides: Any) -> dict[str, Any]:
    line = {
        "Description": "Design work",
        "Quantity": 2.5,
        "UnitAmount": 150.00,
        "AccountCode": "200",
        "TaxType": "OUTPUT2",
        "Tracking": [{"Name": "Region", "Option": "North"}],
    }
    line.update(overrides.pop("line", {}))
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": _contact_id(sb, "Acme Ltd")},
        "Date": "2026-11-01",
        "DueDate": "2026-11-15",
        "LineAmountTypes": "Exclusive",
        "Reference": "HC-0042",
        "Status": "DRAFT",
        "LineItems": [line],
    }
    invoice.update(overrides)
    return invoice


def _put(
    conn: Connected,
    *invoices: dict[str, Any],
    summarize: bool = False,
    key: str | None = None,
    unitdp: int | None = 4,
) -> httpx2.Response:
    params: dict[str, Any] = {"summarizeErrors": "false" if not summarize else "true"}
    if unitdp:
        params["unitdp"] = unitdp
    headers = {"Idempotency-Key": key} if key else {}
    return conn.call("PUT", "/Invoices", params=params, json={"Invoices": list(invoices)}, headers=headers)


def _errors(response: httpx2.Response) -> list[str]:
    return [e["Message"] for inv in response.json()["Invoices"] for e in inv.get("ValidationErrors", [])]


# -- contacts -----------------------------------------------------------------------------------------------
def test_contacts_paging_with_pagination_object_and_page_size_cap(sb: XeroSandbox, conn: Connected) -> None:
    sb.seed_contacts(sb.tenants.demo_tenant_id, 2500, archived_every=10)
    first = conn.call(
        "GET",
        "/Contacts",
        params={"page": 1, "pageSize": 1000, "summaryOnly": "true", "where": 'ContactStatus=="ACTIVE"'},
    ).json()
    assert first["pagination"] == {"page": 1, "pageSize": 1000, "pageCount": 3, "itemCount": 2256}
    assert len(first["Contacts"]) == 1000 and "Addresses" not in first["Contacts"][0]
    last = conn.call("GET", "/Contacts", params={"page": 3, "pageSize": 1000}).json()
    assert len(last["Contacts"]) == 256 and "Addresses" in last["Contacts"][0]
    too_big = conn.call("GET", "/Contacts", params={"page": 1, "pageSize": 1001})
    assert too_big.status_code == 400
    assert "pagination" not in conn.call("GET", "/Contacts").json()


def test_contacts_archived_only_with_include_archived_and_if_modified_since(
    sb: XeroSandbox, conn: Connected
) -> None:
    tenant = sb.tenants.demo_tenant_id
    names = {c["Name"] for c in conn.call("GET", "/Contacts").json()["Contacts"]}
    assert "Old Client Ltd" not in names and "Acme Ltd" in names
    sb.clock.advance(60)
    mark = sb.clock.now()
    sb.clock.advance(60)
    sb.archive_contact(tenant, _contact_id(sb, "Bayside Club"))
    sb.add_contact(tenant, "Newcomer Ltd")
    since = {"If-Modified-Since": mark.strftime("%a, %d %b %Y %H:%M:%S GMT")}
    plain = conn.call("GET", "/Contacts", headers=since).json()["Contacts"]
    assert [c["Name"] for c in plain] == ["Newcomer Ltd"]
    with_archived = conn.call("GET", "/Contacts", headers=since, params={"includeArchived": "true"}).json()
    assert {(c["Name"], c["ContactStatus"]) for c in with_archived["Contacts"]} == {
        ("Bayside Club", "ARCHIVED"),
        ("Newcomer Ltd", "ACTIVE"),
    }
    iso = conn.call(
        "GET", "/Contacts", headers={"If-Modified-Since": (mark + timedelta(hours=1)).isoformat()}
    )
    assert iso.json()["Contacts"] == []


def test_contacts_search_where_ids_and_get_by_id(sb: XeroSandbox, conn: Connected) -> None:
    found = conn.call("GET", "/Contacts", params={"searchTerm": "espresso"}).json()["Contacts"]
    assert [c["Name"] for c in found] == ["Espresso 31"]
    where = conn.call(
        "GET", "/Contacts", params={"where": 'Name.StartsWith("Ci") AND ContactStatus=="ACTIVE"'}
    )
    assert [c["Name"] for c in where.json()["Contacts"]] == ["City Agency"]
    ids = [_contact_id(sb, "Acme Ltd"), _contact_id(sb, "Gable Print")]
    by_ids = conn.call("GET", "/Contacts", params={"IDs": ",".join(ids)}).json()["Contacts"]
    assert sorted(c["ContactID"] for c in by_ids) == sorted(ids)
    one = conn.call("GET", f"/Contacts/{ids[0]}").json()["Contacts"]
    assert one[0]["Name"] == "Acme Ltd" and one[0]["UpdatedDateUTC"].startswith("/Date(")
    bad = conn.call("GET", "/Contacts", params={"where": 'Name = "x"'})
    assert bad.status_code == 400 and bad.json()["Type"] == "QueryParseException"


def test_contact_names_unique_among_active_contacts(sb: XeroSandbox, conn: Connected) -> None:
    created = conn.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Fresh Co"}]})
    assert created.status_code == 200 and created.json()["Contacts"][0]["ContactStatus"] == "ACTIVE"
    duplicate = conn.call("PUT", "/Contacts", json={"Contacts": [{"Name": "acme ltd "}]})
    assert duplicate.status_code == 400
    messages = [m["Message"] for e in duplicate.json()["Elements"] for m in e["ValidationErrors"]]
    assert messages == [
        "The contact name acme ltd is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    ]
    archived_name = conn.call("PUT", "/Contacts", json={"Contacts": [{"Name": "Old Client Ltd"}]})
    assert archived_name.status_code == 200
    mixed = conn.call(
        "PUT",
        "/Contacts",
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "Acme Ltd"}, {"Name": "Another One"}]},
    ).json()["Contacts"]
    assert [c["StatusAttributeString"] for c in mixed] == ["ERROR", "OK"]
    assert mixed[0]["HasValidationErrors"] is True


# -- settings -----------------------------------------------------------------------------------------------
def test_settings_reads(sb: XeroSandbox, conn: Connected) -> None:
    org = conn.call("GET", "/Organisation").json()["Organisations"][0]
    assert org["ShortCode"] == "!Hx9Qz" and org["BaseCurrency"] == "NZD" and org["Timezone"]
    accounts = conn.call("GET", "/Accounts").json()["Accounts"]
    revenue = [
        a["Code"]
        for a in accounts
        if a["Class"] == "REVENUE" and a["Status"] == "ACTIVE" and "SystemAccount" not in a
    ]
    assert revenue == ["200", "210", "260"]
    rates = conn.call("GET", "/TaxRates", params={"where": 'Status=="ACTIVE"'}).json()["TaxRates"]
    assert "OUTPUT" not in [r["TaxType"] for r in rates]
    assert [r["TaxType"] for r in rates if r["CanApplyToRevenue"]] == [
        "OUTPUT2",
        "ZERORATED",
        "NONE",
        "TAX001",
    ]
    tracking = conn.call("GET", "/TrackingCategories").json()["TrackingCategories"]
    assert [(c["Name"], [o["Name"] for o in c["Options"]]) for c in tracking] == [
        ("Region", ["North", "South"]),
        ("Department", ["Design", "Engineering"]),
    ]
    everything = conn.call("GET", "/TrackingCategories", params={"includeArchived": "true"}).json()
    assert len(everything["TrackingCategories"]) == 3
    themes = conn.call("GET", "/BrandingThemes").json()["BrandingThemes"]
    assert themes[0]["SortOrder"] == 0 and len(themes) == 3
    items = conn.call("GET", "/Items").json()["Items"]
    assert items[0]["SalesDetails"] == {"UnitPrice": 150.0, "AccountCode": "210", "TaxType": "OUTPUT2"}


# -- invoices -----------------------------------------------------------------------------------------------
def test_invoice_created_as_draft_with_xero_numbers_and_arithmetic(sb: XeroSandbox, conn: Connected) -> None:
    response = _put(conn, _invoice(sb, Status=None))
    assert response.status_code == 200
    assert response.headers["Xero-Correlation-Id"]
    invoice = _json(response)["Invoices"][0]
    assert invoice["Status"] == "DRAFT" and invoice["InvoiceNumber"] == "INV-0001"
    assert invoice["Reference"] == "HC-0042" and invoice["StatusAttributeString"] == "OK"
    line = invoice["LineItems"][0]
    assert (line["UnitAmount"], line["LineAmount"], line["TaxAmount"]) == (
        Decimal("150.0000"),
        Decimal("375.00"),
        Decimal("56.25"),
    )
    assert (invoice["SubTotal"], invoice["TotalTax"], invoice["Total"]) == (
        Decimal("375.00"),
        Decimal("56.25"),
        Decimal("431.25"),
    )
    assert invoice["Date"] == "/Date(1793491200000+0000)/"
    assert len(sb.invoices(sb.tenants.demo_tenant_id)) == 1


def test_invoice_numbers_auto_and_unique(sb: XeroSandbox, conn: Connected) -> None:
    taken = _put(conn, _invoice(sb, InvoiceNumber="INV-0002"))
    assert taken.json()["Invoices"][0]["InvoiceNumber"] == "INV-0002"
    numbers = [i["InvoiceNumber"] for i in _put(conn, _invoice(sb), _invoice(sb)).json()["Invoices"]]
    assert numbers == ["INV-0001", "INV-0003"]
    assert _errors(_put(conn, _invoice(sb, InvoiceNumber="inv-0002"))) == ["Invoice # must be unique."]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Contact": {"ContactID": "ARCHIVED"}}, "The contact has been archived and cannot be used."),
        ({"line": {"AccountCode": "999"}}, "Account code '999' is not a valid code for this document."),
        ({"line": {"AccountCode": "610"}}, "Account code '610' is not a valid code for this document."),
        (
            {"line": {"AccountCode": "270"}},
            "Account code '270' has been archived, or deleted. Each line item must "
            "reference a valid account.",
        ),
        (
            {"line": {"TaxType": "INPUT2"}},
            "The TaxType code 'INPUT2' does not exist or cannot be used for this type of transaction.",
        ),
        (
            {"line": {"TaxType": "OUTPUT"}},
            "The TaxType code 'OUTPUT' does not exist or cannot be used for this type of transaction.",
        ),
        (
            {"line": {"TaxType": "X"}},
            "The TaxType code 'X' does not exist or cannot be used for this type of transaction.",
        ),
        ({"line": {"ItemCode": "NOPE"}}, "Item code 'NOPE' is not valid"),
        (
            {"line": {"Tracking": [{"Name": "Region", "Option": "West"}]}},
            "The tracking option 'West' is not valid for the tracking category 'Region'.",
        ),
        (
            {"line": {"Tracking": [{"Name": "Legacy Cost Centre", "Option": "CC1"}]}},
            "The tracking category 'Legacy Cost Centre' does not exist or is not active.",
        ),
        (
            {
                "line": {
                    "Tracking": [
                        {"Name": "Region", "Option": "North"},
                        {"Name": "Department", "Option": "Design"},
                        {"Name": "Region", "Option": "South"},
                    ]
                }
            },
            "Line items can have a maximum of 2 tracking categories.",
        ),
        (
            {"BrandingThemeID": "00000000-0000-0000-0000-000000000000"},
            "The BrandingThemeID '00000000-0000-0000-0000-000000000000' could not be found.",
        ),
        ({"Contact": {}}, "A Contact must be specified for this type of transaction"),
    ],
)
def test_invoice_validation_messages(
    sb: XeroSandbox, conn: Connected, change: dict[str, Any], message: str
) -> None:
    if change.get("Contact") == {"ContactID": "ARCHIVED"}:
        change = {"Contact": {"ContactID": _contact_id(sb, "Old Client Ltd")}}
    response = _put(conn, _invoice(sb, **change))
    assert response.status_code == 200
    element = response.json()["Invoices"][0]
    assert element["HasErrors"] is True and element["StatusAttributeString"] == "ERROR"
    assert _errors(response) == [message]
    assert sb.invoices(sb.tenants.demo_tenant_id) == []


def test_item_code_fills_line_and_two_tracking_categories_allowed(sb: XeroSandbox, conn: Connected) -> None:
    line = {
        "ItemCode": "CONSULT",
        "Description": None,
        "UnitAmount": None,
        "AccountCode": None,
        "TaxType": None,
        "Quantity": 1,
        "Tracking": [{"Name": "Region", "Option": "South"}, {"Name": "Department", "Option": "Engineering"}],
    }
    raw = _invoice(sb, line=line)
    raw["LineItems"][0] = {k: v for k, v in raw["LineItems"][0].items() if v is not None}
    invoice = _put(conn, raw).json()["Invoices"][0]
    filled = invoice["LineItems"][0]
    assert (filled["AccountCode"], filled["TaxType"], filled["UnitAmount"]) == ("210", "OUTPUT2", 150.0)
    assert len(filled["Tracking"]) == 2


def test_summarize_errors_default_mode_is_a_400_while_good_ones_are_created(
    sb: XeroSandbox, conn: Connected
) -> None:
    response = _put(conn, _invoice(sb), _invoice(sb, line={"AccountCode": "999"}), summarize=True)
    assert response.status_code == 400
    body = response.json()
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    assert [e["ValidationErrors"][0]["Message"] for e in body["Elements"]] == [
        "Account code '999' is not a valid code for this document."
    ]
    assert len(sb.invoices(sb.tenants.demo_tenant_id)) == 1


@pytest.mark.parametrize("mode", ["half_up", "half_even"])
def test_rounding_per_line_then_summed(sb: XeroSandbox, conn: Connected, mode: str) -> None:
    sb.rounding = mode
    lines = [
        {
            "Description": f"L{i}",
            "Quantity": 1,
            "UnitAmount": "0.25",
            "AccountCode": "200",
            "TaxType": "OUTPUT2",
        }
        for i in range(10)
    ]
    invoice = _json(_put(conn, _invoice(sb, LineItems=lines)))["Invoices"][0]
    per_line = {line["TaxAmount"] for line in invoice["LineItems"]}
    assert per_line == {Decimal("0.04")}  # 0.0375 -> 0.04 either way; summed per line, not on the total
    assert invoice["TotalTax"] == Decimal("0.40")  # tax on the 2.50 total would have been 0.38


@pytest.mark.parametrize(("mode", "expected"), [("half_up", "0.13"), ("half_even", "0.12")])
def test_half_up_and_half_even_differ_on_exact_halves(
    sb: XeroSandbox, conn: Connected, mode: str, expected: str
) -> None:
    sb.rounding = mode
    raw = _invoice(sb, line={"Quantity": "0.5", "UnitAmount": "0.25", "TaxType": "NONE"})
    invoice = _json(_put(conn, raw))["Invoices"][0]
    assert invoice["LineItems"][0]["LineAmount"] == Decimal(expected)


def test_unit_amount_two_places_without_unitdp_and_inclusive_tax(sb: XeroSandbox, conn: Connected) -> None:
    raw = _invoice(sb, LineAmountTypes="Inclusive", line={"Quantity": "1.5", "UnitAmount": "33.3333"})
    two_dp = _json(_put(conn, raw, unitdp=None))["Invoices"][0]
    assert two_dp["LineItems"][0]["UnitAmount"] == Decimal("33.33")
    assert two_dp["LineItems"][0]["LineAmount"] == Decimal("50.00")  # 1.5 x 33.33 = 49.995 -> 50.00
    assert two_dp["TotalTax"] == Decimal("6.52") and two_dp["Total"] == Decimal("50.00")
    assert two_dp["SubTotal"] == Decimal("43.48")
    four_dp = _json(_put(conn, raw))["Invoices"][0]
    assert four_dp["LineItems"][0]["UnitAmount"] == Decimal("33.3333")
    assert four_dp["LineItems"][0]["LineAmount"] == Decimal("50.00")


def test_invoice_lookup_by_ids_numbers_and_reference(sb: XeroSandbox, conn: Connected) -> None:
    created = _put(conn, _invoice(sb, Reference="HC-1"), _invoice(sb, Reference="HC-2")).json()["Invoices"]
    by_ref = conn.call("GET", "/Invoices", params={"where": 'Reference=="HC-2"'}).json()["Invoices"]
    assert [i["InvoiceID"] for i in by_ref] == [created[1]["InvoiceID"]]
    assert "LineItems" not in by_ref[0]
    by_number = conn.call("GET", "/Invoices", params={"InvoiceNumbers": created[0]["InvoiceNumber"]}).json()
    assert [i["Reference"] for i in by_number["Invoices"]] == ["HC-1"]
    by_ids = conn.call("GET", "/Invoices", params={"IDs": created[1]["InvoiceID"], "page": 1}).json()
    assert by_ids["Invoices"][0]["LineItems"] and by_ids["pagination"]["itemCount"] == 1
    one = conn.call("GET", f"/Invoices/{created[0]['InvoiceID']}").json()["Invoices"][0]
    assert one["Reference"] == "HC-1"


def test_post_upserts_an_existing_draft(sb: XeroSandbox, conn: Connected) -> None:
    created = _put(conn, _invoice(sb)).json()["Invoices"][0]
    updated = conn.call(
        "POST",
        "/Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [{"InvoiceID": created["InvoiceID"], "Reference": "HC-CHANGED"}]},
    ).json()["Invoices"][0]
    assert updated["InvoiceID"] == created["InvoiceID"] and updated["Reference"] == "HC-CHANGED"
    assert updated["Total"] == created["Total"] and len(sb.invoices(sb.tenants.demo_tenant_id)) == 1


# -- idempotency --------------------------------------------------------------------------------------------
def test_idempotency_replays_the_stored_answer_within_the_window(sb: XeroSandbox, conn: Connected) -> None:
    first = _put(conn, _invoice(sb), key="hourcap-inv-1-gen-0")
    again = _put(conn, _invoice(sb), key="hourcap-inv-1-gen-0")
    assert again.status_code == 200 and again.content == first.content
    assert len(sb.invoices(sb.tenants.demo_tenant_id)) == 1
    sb.clock.advance(sb.idempotency_window_seconds + 1)
    later = _put(conn, _invoice(sb), key="hourcap-inv-1-gen-0")
    assert later.json()["Invoices"][0]["InvoiceID"] != first.json()["Invoices"][0]["InvoiceID"]
    assert len(sb.invoices(sb.tenants.demo_tenant_id)) == 2


def test_idempotency_key_with_a_different_request_is_refused(sb: XeroSandbox, conn: Connected) -> None:
    _put(conn, _invoice(sb), key="k-1")
    other = _put(conn, _invoice(sb, Reference="DIFFERENT"), key="k-1")
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["Message"]
    assert len(sb.invoices(sb.tenants.demo_tenant_id)) == 1


def test_idempotency_key_length_and_configurable_window(sb: XeroSandbox, conn: Connected) -> None:
    assert _put(conn, _invoice(sb), key="x" * 129).status_code == 400
    assert _put(conn, _invoice(sb), key="x" * 128).status_code == 200
    sb.idempotency_window_seconds = 30
    _put(conn, _invoice(sb), key="short")
    sb.clock.advance(31)
    _put(conn, _invoice(sb), key="short")
    assert len(sb.invoices(sb.tenants.demo_tenant_id)) == 3
