"""The Create invoice modal end to end: signed requests into the real web app, the Slack stand-in answering the
Web API (views.open / views.update with hashes / chat.postMessage), a real database (SQLite or PostgreSQL per
TEST_DATABASE_URL). Opened from Home and from `/hours invoice`; every mode and grouping is previewed through
dispatch actions and submitted as Slack submits it. Synced Xero data is inserted directly (the sync has its own
tests); the push itself is another module's, so tests stop at "queued" and the outbox row."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from bot.views import invoice_modal as v
from bot.views.home import ACTION_CREATE_INVOICE
from invoicing.form_choices import FormChoices
from invoicing.preview import InvoiceField, InvoiceRequest
from sandbox.slack import SlackSandbox
from sandbox.slack_views import validate_view
from storage.db import Database
from storage.models import (
    BillingMode,
    Client,
    Invoice,
    InvoiceLine,
    Member,
    Outbox,
    Project,
    Role,
    TimeEntry,
    Workspace,
    XeroAccount,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from tests.support.slack_requests import SignedSlack, next_id
from tests.support.workspace import ALICE, BOB, OTHER_TEAM, OWNER, TEAM

LONDON = ZoneInfo("Europe/London")  # ALICE's and OWNER's timezone: "today" and "last month" are theirs


def today() -> date:
    return datetime.now(LONDON).date()


def last_month() -> tuple[date, date]:
    end = today().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@dataclass
class World:
    slack: SignedSlack
    api: SlackSandbox
    db: Database
    runtime: Any
    workspace_id: int
    acme: int
    globex: int
    unlinked: int
    web: int
    app: int
    retainer: int
    budget: int
    alice: int
    bob: int


@pytest.fixture
def world(slack: SignedSlack, slack_api: SlackSandbox, db: Database, runtime: Any) -> Iterator[World]:
    for user in (OWNER, ALICE, BOB):
        slack.home_opened(user)
    slack_api.wait_for("views.publish", 3)
    with db.session() as s:
        ws = s.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()
        members = {m.slack_user_id: m for m in s.scalars(select(Member).where(Member.workspace_id == ws.id))}
        members[ALICE].role = Role.MANAGER.value
        ws.xero_account_code, ws.xero_tax_type, ws.payment_terms_days = "200", "OUTPUT2", 14
        ws.invoice_prefix, ws.invoice_grouping, ws.line_amount_type = "INV-", "entry", "Exclusive"
        ws.xero_tracking = [{"category_id": "cat-region", "option_id": "opt-north"}]
        s.add_all([
            XeroAccount(workspace_id=ws.id, account_id="acc-200", code="200", name="Sales"),
            XeroAccount(workspace_id=ws.id, account_id="acc-210", code="210", name="Consulting"),
            XeroTaxRate(workspace_id=ws.id, tax_type="OUTPUT2", name="15% GST on Income",
                        effective_rate=Decimal("15")),
            XeroItem(workspace_id=ws.id, item_id="item-dev", code="DEV", name="Development",
                     sales_account_code="210"),
            XeroTrackingCategory(workspace_id=ws.id, category_id="cat-region", name="Region"),
            XeroTrackingOption(workspace_id=ws.id, category_id="cat-region", option_id="opt-north", name="North"),
            XeroTrackingOption(workspace_id=ws.id, category_id="cat-region", option_id="opt-south", name="South"),
        ])
        acme = Client(workspace_id=ws.id, name="Acme", name_key="acme", xero_contact_id="c-acme")
        globex = Client(workspace_id=ws.id, name="Globex", name_key="globex", xero_contact_id="c-globex")
        loose = Client(workspace_id=ws.id, name="Loose Ends", name_key="loose ends")
        s.add_all([acme, globex, loose])
        s.flush()

        def project(name: str, code: str, **extra: Any) -> Project:
            row = Project(workspace_id=ws.id, client_id=acme.id, name=name, code=code, code_key=code, **extra)
            s.add(row)
            s.flush()
            return row

        web = project("Website", "web", hourly_rate=Decimal("150"), xero_item_code="DEV",
                      tracking=[{"category_id": "cat-region", "option_id": "opt-south"}])
        app = project("Mobile app", "app", hourly_rate=Decimal("120"))
        retainer = project("Support", "sup", billing_mode=BillingMode.RETAINER.value,
                           retainer_amount=Decimal("3000.00"), retainer_included_minutes=600,
                           overage_rate=Decimal("100.00"))
        budget = project("Rebrand", "brand", billing_mode=BillingMode.FIXED_BUDGET.value,
                         budget_amount=Decimal("10000.00"))
        first, _last = last_month()
        alice, bob = members[ALICE], members[BOB]

        def entry(member: Member, proj: Project, day: int, minutes: int, text: str, rate: str | None) -> None:
            s.add(TimeEntry(workspace_id=ws.id, member_id=member.id, project_id=proj.id,
                            work_date=first + timedelta(days=day), minutes=minutes, description=text,
                            hourly_rate=None if rate is None else Decimal(rate)))

        entry(alice, web, 0, 90, "Homepage layout", "150")
        entry(alice, web, 0, 100, "homepage  layout", "150")  # 100 min: not a whole number of 3-minute steps
        entry(bob, web, 1, 45, "Forms", "130")  # another rate on the same project: lines split
        entry(bob, app, 2, 60, "Push notifications", "120")
        entry(alice, app, 2, 7, "Quick fix", None)  # no rate: not billed, and the preview says so
        entry(alice, retainer, 3, 540, "Support tickets", None)
        entry(bob, retainer, 4, 180, "On call", "0")
        ids = World(slack, slack_api, db, runtime, ws.id, acme.id, globex.id, loose.id, web.id, app.id,
                    retainer.id, budget.id, alice.id, bob.id)
    slack_api.reset_calls()
    yield ids


# ---- driving the modal -----------------------------------------------------------------------------------------


def _elements(view: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """{action_id: (block_id, element)} of the view's inputs."""
    return {b["element"]["action_id"]: (b["block_id"], b["element"]) for b in view["blocks"] if b["type"] == "input"}


