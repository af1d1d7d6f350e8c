"""The setup wizard's views stay inside Slack's limits whatever the data: 500 clients page, long names are clipped
where Slack limits them, long choice lists turn into searching selects, and no client is left out."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from bot.views import wizard as v
from sandbox.slack_views import validate_view
from xero.invoice_defaults import Choice, DefaultsField, DefaultsForm, TrackingCategoryForm
from xero.mapping import MappingPage, MappingRow, MatchState

STATES = [MatchState.AUTO, MatchState.MANUAL, MatchState.CREATED, MatchState.UNMATCHED, MatchState.UNLINKED,
          MatchState.STALE]


def rows(n: int) -> list[MappingRow]:
    made = []
    for i in range(n):
        state = STATES[i % len(STATES)]
        linked = state not in (MatchState.UNMATCHED, MatchState.UNLINKED)
        made.append(MappingRow(
            client_id=100_000 + i, client_name=f"Client {i:03d} " + "W" * 110 + " & <Sons>", state=state,
            contact_id=f"{i:08d}-1d2f-4a5b-8c9d-0e1f2a3b4c5d" if linked else None,
            contact_name=("Contact " + "x" * 247) if linked else None, candidates=2 if i % 12 == 3 else 0))
    return made


def pages(all_rows: list[MappingRow], per_page: int = v.CLIENTS_PER_PAGE) -> list[MappingPage]:
    count = max(1, -(-len(all_rows) // per_page))
    counts = dict(Counter(r.state for r in all_rows))
    return [MappingPage(all_rows[p * per_page:(p + 1) * per_page], p, count, len(all_rows), per_page, counts,
                        archived=3, contacts=10_000) for p in range(count)]


def check_limits(view: dict[str, Any]) -> None:
    assert validate_view(view, expected_type="modal") == []
    assert len(view["blocks"]) <= 100
    assert len(view["private_metadata"]) <= 3000
    for block in view["blocks"]:
        element = block.get("accessory") or block.get("element") or {}
        initial = element.get("initial_option")
        if initial:
            assert len(initial["text"]["text"]) <= 75 and len(initial["value"]) <= 150
        assert len(str(block.get("block_id", ""))) <= 255
        for button in block.get("elements", []):
            if button.get("type") == "button" and "confirm" in button:
                assert len(button["confirm"]["text"]["text"]) <= 300


@pytest.mark.parametrize("mode", [v.MODE_SETUP, v.MODE_MAP])
def test_500_clients_page_within_slacks_limits_and_every_client_is_shown(mode: str) -> None:
    all_rows = rows(500)
    seen: list[int] = []
    for page in pages(all_rows):
        view = v.contacts_step(page, mode=mode, notice=":warning: " + "n" * 500)
        check_limits(view)
        seen += [int(str(v.client_id_of(b["block_id"]))) for b in view["blocks"]
                 if str(b.get("block_id", "")).startswith(v.ROW_BLOCK)]
        text = json.dumps(view, ensure_ascii=False)
        assert f"page {page.page + 1} of {page.pages}" in text and "500 clients" in text
        assert json.loads(view["private_metadata"]) == {"mode": mode, "step": 3, "page": page.page}
        assert ("submit" in view) == (mode == v.MODE_SETUP)
    assert seen == [r.client_id for r in all_rows]  # nothing capped, nothing repeated, in order


def test_each_row_says_its_state_and_offers_the_right_controls() -> None:
    view = v.contacts_step(pages(rows(6))[0])
    text = json.dumps(view, ensure_ascii=False)
    for label in ("Auto-matched", "Linked by hand", "Created in Xero", "Unmatched", "Unlinked by hand",
                  "archived in Xero"):
        assert label in text
    mrkdwn = " ".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert "&lt;Sons&gt;" in mrkdwn and "<Sons>" not in mrkdwn  # names are escaped for mrkdwn
    assert "2 Xero contacts have this name" in text
    for row in rows(6):
        section = next(b for b in view["blocks"] if b.get("block_id") == v.row_block_id(row))
        assert section["accessory"]["type"] == "external_select"
        assert section["accessory"]["action_id"] == v.ACTION_CONTACT_PICK
        assert section["accessory"]["min_query_length"] in (1, 2)
        buttons = next((b for b in view["blocks"] if b.get("block_id") == f"{v.ROW_BUTTONS}{row.client_id}"), None)
        actions = {e["action_id"] for e in buttons["elements"]} if buttons else set()
        linked = row.state in (MatchState.AUTO, MatchState.MANUAL, MatchState.CREATED)
        assert (v.ACTION_CREATE in actions) == (not linked)
        assert (v.ACTION_UNLINK in actions) == (row.contact_id is not None)


def test_a_changed_link_changes_the_row_block_id() -> None:
    row = rows(1)[0]
    other = MappingRow(row.client_id, row.client_name, MatchState.MANUAL, "another-id", "Another")
    assert v.row_block_id(row) != v.row_block_id(other)
    assert v.client_id_of(v.row_block_id(row)) == str(row.client_id)
    assert v.client_id_of(f"{v.ROW_BUTTONS}{row.client_id}") == str(row.client_id)
    assert v.client_id_of("something_else") is None


def test_no_clients_and_no_contacts_are_said_plainly() -> None:
    empty = MappingPage([], 0, 1, 0, v.CLIENTS_PER_PAGE, {}, 0, 0)
    view = v.contacts_step(empty)
    check_limits(view)
    text = json.dumps(view)
    assert "No clients yet" in text and "No Xero contacts are synced yet" in text and "wiz_pager" not in text


def form(accounts: int, taxes: int, themes: int) -> DefaultsForm:
    return DefaultsForm(
        accounts=[Choice(f"{i:04d}", f"{i:04d} — Revenue account {'r' * 90}") for i in range(accounts)],
        tax_rates=[Choice(f"TAX{i}", f"Tax {i} (15%)") for i in range(taxes)],
        themes=[Choice(f"theme-{i}", f"Theme {i}") for i in range(themes)],
        account_code="0150" if accounts > 150 else None, tax_type="TAX1", theme_id="theme-0", payment_terms=14,
        prefix="INV-", grouping="entry", line_amount_type="Exclusive")


def test_step_one_is_valid_with_short_and_long_choice_lists() -> None:
    small = v.defaults_step(form(3, 2, 1))
    check_limits(small)
    account = next(b for b in small["blocks"] if b.get("block_id") == DefaultsField.ACCOUNT)
    assert account["element"]["type"] == "static_select"
    assert all(len(o["text"]["text"]) <= 75 for o in account["element"]["options"])

    large = v.defaults_step(form(250, 100, 101))
    check_limits(large)
    blocks = {b.get("block_id"): b for b in large["blocks"]}
    assert blocks[DefaultsField.ACCOUNT]["element"]["type"] == "external_select"  # searches past 100
    assert blocks[DefaultsField.ACCOUNT]["element"]["initial_option"]["value"] == "0150"
    assert blocks[DefaultsField.TAX]["element"]["type"] == "static_select"
    assert blocks[DefaultsField.THEME]["element"]["type"] == "external_select"
    found = v.matching_choices(form(250, 0, 0).accounts, "REVENUE")
    assert len(found) == 100 and all(len(o["text"]["text"]) <= 75 for o in found)
    assert [o["value"] for o in v.matching_choices(form(250, 0, 0).accounts, "0249")] == ["0249"]


def test_step_one_without_synced_data_still_opens() -> None:
    view = v.defaults_step(form(0, 0, 0))
    check_limits(view)
    assert "no active revenue accounts yet" in json.dumps(view)


def test_step_two_tracking_categories() -> None:
    categories = [
        TrackingCategoryForm("cat-1", "Region", [Choice(f"o{i}", f"Option {i}") for i in range(3)], "o1"),
        TrackingCategoryForm("cat-2", "Department " + "d" * 200, [Choice(f"p{i}", f"P {i}") for i in range(100)],
                             None),
    ]
    view = v.tracking_step(categories)
    check_limits(view)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    region = blocks[DefaultsField.tracking("cat-1")]["element"]
    assert region["type"] == "static_select" and region["initial_option"]["value"] == "o1"
    assert region["options"][0]["value"] == v.NOT_INCLUDED
    department = blocks[DefaultsField.tracking("cat-2")]["element"]
    assert department["type"] == "external_select"  # 100 options + "Not on invoices"
    assert department["initial_option"]["value"] == v.NOT_INCLUDED
    check_limits(v.tracking_step([]))


def test_done_and_notice_views_are_valid() -> None:
    page = pages(rows(30))[0]
    check_limits(v.done_view(page, ["No revenue account is chosen for invoice lines."]))
    check_limits(v.notice_view("A title much longer than twenty-four", "text"))


def test_odd_metadata_reads_as_the_first_page_of_the_wizard() -> None:
    for raw in (None, "", "[]", "{", json.dumps({"mode": "evil", "page": -4}), json.dumps({"page": True}),
                json.dumps({"page": 10**9})):
        assert v.read_metadata({"private_metadata": raw}) == {"mode": v.MODE_SETUP, "step": None, "page": 0}
    assert v.read_metadata({"private_metadata": json.dumps(v.metadata(v.MODE_MAP, 3, 4))})["page"] == 4
