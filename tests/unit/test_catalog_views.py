"""The catalog's pure view builders: Slack's limits hold whatever the data, and paging loses nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.errors import field_errors
from bot.views.catalog.archive import archive_modal
from bot.views.catalog.builders import read_metadata
from bot.views.catalog.client import ClientForm, client_modal
from bot.views.catalog.ids import (
    ACTION_BILLABLE,
    ACTION_CHANNEL,
    ACTION_CODE,
    ACTION_MODE,
    ACTION_PROJECT_CLIENT,
    ACTION_PROJECT_NAME,
    BLOCK_CATALOG_BUTTONS,
    BLOCK_CATALOG_PAGER,
    BLOCK_RATES_LIST,
    CALLBACK_CLIENT,
    FOLLOW_WORKSPACE,
)
from bot.views.catalog.project import (
    ClientChoice,
    ProjectForm,
    no_clients_modal,
    notice_modal,
    project_form_from_state,
    project_modal,
)
from bot.views.catalog.rates import default_rates_modal, project_rates_modal
from bot.views.catalog.rounding import rounding_modal
from bot.views.catalog.section import catalog_rows, paginate, project_line, read_page_value
from bot.views.home import HomeModel, build_home
from catalog.form_input import NAME_MAX, Field
from catalog.listing import page_of
from catalog.projects import Catalog, ClientSummary, ProjectSummary
from catalog.rates import LIST_LIMIT, RateRow
from catalog.rounding import NO_ROUNDING, RoundingMode, RoundingRule
from errors import FormErrors, InvalidInput, NotFound
from sandbox.slack_views import validate_view
from storage.models import BillingMode, Role
from timesheets.member_calendar import WeekTotals

LONG = "Ω" + "x" * (NAME_MAX - 1)  # the longest name a use case accepts


def project(number: int, *, mode: BillingMode = BillingMode.HOURLY, archived: bool = False,
            name: str | None = None) -> ProjectSummary:
    return ProjectSummary(number, f"p{number:04d}", name or f"Project {number}", mode, Decimal("120"),
                          Decimal("4000") if mode is BillingMode.RETAINER else None,
                          2400 if mode is BillingMode.RETAINER else None,
                          Decimal("150") if mode is BillingMode.RETAINER else None,
                          Decimal("12000") if mode is BillingMode.FIXED_BUDGET else None,
                          "C0GENERAL" if number % 2 else None, number % 3 != 0, archived, number % 4)


def big_catalog(clients: int, projects_each: int, *, name: str | None = None) -> Catalog:
    modes = list(BillingMode)
    items = []
    counter = 0
    for c in range(clients):
        rows = []
        for _ in range(projects_each):
            counter += 1
            rows.append(project(counter, mode=modes[counter % 3], archived=counter % 7 == 0, name=name))
        items.append(ClientSummary(c + 1, name or f"Client {c}", c % 5 == 4,
                                   RoundingRule(RoundingMode.UP, 15) if c % 2 else None, tuple(rows)))
    return Catalog(tuple(items), NO_ROUNDING)


def check_limits(view: dict[str, Any], expected_type: str = "modal") -> None:
    assert validate_view(view, expected_type=expected_type) == []
    assert len(view["blocks"]) <= 100
    if view["type"] == "modal":
        for part in ("title", "submit", "close"):
            if part in view:
                assert len(view[part]["text"]) <= 24
    for option in _options(view):
        assert len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150


def _options(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("options", "initial_options") and isinstance(value, list):
                found += [o for o in value if isinstance(o, dict)]
            elif key == "initial_option" and isinstance(value, dict):
                found.append(value)
            else:
                found += _options(value)
    elif isinstance(node, list):
        for item in node:
            found += _options(item)
    return found


def home(model_catalog: Catalog, role: Role = Role.OWNER, page: int = 0, show_all: bool = False) -> dict[str, Any]:
    model = HomeModel(role=role, today=date(2024, 11, 20), week=WeekTotals(date(2024, 11, 18), (0,) * 7),
                      catalog=page_of(model_catalog, page, show_all) if role.rank >= Role.MANAGER.rank else None,
                      show_archived=show_all)
    return build_home(model)


# ---- Home ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("clients,each", [(0, 0), (1, 150), (150, 1), (200, 5), (3, 40), (100, 0)])
@pytest.mark.parametrize("show_all", [False, True])
def test_home_stays_within_limits_on_every_page(clients: int, each: int, show_all: bool) -> None:
    catalog = big_catalog(clients, each, name=LONG if clients == 3 else None)
    first = home(catalog, show_all=show_all)
    check_limits(first, "home")
    text = json.dumps(first, ensure_ascii=False)
    shown = catalog if show_all else catalog.active()
    rows = catalog_rows(shown)
    pages = paginate(rows)
    if len(pages) > 1:
        assert f"Page 1 of {len(pages)}" in text and "Next ▶" in text
    seen: list[str] = []
    for number in range(len(pages)):
        view = home(catalog, page=number, show_all=show_all)
        check_limits(view, "home")
        seen += [b["block_id"] for b in view["blocks"] if str(b.get("block_id", "")).startswith("catalog_")
                 and b["block_id"] not in (BLOCK_CATALOG_BUTTONS, BLOCK_CATALOG_PAGER)
                 and not b["block_id"].endswith("_cont")]
    assert len(seen) == len(set(seen)) == len(rows)  # every client and project once, nothing silently dropped


def test_pages_repeat_the_client_and_say_how_many_exist() -> None:
    catalog = big_catalog(1, 150)
    active = catalog.active()
    view = home(catalog, page=1)
    text = json.dumps(view, ensure_ascii=False)
    assert "_(continued)_" in text and "◀ Previous" in text and "Next ▶" in text
    assert f"{active.project_count} projects" in text or f"of {active.project_count}" in text
    assert json.loads(view["private_metadata"]) == {"page": 1, "all": False}
    past_the_end = home(catalog, page=999)
    last = json.dumps(past_the_end, ensure_ascii=False)
    assert "◀ Previous" in last and "Next ▶" not in last and "Page 4 of 4" in last
    assert json.loads(past_the_end["private_metadata"]) == {"page": 3, "all": False}


def test_members_see_no_catalog() -> None:
    view = home(big_catalog(2, 2), role=Role.MEMBER)
    assert "catalog_" not in json.dumps(view) and "Clients & projects" not in json.dumps(view)


def test_lines_describe_each_billing_mode_and_escape_names() -> None:
    retainer = project(1, mode=BillingMode.RETAINER, name="<b>&co")
    line = project_line(retainer)
    assert "Retainer 4,000.00/month incl. 40 h, overage 150.00/h" in line and "&lt;b&gt;&amp;co" in line
    assert "<#C0GENERAL>" in line and "1 member rate" in line
    assert "Fixed budget 12,000.00" in project_line(project(2, mode=BillingMode.FIXED_BUDGET))
    assert project_line(project(3)).startswith("`p0003` *Project 3* · Hourly · 120.00/h · non-billable")


@pytest.mark.parametrize("raw", ["", "x", "[]", '{"page": "a"}', "null", '{"page": -3}'])
def test_garbage_page_values_read_as_the_first_page(raw: str) -> None:
    assert read_page_value(raw) == (0, False)


# ---- modals --------------------------------------------------------------------------------------------------


def test_client_modal() -> None:
    new = client_modal(ClientForm(RoundingRule(RoundingMode.NEAREST, 30)))
    check_limits(new)
    assert (new["callback_id"], new["title"]["text"], json.loads(new["private_metadata"])) == (
        CALLBACK_CLIENT, "New client", {"client": None})
    select = new["blocks"][1]["element"]
    assert select["initial_option"]["value"] == FOLLOW_WORKSPACE and len(select["options"]) == 10
    assert len(new["blocks"]) == 2  # nothing about Xero before the client exists
    edit = client_modal(ClientForm(NO_ROUNDING, 7, LONG, RoundingRule(RoundingMode.UP, 6)))
    check_limits(edit)
    assert edit["blocks"][0]["element"]["initial_value"] == LONG
    assert edit["blocks"][1]["element"]["initial_option"]["value"] == "up:6"
    assert "Not linked to a Xero contact yet: invoices need one" in edit["blocks"][2]["elements"][0]["text"]
    linked = client_modal(ClientForm(NO_ROUNDING, 7, "Acme", xero_contact="Acme <Holdings> & Co"))
    check_limits(linked)
    assert linked["blocks"][2]["elements"][0]["text"] == (
        "Xero contact: *Acme &lt;Holdings&gt; &amp; Co*. To link another, use Home → Xero → Contact mapping.")


@pytest.mark.parametrize("mode", list(BillingMode))
def test_project_modal_shows_the_fields_of_its_billing_mode(mode: BillingMode) -> None:
    clients = tuple(ClientChoice(i, LONG, archived=i == 1) for i in range(1, 101))
    view = project_modal(ProjectForm(clients=clients, client_count=100, billing_mode=mode))
    check_limits(view)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert len(ids) == len(set(ids))
    assert (Field.RETAINER_AMOUNT in ids) is (mode is BillingMode.RETAINER)
    assert (Field.BUDGET in ids) is (mode is BillingMode.FIXED_BUDGET)
    mode_block = next(b for b in view["blocks"] if b.get("block_id") == Field.MODE)
    assert mode_block["dispatch_action"] is True and mode_block["element"]["action_id"] == ACTION_MODE
    # Nothing collides with the Log time modal: no block "project" with action "value" anywhere.
    for block in view["blocks"]:
        assert block.get("block_id") != "project"
        assert block.get("element", {}).get("action_id", "catalog_").startswith("catalog_")


def test_project_modal_searches_clients_past_a_hundred() -> None:
    clients = tuple(ClientChoice(i, f"Client {i}") for i in range(1, 101))
    form = ProjectForm(clients=clients, client_count=250, client_id=300, client_name=LONG)
    view = project_modal(form)
    check_limits(view)
    select = view["blocks"][0]["element"]
    assert select["type"] == "external_select" and select["initial_option"]["value"] == "300"
    assert "250 active clients" in view["blocks"][0]["hint"]["text"]


def test_reshaping_keeps_what_was_typed_and_hidden_values() -> None:
    base = ProjectForm(clients=(ClientChoice(1, "Acme"),), client_count=1, project_id=9, name="Old",
                       retainer_amount="1000.00", included_hours="10", channel_id="C1")
    state: dict[str, dict[str, Any]] = {Field.PROJECT_CLIENT: {ACTION_PROJECT_CLIENT: "1"},
             Field.PROJECT_NAME: {ACTION_PROJECT_NAME: "Typed"}, Field.CODE: {ACTION_CODE: None},
             Field.BILLABLE: {ACTION_BILLABLE: []}, Field.MODE: {ACTION_MODE: "retainer"},
             Field.CHANNEL: {ACTION_CHANNEL: None}}
    form = project_form_from_state(state, base)
    assert (form.name, form.code, form.billable, form.billing_mode) == ("Typed", "", False, BillingMode.RETAINER)
    assert (form.retainer_amount, form.included_hours, form.channel_id, form.client_id) == ("1000.00", "10", None, 1)
    assert json.loads(project_modal(form)["private_metadata"]) == {"project": 9}
    odd = project_form_from_state({Field.MODE: {ACTION_MODE: "weekly"}}, base)
    assert odd.billing_mode is BillingMode.HOURLY and odd.name == "Old"


def test_rates_modals_list_a_capped_number_and_say_how_many_more() -> None:
    rows = [RateRow(f"U{i:05d}", f"Person {i}", Decimal("99.50")) for i in range(LIST_LIMIT + 15)]
    view = project_rates_modal(4, "acme-web", LONG, Decimal("120"), rows)
    check_limits(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "…and 15 more" in text and "<@U00000> — 99.50/h" in text
    assert json.loads(view["private_metadata"]) == {"project": 4}
    listing = next(b for b in view["blocks"] if b.get("block_id") == BLOCK_RATES_LIST)
    assert len(listing["text"]["text"]) <= 3000
    check_limits(default_rates_modal(rows))
    assert "Nobody has a default rate yet" in json.dumps(default_rates_modal([]))


def test_rounding_and_archive_and_notice_modals() -> None:
    view = rounding_modal(RoundingRule(RoundingMode.UP, 15))
    check_limits(view)
    assert view["blocks"][1]["element"]["initial_option"]["value"] == "up:15"
    for kind in ("client", "project"):
        for archive in (True, False):
            modal = archive_modal(kind, 3, LONG, archive, active_projects=2)
            check_limits(modal)
            assert json.loads(modal["private_metadata"]) == {"kind": kind, "id": 3, "archive": archive}
    check_limits(no_clients_modal())
    assert "submit" not in notice_modal("A title that is much too long for Slack", "x")
    assert len(notice_modal("A title that is much too long for Slack", "x")["title"]["text"]) <= 24


@pytest.mark.parametrize("raw", [None, "", "x", "[1]", "12"])
def test_odd_private_metadata_reads_as_empty(raw: str | None) -> None:
    assert read_metadata({"private_metadata": raw}) == {}


# ---- the error funnel's field errors -------------------------------------------------------------------------


def test_form_errors_return_every_field_present_in_the_view() -> None:
    view = project_modal(ProjectForm(clients=(), client_count=1, billing_mode=BillingMode.RETAINER))
    error = FormErrors({Field.CODE: "bad code", Field.RATE: "bad rate", Field.INCLUDED_HOURS: "needed"})
    assert field_errors(error, view) == {Field.CODE: "bad code", Field.RATE: "bad rate",
                                         Field.INCLUDED_HOURS: "needed"}
    assert field_errors(InvalidInput("one", field=Field.CODE), view) == {Field.CODE: "one"}
    assert field_errors(NotFound("gone"), view) == {}
    # A field the modal does not show: its message moves to an input that is there, so the modal stays open.
    hourly = project_modal(ProjectForm(clients=(), client_count=1))
    moved = field_errors(FormErrors({Field.CODE: "bad code", Field.BUDGET: "Total fee is required"}), hourly)
    assert moved[Field.CODE] == "bad code" and "Total fee is required" in moved[Field.PROJECT_CLIENT]
    # No blocks known (a bare payload): passed through as they are.
    assert field_errors(FormErrors({"x": "y"}), None) == {"x": "y"}