def _state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    if kind == "plain_text_input":
        return {"type": kind, "value": value}
    return {"type": kind, "selected_option": None if value is None else {
        "value": value, "text": {"type": "plain_text", "text": str(value)}}}


def _initial(element: dict[str, Any]) -> Any:
    if element["type"] == "datepicker":
        return element.get("initial_date")
    if element["type"] == "plain_text_input":
        return element.get("initial_value")
    return (element.get("initial_option") or {}).get("value")


def values(view: dict[str, Any], **picks: Any) -> dict[str, dict[str, Any]]:
    """view.state.values as Slack would send them: what the view shows, changed by `picks` (action ids)."""
    found: dict[str, dict[str, Any]] = {}
    for action_id, (block_id, element) in _elements(view).items():
        value = picks.get(action_id, _initial(element))
        found[block_id] = {action_id: _state(element, value)}
    return found


def _updates(api: SlackSandbox) -> int:
    return len(api.calls_to("views.update"))


def current(api: SlackSandbox, view_id: str) -> dict[str, Any]:
    return api.views[view_id]


def open_from_home(w: World, user: str = ALICE) -> dict[str, Any]:
    w.api.reset_calls()
    assert w.slack.home_action(ACTION_CREATE_INVOICE, user=user).status_code == 200
    opened = w.api.wait_for("views.open")[0]
    assert opened.params["view"]["callback_id"] == v.CALLBACK_LOADING  # the loading view first
    view_id = w.api.wait_for("views.update")[0].params["view_id"]
    return current(w.api, view_id)


def pick(w: World, view: dict[str, Any], action_id: str, value: Any, user: str = ALICE) -> dict[str, Any]:
    """Change one input (a dispatch action) and return the view as the app replaced it."""
    before = _updates(w.api)
    state = values(view, **{action_id: value})
    block_id, element = _elements(view)[action_id]
    payload_view = {**view, "state": {"values": state}}
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": element["type"],
                              "action_ts": f"{time.time():.6f}"}
    action.update(state[block_id][action_id])
    w.slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": "A0HOURCAP",
        "token": "t", "container": {"type": "view", "view_id": view["id"]}, "trigger_id": next_id("trigger."),
        "is_enterprise_install": False, "view": payload_view, "actions": [action],
    })
    w.api.wait_for("views.update", before + 1)
    replaced = current(w.api, view["id"])
    assert validate_view(replaced, expected_type="modal") == []
    return replaced


def submit(w: World, view: dict[str, Any], user: str = ALICE, **picks: Any) -> dict[str, Any]:
    response = w.slack.view_submission(view, values(view, **picks), user=user)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return json.loads(body) if body.strip() else {}


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def invoices(db: Database) -> list[Invoice]:
    with db.session() as s:
        return list(s.scalars(select(Invoice).order_by(Invoice.number)))


def acme_view(w: World, user: str = ALICE) -> dict[str, Any]:
    view = open_from_home(w, user)
    assert validate_view(view, expected_type="modal") == []
    assert "Pick a client to see the invoice." in text_of(view)
    options = [o["text"]["text"] for o in _elements(view)[v.ACTION_CLIENT][1]["options"]]
    assert options == ["Acme", "Globex"]  # linked clients only
    return pick(w, view, v.ACTION_CLIENT, str(w.acme))


# ---- time entries ----------------------------------------------------------------------------------------------


def test_time_entries_in_every_grouping_then_created_from_home(world: World) -> None:
    w = world
    view = acme_view(w)
    first, last = last_month()
    start_el = _elements(view)[v.ACTION_START][1]
    assert (start_el["initial_date"], _elements(view)[v.ACTION_END][1]["initial_date"]) == (
        first.isoformat(), last.isoformat())  # default: last calendar month in the manager's timezone
    shown = text_of(view)
    # By entry (the workspace default): 90 min at 150 = 225.00; 100 min = 250.00 as quantity 1; 45 at 130 = 97.50;
    # 60 at 120 = 120.00. Subtotal 692.50, tax 15% per line: 33.75 + 37.50 + 14.63 + 18.00 = 103.88.
    assert "Homepage layout" in shown and "1h 40m at 150.00/h" in shown
    assert "Subtotal *692.50*" in shown and "Tax *103.88*" in shown and "Total 796.38" in shown
    assert "4 lines · 4 entries" in shown
    assert "had no rate when logged" in shown  # the 7-minute entry without a rate
    view = pick(w, view, v.ACTION_GROUPING, "project")
    shown = text_of(view)
    assert "Website (web)" in shown and "Mobile app (app)" in shown
    assert "Website has entries at 2 rates (150.00/h, 130.00/h)" in shown  # the group split, and why
    assert "3 lines · 4 entries" in shown
    view = pick(w, view, v.ACTION_GROUPING, "date")
    shown = text_of(view)
    assert "Homepage layout" in shown and "homepage  layout" not in shown  # de-duplicated
    view = pick(w, view, v.ACTION_GROUPING, "member")
    assert "alice" in text_of(view).lower()
    view = pick(w, view, v.ACTION_PROJECT, str(w.web))
    assert "Push notifications" not in text_of(view) and "3 entries" in text_of(view)
    view = pick(w, view, v.ACTION_PROJECT, v.ALL_PROJECTS)
    view = pick(w, view, v.ACTION_GROUPING, "project")
    w.api.reset_calls()
    assert submit(w, view) == {}  # the modal closes at once
    message = w.api.wait_for("chat.postMessage")[0]
    assert message.params["text"] == "Invoice INV-0001 for Acme queued — pushing to Xero…"
    assert message.params["channel"] == ALICE  # from Home: a DM
    w.api.wait_for("views.publish")
    home = w.api.home_view(ALICE)
    assert home is not None and "INV-0001" in text_of(home)
    [invoice] = invoices(w.db)
    assert (invoice.reference, invoice.status, invoice.mode) == ("INV-0001", "queued", "time")
    assert (invoice.subtotal, invoice.total) == (Decimal("692.50"), invoice.subtotal + invoice.tax_total)
    assert invoice.due_date == invoice.invoice_date + timedelta(days=14)
    assert invoice.settings_snapshot["rounding"] == "none" and invoice.settings_snapshot["grouping"] == "project"
    deadline = time.time() + 5
    while invoices(w.db)[0].status_message_ts is None and time.time() < deadline:
        time.sleep(0.05)
    stored = invoices(w.db)[0]
    assert stored.status_message_ts == w.api.messages(ALICE)[-1]["ts"] and stored.status_channel_id
    with w.db.session() as s:
        lines = list(s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                               .order_by(InvoiceLine.position)))
        reserved = s.scalar(select(func.count()).select_from(TimeEntry).where(TimeEntry.invoice_id == invoice.id))
        push = s.scalars(select(Outbox).where(Outbox.task == "invoice.push")).one()
    assert reserved == 4 and push.args == {"invoice_id": invoice.id}
    web_lines = [line for line in lines if line.project_id == w.web]
    assert {line.account_code for line in web_lines} == {"210"}  # the project's item's sales account
    assert {line.item_code for line in web_lines} == {"DEV"}
    assert web_lines[0].tracking == [{"Name": "Region", "Option": "South"}]  # the project's own tracking
    app_line = next(line for line in lines if line.project_id == w.app)
    assert (app_line.account_code, app_line.item_code) == ("200", None)  # the defaults
    assert app_line.tracking == [{"Name": "Region", "Option": "North"}]
    # Billed entries are gone from the next preview.
    again = acme_view(w)
    assert "Nothing to bill" in text_of(again)


def test_hours_invoice_posts_the_status_in_the_command_channel(world: World) -> None:
    w = world
    assert w.slack.command("invoice", user=ALICE).status_code == 200
    view_id = w.api.wait_for("views.update")[0].params["view_id"]
    view = pick(w, current(w.api, view_id), v.ACTION_CLIENT, str(w.acme))
    w.api.reset_calls()
    assert submit(w, view) == {}
    message = w.api.wait_for("chat.postMessage")[0]
    assert message.params["channel"] == "C0GENERAL"
    deadline = time.time() + 5
    while invoices(w.db)[0].status_message_ts is None and time.time() < deadline:
        time.sleep(0.05)
    assert invoices(w.db)[0].status_channel_id == "C0GENERAL"


def test_a_status_message_posted_after_the_push_moved_on_is_brought_up_to_date(world: World) -> None:
    """Slack answers the status message's post late; meanwhile the worker found Xero not connected and said the
    push is waiting. The message, once its place is stored, says so too (not "queued" for good)."""
    w = world
    assert w.slack.command("invoice", user=ALICE).status_code == 200
    view_id = w.api.wait_for("views.update")[0].params["view_id"]
    view = pick(w, current(w.api, view_id), v.ACTION_CLIENT, str(w.acme))
    late = w.api.hold_next("chat.postMessage", channel="C0GENERAL")
    try:
        assert submit(w, view) == {}
        assert late.reached.wait(10), "the status message was never posted"
        w.runtime.jobs.drain(10)  # the push ran: no Xero connection, so it waits
        assert invoices(w.db)[0].error_message and invoices(w.db)[0].status_message_ts is None
    finally:
        late.release()
    deadline = time.time() + 10
    while invoices(w.db)[0].status_message_ts is None and time.time() < deadline:
        time.sleep(0.05)
    w.runtime.jobs.drain(10)
    [message] = w.api.messages("C0GENERAL")
    assert message["ts"] == invoices(w.db)[0].status_message_ts
    assert "Invoice INV-0001 for Acme is waiting: Xero needs reconnecting" in message["text"]


def test_members_cannot_open_or_submit(world: World) -> None:
    w = world
    response = w.slack.command("invoice", user=BOB)
    assert "Only managers, admins and the owner can create invoices" in response.get_data(as_text=True)
    crafted = v.build_invoice_modal(v.InvoiceForm(choices=FormChoices((), 0), request=InvoiceRequest()))
    crafted["blocks"][0]["element"]["options"] = [{"text": {"type": "plain_text", "text": "Acme"},
                                                   "value": str(w.acme)}]
    answer = submit(w, crafted, user=BOB, **{v.ACTION_CLIENT: str(w.acme)})
    assert answer["response_action"] == "errors"
    assert "Only managers, admins and the owner can create invoices" in json.dumps(answer["errors"])
    assert invoices(w.db) == []


def test_field_errors_for_each_validation(world: World, db: Database) -> None:
    w = world
    view = open_from_home(w)
    answer = submit(w, view)
    assert answer["errors"] == {InvoiceField.CLIENT: "Pick the client to invoice."}
    answer = submit(w, view, **{v.ACTION_CLIENT: str(w.unlinked)})
    assert "not linked to a Xero contact" in answer["errors"][InvoiceField.CLIENT]
    with db.session() as s:  # a client of another workspace is "not found"
        other = Workspace(slack_team_id=OTHER_TEAM, name="Other Co")
        s.add(other)
        s.flush()
        foreign = Client(workspace_id=other.id, name="Foreign", name_key="foreign", xero_contact_id="c-f")
        s.add(foreign)
        s.flush()
        foreign_id = foreign.id
    answer = submit(w, view, **{v.ACTION_CLIENT: str(foreign_id)})
    assert answer["errors"][InvoiceField.CLIENT] == "That client was not found in this workspace."
    view = pick(w, view, v.ACTION_CLIENT, str(w.globex))
    assert "Nothing to bill" in text_of(view)
    answer = submit(w, view)
    assert "Nothing to bill: Globex has no uninvoiced billable time" in answer["errors"][InvoiceField.START]
    view = pick(w, view, v.ACTION_CLIENT, str(w.acme))
    first, last = last_month()
    view = pick(w, view, v.ACTION_START, last.isoformat())
    answer = submit(w, view, **{v.ACTION_END: first.isoformat()})
    assert answer["errors"][InvoiceField.END] == "The end date is before the start date."
    future = (today() + timedelta(days=3)).isoformat()
    answer = submit(w, view, **{v.ACTION_END: future})
    assert "ends in the future" in answer["errors"][InvoiceField.END]
    with db.session() as s:
        s.execute(update(Workspace).where(Workspace.id == w.workspace_id).values(xero_account_code=None))
    view = pick(w, view, v.ACTION_START, first.isoformat())
    answer = submit(w, view)
    assert "No revenue account is chosen" in answer["errors"][InvoiceField.CLIENT]
    assert "Setup wizard" in answer["errors"][InvoiceField.CLIENT]
    assert invoices(w.db) == []


def test_entries_changed_since_the_preview_shows_a_fresh_one(world: World, db: Database) -> None:
    w = world
    view = acme_view(w)
    first, _last = last_month()
    with db.session() as s:
        s.add(TimeEntry(workspace_id=w.workspace_id, member_id=w.bob, project_id=w.app, work_date=first,
                        minutes=30, description="Late entry", hourly_rate=Decimal("120")))
    answer = submit(w, view)
    assert answer["response_action"] == "update"
    assert "Entries changed since the preview" in text_of(answer["view"])
    assert "Late entry" in text_of(answer["view"])
    assert invoices(w.db) == []


# ---- retainer and fixed budget ----------------------------------------------------------------------------------


def test_retainer_month_is_billed_once(world: World) -> None:
    w = world
    view = acme_view(w)
    view = pick(w, view, v.ACTION_MODE, "retainer")
    assert validate_view(view, expected_type="modal") == []
    nothing_picked = submit(w, view)["errors"]
    assert nothing_picked[f"{InvoiceField.RETAINER_PROJECT}.{w.acme}"] == "Pick the retainer project to bill."
    assert nothing_picked[InvoiceField.MONTH] == "Pick the month to bill." and invoices(w.db) == []
    view = pick(w, view, v.ACTION_RETAINER_PROJECT, str(w.retainer))
    month = last_month()[0].strftime("%Y-%m")
    view = pick(w, view, v.ACTION_MONTH, month)
    shown = text_of(view)
    # 12 h worked of 10 included: 2 h overage at 100.00 = 200.00, plus the retainer 3,000.00.
    assert "retainer" in shown and "3,000.00" in shown and "2h × 100.00/h = *200.00*" in shown
    assert "Subtotal *3,200.00*" in shown and "2 entries" in shown
    assert submit(w, view) == {}
    [invoice] = invoices(w.db)
    assert (invoice.mode, invoice.period_project_id, invoice.period_month) == ("retainer", w.retainer,
                                                                              last_month()[0])
    again = pick(w, acme_view(w), v.ACTION_MODE, "retainer")
    again = pick(w, again, v.ACTION_RETAINER_PROJECT, str(w.retainer))
    again = pick(w, again, v.ACTION_MONTH, month)
    answer = submit(w, again)
    assert "is already billed on INV-0001" in answer["errors"][InvoiceField.MONTH]
    future = (today().replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    answer = submit(w, again, **{v.ACTION_MONTH: future})
    assert "has not started yet" in answer["errors"][InvoiceField.MONTH]


def test_fixed_budget_percent_and_amount(world: World) -> None:
    w = world
    view = pick(w, acme_view(w), v.ACTION_MODE, "fixed_budget")
    assert submit(w, view)["errors"][f"{InvoiceField.BUDGET_PROJECT}.{w.acme}"] == (
        "Pick the fixed-budget project to bill.")
    view = pick(w, view, v.ACTION_BUDGET_PROJECT, str(w.budget))
    assert "10,000.00 remains" in text_of(view)
    view = pick(w, view, v.ACTION_AMOUNT, "２５")  # fullwidth 25: never read as 25
    assert submit(w, view)["errors"] == {
        InvoiceField.AMOUNT: "Use the digits 0–9 for the percentage (for example 25 or 50)."}
    assert invoices(w.db) == []
    for odd in ("NaN", "Infinity", "1e3", "-25", "0x19"):  # Decimal() reads the first four as numbers
        view = pick(w, view, v.ACTION_AMOUNT, odd)
        assert submit(w, view)["errors"] == {InvoiceField.AMOUNT: "Enter a number, like 50 or 1250.00."}, odd
    assert invoices(w.db) == []
    view = pick(w, view, v.ACTION_AMOUNT, "25")
    assert "25% of the remaining budget" in text_of(view) and "Subtotal *2,500.00*" in text_of(view)
    assert submit(w, view) == {}
    view = pick(w, acme_view(w), v.ACTION_MODE, "fixed_budget")
    view = pick(w, view, v.ACTION_BUDGET_PROJECT, str(w.budget))
    view = pick(w, view, v.ACTION_BASIS, "amount")
    view = pick(w, view, v.ACTION_AMOUNT, "8000")
    assert "Only 7,500.00 remains" in text_of(view)
    answer = submit(w, view)
    assert answer["errors"] == {InvoiceField.AMOUNT: "Only 7,500.00 remains of this project's budget."}
    view = pick(w, view, v.ACTION_AMOUNT, "7500")
    assert "final payment" in text_of(view)
    assert submit(w, view) == {}
    assert [i.subtotal for i in invoices(w.db)] == [Decimal("2500.00"), Decimal("7500.00")]
    assert [i.reference for i in invoices(w.db)] == ["INV-0001", "INV-0002"]


# ---- limits ------------------------------------------------------------------------------------------------------


def test_5000_entries_stay_within_slack_limits(world: World, db: Database) -> None:
    w = world
    first, last = last_month()
    days = (last - first).days + 1
    with db.session() as s:
        s.execute(insert(TimeEntry), [
            {"workspace_id": w.workspace_id, "member_id": (w.alice, w.bob)[i % 2], "project_id": (w.web, w.app)[i % 2],
             "work_date": first + timedelta(days=i % days), "minutes": 10 + i % 170, "billable": True,
             "description": f"Task {i} " + "x" * (i % 300), "hourly_rate": Decimal(("150", "120", "95.5")[i % 3]),
             "source": "text", "created_at": datetime.now(LONDON), "updated_at": datetime.now(LONDON)}
            for i in range(5000)])
    view = acme_view(w)
    assert validate_view(view, expected_type="modal") == []
    assert len(view["blocks"]) <= 100
    assert "more lines (the invoice holds all 5,004)" in text_of(view)
    for grouping in ("project", "date", "member"):
        view = pick(w, view, v.ACTION_GROUPING, grouping)
        assert len(view["blocks"]) <= 100
    assert submit(w, view) == {}
    with db.session() as s:
        reserved = s.scalar(select(func.count()).select_from(TimeEntry).where(TimeEntry.invoice_id.is_not(None)))
    assert reserved == 5004


def test_more_than_100_clients_search_within_the_workspace(world: World, db: Database) -> None:
    w = world
    with db.session() as s:
        s.add_all([Client(workspace_id=w.workspace_id, name=f"Client {i:03d}", name_key=f"client {i:03d}",
                          xero_contact_id=f"c-{i}") for i in range(120)])
        other = Workspace(slack_team_id=OTHER_TEAM, name="Other Co")
        s.add(other)
        s.flush()
        s.add(Client(workspace_id=other.id, name="Client 999", name_key="client 999", xero_contact_id="c-x"))
    view = open_from_home(w)
    element = _elements(view)[v.ACTION_CLIENT][1]
    assert element["type"] == "external_select"
    response = w.slack.interaction({
        "type": "block_suggestion", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": ALICE, "username": "alice", "team_id": TEAM}, "api_app_id": "A0HOURCAP", "token": "t",
        "action_id": v.ACTION_CLIENT, "block_id": InvoiceField.CLIENT, "value": "client 99",
        "view": view, "container": {"type": "view", "view_id": view["id"]},
    })
    options = json.loads(response.get_data(as_text=True))["options"]
    assert [o["text"]["text"] for o in options] == []  # "Client 999" is another workspace's
    response = w.slack.interaction({
        "type": "block_suggestion", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": ALICE, "username": "alice", "team_id": TEAM}, "api_app_id": "A0HOURCAP", "token": "t",
        "action_id": v.ACTION_CLIENT, "block_id": InvoiceField.CLIENT, "value": "acm",
        "view": view, "container": {"type": "view", "view_id": view["id"]},
    })
    assert [o["text"]["text"] for o in json.loads(response.get_data(as_text=True))["options"]] == ["Acme"]
    view = pick(w, view, v.ACTION_CLIENT, str(w.acme))
    assert _elements(view)[v.ACTION_CLIENT][1]["initial_option"]["text"]["text"] == "Acme"
