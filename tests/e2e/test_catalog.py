"""Clients, projects, rates and rounding from App Home, end to end: signed requests into the real web app, the
Slack stand-in answering the Web API, a real database. Roles and workspaces are checked on the server."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.views.catalog import ids
from bot.views.catalog.archive import archive_modal
from bot.views.catalog.client import ClientForm, client_modal
from bot.views.catalog.project import ClientChoice, ProjectForm, project_modal
from bot.views.catalog.rates import default_rates_modal, project_rates_modal
from bot.views.catalog.rounding import rounding_modal
from bot.views.home import ACTION_APPLY_ROLE
from catalog.clients import ClientInput, create_client
from catalog.form_input import Field
from catalog.projects import ProjectInput, create_project
from catalog.rounding import NO_ROUNDING
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import AuditLog, BillingMode, Client, Member, Project, ProjectMemberRate, Workspace
from tests.support.slack_app import first_contact, team_state
from tests.support.slack_requests import SignedSlack, selected, text_value
from tests.support.workspace import ALICE, BOB, OTHER_TEAM, OWNER, STRANGER


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# ---- helpers --------------------------------------------------------------------------------------------------


def open_from_home(slack: SignedSlack, slack_api: SlackSandbox, action: str, *, user: str = OWNER,
                   value: str | None = None) -> dict[str, Any]:
    """Press a Home button (or pick an overflow option) and return the modal the app opened."""
    slack_api.reset_calls()
    assert slack.home_action(action, user=user, value=value).status_code == 200
    call = slack_api.wait_for("views.open")[0]
    view = call.params["view"]
    assert isinstance(view, dict) and view["type"] == "modal"
    return view


def pick_on_home(slack: SignedSlack, slack_api: SlackSandbox, value: str, *, user: str = OWNER) -> dict[str, Any]:
    """Pick an option of a row's overflow menu on the Home tab as last published (the payload then carries the
    Home view, its private_metadata included, like Slack's); returns the modal opened."""
    home = slack_api.home_view(user)
    assert home is not None
    row = next(b for b in home["blocks"] if value in json.dumps(b.get("accessory", {})))
    slack_api.reset_calls()
    slack.view_action(ids.ACTION_ROW_MENU, user=user, view=home, block_id=row["block_id"], action_type="overflow",
                      selected={"value": value, "text": {"type": "plain_text", "text": value}})
    return dict(slack_api.wait_for("views.open")[0].params["view"])


def submit(slack: SignedSlack, view: dict[str, Any], values: dict[str, dict[str, Any]], *,
           user: str = OWNER, team: str | None = None) -> dict[str, Any]:
    """Submit a modal; returns the JSON answer ({} when the modal just closes)."""
    response = slack.view_submission(view, values, user=user, team=team)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return json.loads(body) if body.strip() else {}


def client_values(name: str, rounding: str = ids.FOLLOW_WORKSPACE) -> dict[str, dict[str, Any]]:
    return {Field.CLIENT_NAME: {ids.ACTION_CLIENT_NAME: text_value(name)},
            Field.CLIENT_ROUNDING: {ids.ACTION_CLIENT_ROUNDING: selected(rounding)}}


def project_values(client_id: int | str, name: str, code: str, *, rate: str = "", mode: str = "hourly",
                   billable: bool = True, retainer: str | None = None, included: str | None = None,
                   overage: str | None = None, budget: str | None = None,
                   channel: str | None = None) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        Field.PROJECT_CLIENT: {ids.ACTION_PROJECT_CLIENT: selected(str(client_id))},
        Field.PROJECT_NAME: {ids.ACTION_PROJECT_NAME: text_value(name)},
        Field.CODE: {ids.ACTION_CODE: text_value(code)},
        Field.RATE: {ids.ACTION_RATE: text_value(rate)},
        Field.BILLABLE: {ids.ACTION_BILLABLE: {"type": "checkboxes", "selected_options":
                                               [{"value": ids.BILLABLE_VALUE}] if billable else []}},
        Field.MODE: {ids.ACTION_MODE: selected(mode, "radio_buttons")},
        Field.CHANNEL: {ids.ACTION_CHANNEL: {"type": "conversations_select", "selected_conversation": channel}},
    }
    for block, action, value in ((Field.RETAINER_AMOUNT, ids.ACTION_RETAINER_AMOUNT, retainer),
                                 (Field.INCLUDED_HOURS, ids.ACTION_INCLUDED_HOURS, included),
                                 (Field.OVERAGE_RATE, ids.ACTION_OVERAGE_RATE, overage),
                                 (Field.BUDGET, ids.ACTION_BUDGET, budget)):
        if value is not None:
            values[block] = {action: text_value(value)}
    return values


def rate_values(user: str | None, rate: str) -> dict[str, dict[str, Any]]:
    return {Field.MEMBER: {ids.ACTION_MEMBER: {"type": "users_select", "selected_user": user}},
            Field.MEMBER_RATE: {ids.ACTION_MEMBER_RATE: text_value(rate)}}


def home_text(slack_api: SlackSandbox, user: str = OWNER) -> str:
    home = slack_api.home_view(user)
    assert home is not None
    return dumps(home["blocks"])


def dm_text(slack_api: SlackSandbox) -> str:
    return str(slack_api.wait_for("chat.postMessage")[-1].params["text"])


def block_ids(view: dict[str, Any]) -> list[str]:
    return [block.get("block_id", "") for block in view["blocks"]]


def member_id(db: Database, user: str) -> int:
    with db.session() as s:
        return s.scalars(select(Member.id).where(Member.slack_user_id == user)).one()


def seed_client(db: Database, name: str = "Acme", user: str = OWNER) -> int:
    with db.session() as s:
        actor = s.get(Member, member_id(db, user))
        assert actor is not None
        return create_client(s, actor, ClientInput(name)).id


def seed_project(db: Database, client_id: int, code: str, **fields: Any) -> int:
    with db.session() as s:
        actor = s.get(Member, member_id(db, OWNER))
        assert actor is not None
        return create_project(s, actor, ProjectInput(client_id, fields.pop("name", code.title()), code,
                                                     **fields)).id


def projects(db: Database) -> dict[str, Project]:
    with db.session() as s:
        found = {p.code: p for p in s.scalars(select(Project))}
        s.expunge_all()
        return found


def clients(db: Database) -> dict[str, Client]:
    with db.session() as s:
        found = {c.name: c for c in s.scalars(select(Client))}
        s.expunge_all()
        return found


def audit_count(db: Database) -> int:
    with db.session() as s:
        return len(s.scalars(select(AuditLog.id)).all())


# ---- managers build the catalog through the modals ------------------------------------------------------------


def test_home_shows_the_catalog_section_to_managers_only(slack: SignedSlack, slack_api: SlackSandbox,
                                                         db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE)
    slack.home_opened(OWNER)
    slack.home_opened(ALICE)
    slack_api.wait_for("views.publish", 2)
    owner_home = home_text(slack_api, OWNER)
    assert "Clients & projects" in owner_home and ids.ACTION_NEW_CLIENT in owner_home and "No clients yet" in owner_home
    alice_home = home_text(slack_api, ALICE)
    assert "Clients & projects" not in alice_home and "catalog_" not in alice_home


def test_manager_creates_a_client_and_projects_of_each_billing_mode(slack: SignedSlack, slack_api: SlackSandbox,
                                                                    db: Database) -> None:
    first_contact(slack, slack_api, OWNER, BOB)
    # The owner makes Bob a manager; Bob does the rest.
    slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=team_state(BOB, "manager"))
    slack_api.wait_for("chat.postMessage")

    view = open_from_home(slack, slack_api, ids.ACTION_NEW_CLIENT, user=BOB)
    assert view["callback_id"] == ids.CALLBACK_CLIENT and view["title"]["text"] == "New client"
    assert Field.CLIENT_NAME in block_ids(view)
    slack_api.reset_calls()
    assert submit(slack, view, client_values("  Acme   Ltd "), user=BOB) == {}
    published = slack_api.wait_for("views.publish")[0]
    assert published.params["user_id"] == BOB
    acme = clients(db)["Acme Ltd"]
    assert (acme.rounding_mode, acme.archived) == (None, False)

    # Hourly, with a linked channel.
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT, user=BOB)
    assert view["callback_id"] == ids.CALLBACK_PROJECT
    client_select = next(b for b in view["blocks"] if b.get("block_id") == Field.PROJECT_CLIENT)["element"]
    assert [o["text"]["text"] for o in client_select["options"]] == ["Acme Ltd"]
    assert Field.RETAINER_AMOUNT not in block_ids(view) and Field.BUDGET not in block_ids(view)
    slack_api.reset_calls()
    assert submit(slack, view, project_values(acme.id, "Website", "acme-web", rate="120", channel="C0GENERAL"),
                  user=BOB) == {}
    slack_api.wait_for("views.publish")
    web = projects(db)["acme-web"]
    assert (web.client_id, web.name, web.hourly_rate, web.billing_mode) == (acme.id, "Website", Decimal("120.00"),
                                                                              BillingMode.HOURLY.value)
    assert (web.slack_channel_id, web.billable_default, web.archived) == ("C0GENERAL", True, False)

    # Retainer: choosing the mode reshapes the modal (views.update with the view's hash), then it is saved.
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT, user=BOB)
    opened = next(iter(slack_api.views.values()))
    typed = project_values(acme.id, "Support", "acme-support", mode="retainer")
    slack_api.reset_calls()
    slack.view_action(ids.ACTION_MODE, user=BOB, block_id=Field.MODE, action_type="radio_buttons",
                      selected={"value": "retainer", "text": {"type": "plain_text", "text": "Retainer"}},
                      view={**opened, "state": {"values": typed}})
    update = slack_api.wait_for("views.update")[0]
    assert update.params["view_id"] == opened["id"] and update.params["hash"] == opened["hash"]
    reshaped = update.params["view"]
    assert {Field.RETAINER_AMOUNT, Field.INCLUDED_HOURS, Field.OVERAGE_RATE} <= set(block_ids(reshaped))
    assert Field.BUDGET not in block_ids(reshaped)
    name_input = next(b for b in reshaped["blocks"] if b.get("block_id") == Field.PROJECT_NAME)["element"]
    assert name_input["initial_value"] == "Support"  # what was typed survives the reshape
    assert slack_api.views[opened["id"]]["blocks"] == reshaped["blocks"]  # the stand-in accepted it
    slack_api.reset_calls()
    values = project_values(acme.id, "Support", "acme-support", rate="150", mode="retainer", billable=False,
                            retainer="4000", included="37.5", overage="175.50")
    assert submit(slack, reshaped, values, user=BOB) == {}
    slack_api.wait_for("views.publish")
    support = projects(db)["acme-support"]
    assert (support.billing_mode, support.retainer_amount, support.retainer_included_minutes) == (
        BillingMode.RETAINER.value, Decimal("4000.00"), 2250)
    assert (support.overage_rate, support.billable_default) == (Decimal("175.50"), False)

    # Fixed budget.
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT, user=BOB)
    slack_api.reset_calls()
    assert submit(slack, view, project_values(acme.id, "Rebrand", "acme-brand", mode="fixed_budget",
                                              budget="12000.50"), user=BOB) == {}
    home = slack_api.wait_for("views.publish")[0].params["view"]
    brand = projects(db)["acme-brand"]
    assert (brand.billing_mode, brand.budget_amount, brand.hourly_rate) == (BillingMode.FIXED_BUDGET.value,
                                                                            Decimal("12000.50"), None)
    shown = dumps(home["blocks"])
    for expected in ("`acme-web` *Website*", "Hourly · 120.00/h", "<#C0GENERAL>",
                     "Retainer 4,000.00/month incl. 37.5 h", "overage 175.50/h",
                     "Fixed budget 12,000.50", "*Acme Ltd*", "3 active projects"):
        assert expected in shown, expected
    with db.session() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-4:] == ["client.create", "project.create", "project.create", "project.create"]


def test_edit_keeps_values_and_archived_flag(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    acme = seed_client(db)
    project = seed_project(db, acme, "acme-web", hourly_rate="120", billing_mode="retainer", retainer_amount="1000",
                           included_hours="10")
    view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.EDIT_PROJECT}:{project}")
    assert view["title"]["text"] == "Edit project"
    assert json.loads(view["private_metadata"])["project"] == project
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[Field.CODE]["initial_value"] == "acme-web"
    assert inputs[Field.RATE]["initial_value"] == "120.00"
    assert inputs[Field.INCLUDED_HOURS]["initial_value"] == "10"
    assert inputs[Field.MODE]["initial_option"]["value"] == "retainer"
    slack_api.reset_calls()
    assert submit(slack, view, project_values(acme, "Web site", "ACME-web", rate="130", mode="hourly")) == {}
    slack_api.wait_for("views.publish")
    stored = projects(db)["ACME-web"]
    assert (stored.name, stored.hourly_rate, stored.billing_mode, stored.retainer_amount) == (
        "Web site", Decimal("130.00"), "hourly", None)

    # Rename the client and give it its own rounding.
    view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.EDIT_CLIENT}:{acme}")
    assert view["title"]["text"] == "Edit client"
    slack_api.reset_calls()
    assert submit(slack, view, client_values("Acme Group", "nearest:6")) == {}
    slack_api.wait_for("views.publish")
    client = clients(db)["Acme Group"]
    assert (client.rounding_mode, client.rounding_minutes, client.archived) == ("nearest", 6, False)
    assert "rounding: nearest 6 minutes" in home_text(slack_api)
    assert "Not linked to a Xero contact yet" in json.dumps(view["blocks"])
    # Back to the workspace default; meanwhile the client was linked to its Xero contact (Contact mapping).
    with db.session() as session:
        linked = session.get(Client, acme)
        assert linked is not None
        linked.xero_contact_id, linked.xero_contact_name = "c-acme", "Acme Group Ltd"
    view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.EDIT_CLIENT}:{acme}")
    assert "Xero contact: *Acme Group Ltd*" in json.dumps(view["blocks"])
    options = next(b for b in view["blocks"] if b.get("block_id") == Field.CLIENT_ROUNDING)["element"]
    assert options["initial_option"]["value"] == "nearest:6"
    slack_api.reset_calls()
    assert submit(slack, view, client_values("Acme Group")) == {}
    slack_api.wait_for("views.publish")
    assert clients(db)["Acme Group"].rounding_mode is None


# ---- invalid input: field errors, nothing stored -------------------------------------------------------------


def test_invalid_values_are_field_errors_and_nothing_is_stored(slack: SignedSlack, slack_api: SlackSandbox,
                                                               db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    acme = seed_client(db)
    seed_project(db, acme, "acme-web")
    before = audit_count(db)
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT)
    slack_api.reset_calls()

    answer = submit(slack, view, project_values(acme, "Again", "ACME-WEB"))
    assert answer["response_action"] == "errors"
    assert "already used by" in answer["errors"][Field.CODE]

    # Several problems at once: every field gets its message.
    retainer_view = project_modal(ProjectForm(clients=(ClientChoice(acme, "Acme"),), client_count=1,
                                              billing_mode=BillingMode.RETAINER))
    answer = submit(slack, retainer_view, project_values(acme, "", "bad code!", rate="12.345", mode="retainer",
                                                         retainer="4000", included=""))
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {Field.PROJECT_NAME, Field.CODE, Field.RATE, Field.INCLUDED_HOURS}
    assert "2 decimal places" in answer["errors"][Field.RATE]
    assert "Included hours is required" in answer["errors"][Field.INCLUDED_HOURS]

    budget_view = project_modal(ProjectForm(clients=(ClientChoice(acme, "Acme"),), client_count=1,
                                            billing_mode=BillingMode.FIXED_BUDGET))
    answer = submit(slack, budget_view, project_values(acme, "Brand", "brand", mode="fixed_budget", budget="-5"))
    assert set(answer["errors"]) == {Field.BUDGET}
    # Submitted from a modal still showing another mode's fields: the message lands on a field that is there.
    answer = submit(slack, view, project_values(acme, "Brand", "brand", mode="fixed_budget", budget=""))
    assert answer["response_action"] == "errors" and "Total fee is required" in " ".join(answer["errors"].values())
    assert set(answer["errors"]) <= set(block_ids(view))
    answer = submit(slack, view, project_values(acme, "Brand", "brand", rate="1e3"))
    assert set(answer["errors"]) == {Field.RATE}
    answer = submit(slack, view, project_values("", "Brand", "brand"))
    assert set(answer["errors"]) == {Field.PROJECT_CLIENT}

    client_view = open_from_home(slack, slack_api, ids.ACTION_NEW_CLIENT)
    answer = submit(slack, client_view, client_values(" acme "))
    assert answer == {"response_action": "errors",
                      "errors": {Field.CLIENT_NAME: "There is already a client called “Acme”."}}
    answer = submit(slack, client_view, client_values("Globex", "up:7"))
    assert set(answer["errors"]) == {Field.CLIENT_ROUNDING}

    assert set(projects(db)) == {"acme-web"} and set(clients(db)) == {"Acme"}
    assert audit_count(db) == before
    assert slack_api.calls_to("views.publish") == []


def test_rates_typed_with_other_digits_are_field_errors_and_nothing_is_stored(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    """`１００` (fullwidth) or `١٠٠` (Arabic-Indic) would read as 100 through Python's `\\d` or `Decimal()`."""
    first_contact(slack, slack_api, OWNER)
    acme = seed_client(db)
    project = seed_project(db, acme, "acme-web", hourly_rate="100")
    before = audit_count(db)
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT)
    slack_api.reset_calls()

    answer = submit(slack, view, project_values(acme, "Brand", "brand", rate="１００"))
    assert answer == {"response_action": "errors",
                      "errors": {Field.RATE: "Use the digits 0–9 for the rate (for example 120 or 95.50)."}}

    retainer_view = project_modal(ProjectForm(clients=(ClientChoice(acme, "Acme"),), client_count=1,
                                              billing_mode=BillingMode.RETAINER))
    answer = submit(slack, retainer_view, project_values(acme, "Support", "support", mode="retainer",
                                                         retainer="٤٠٠٠", included="٤٠", overage="１７５"))
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        Field.RETAINER_AMOUNT: "Use the digits 0–9 for the monthly amount (for example 120 or 95.50).",
        Field.INCLUDED_HOURS: "Use the digits 0–9 for the included hours (for example 40 or 37.5).",
        Field.OVERAGE_RATE: "Use the digits 0–9 for the overage rate (for example 120 or 95.50).",
    }

    rates_view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.PROJECT_RATES}:{project}")
    slack_api.reset_calls()
    answer = submit(slack, rates_view, rate_values(ALICE, "١٠٠"))
    assert answer == {"response_action": "errors",
                      "errors": {Field.MEMBER_RATE: "Use the digits 0–9 for the rate (for example 120 or 95.50)."}}

    assert set(projects(db)) == {"acme-web"} and projects(db)["acme-web"].hourly_rate == Decimal("100.00")
    with db.session() as s:
        assert s.scalars(select(ProjectMemberRate)).all() == []
    assert audit_count(db) == before
    assert slack_api.calls_to("views.publish") == []


def test_new_project_without_clients_explains_what_to_do(slack: SignedSlack, slack_api: SlackSandbox,
                                                         db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT)
    assert "add a client first" in dumps(view["blocks"]) and "submit" not in view


# ---- roles and workspaces are checked on the server ----------------------------------------------------------


def test_members_crafted_buttons_and_submissions_are_refused(slack: SignedSlack, slack_api: SlackSandbox,
                                                             db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE)
    acme = seed_client(db)
    project = seed_project(db, acme, "acme-web", hourly_rate="100")
    before = audit_count(db)

    for action, value in ((ids.ACTION_NEW_CLIENT, None), (ids.ACTION_NEW_PROJECT, None), (ids.ACTION_ROUNDING, None),
                          (ids.ACTION_DEFAULT_RATES, None), (ids.ACTION_ROW_MENU, f"{ids.EDIT_PROJECT}:{project}"),
                          (ids.ACTION_ROW_MENU, f"{ids.PROJECT_RATES}:{project}"),
                          (ids.ACTION_ROW_MENU, f"{ids.ARCHIVE_CLIENT}:{acme}")):
        slack_api.reset_calls()
        slack.home_action(action, user=ALICE, value=value)
        dm = slack_api.wait_for("chat.postMessage")[0]
        assert dm.params["channel"] == ALICE
        assert "Only managers, admins and the owner can manage clients and projects" in dm.params["text"]
        assert slack_api.calls_to("views.open") == []

    # A member replays modals a manager would have seen.
    owner_view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT)
    crafted = [
        (client_modal(ClientForm(workspace_rounding=NO_ROUNDING)),
         client_values("Sneaky")),
        (owner_view, project_values(acme, "Sneaky", "sneaky")),
        ({**owner_view, "private_metadata": json.dumps({"project": project})},
         project_values(acme, "Renamed", "acme-web", rate="1")),
        (project_rates_modal(project, "acme-web", "Acme", None, []), rate_values(ALICE, "999")),
        (default_rates_modal([]), rate_values(ALICE, "999")),
        (rounding_modal(NO_ROUNDING),
         {Field.ROUNDING: {ids.ACTION_ROUNDING_RULE: selected("up:30")}}),
    ]
    for view, values in crafted:
        slack_api.reset_calls()
        assert submit(slack, view, values, user=ALICE) == {}
        assert "Only managers" in dm_text(slack_api)
    slack_api.reset_calls()
    answer = submit(slack, archive_modal("project", project, "acme-web", True), {}, user=ALICE)
    assert answer["response_action"] == "update" and "Only managers" in dumps(answer["view"])

    assert set(clients(db)) == {"Acme"}
    web = projects(db)["acme-web"]
    assert (web.name, web.hourly_rate, web.archived) == ("Acme-Web", Decimal("100.00"), False)
    with db.session() as s:
        assert s.scalars(select(ProjectMemberRate)).all() == []
        assert s.scalars(select(Member.default_rate).where(Member.default_rate.is_not(None))).all() == []
        assert s.scalars(select(Workspace.rounding_mode)).all() == ["none"] * len(s.scalars(select(Workspace)).all())
    assert audit_count(db) == before
    assert slack_api.calls_to("views.publish") == []


def test_ids_from_another_workspace_are_not_found(two_teams: SignedSlack, slack_api: SlackSandbox,
                                                  db: Database) -> None:
    slack = two_teams  # installed in both workspaces; the stranger owns Other Co's
    acme = seed_client(db)
    project = seed_project(db, acme, "acme-web")
    before = audit_count(db)

    slack_api.reset_calls()
    slack.home_action(ids.ACTION_ROW_MENU, user=STRANGER, team=OTHER_TEAM, value=f"{ids.EDIT_CLIENT}:{acme}")
    assert "no longer exists in this workspace" in dm_text(slack_api)
    assert slack_api.calls_to("views.open") == []

    slack_api.reset_calls()
    edit = project_modal(ProjectForm(clients=(), client_count=1, project_id=project))
    assert submit(slack, edit, project_values(acme, "Stolen", "stolen"), user=STRANGER, team=OTHER_TEAM) == {}
    assert "no longer exists in this workspace" in dm_text(slack_api)

    # Creating a project in their own workspace under our client: a field error on the client.
    new = project_modal(ProjectForm(clients=(), client_count=1))
    answer = submit(slack, new, project_values(acme, "Stolen", "stolen"), user=STRANGER, team=OTHER_TEAM)
    assert answer["response_action"] == "errors" and "no longer exists" in answer["errors"][Field.PROJECT_CLIENT]

    answer = submit(slack, archive_modal("client", acme, "Acme", True), {}, user=STRANGER, team=OTHER_TEAM)
    assert answer["response_action"] == "update" and "no longer exists" in dumps(answer["view"])
    slack_api.reset_calls()
    assert submit(slack, project_rates_modal(project, "x", "x", None, []), rate_values(STRANGER, "10"),
                  user=STRANGER, team=OTHER_TEAM) == {}
    assert "no longer exists" in dm_text(slack_api)

    assert projects(db)["acme-web"].name == "Acme-Web" and not clients(db)["Acme"].archived
    assert audit_count(db) == before


# ---- archive / unarchive -------------------------------------------------------------------------------------


def test_archive_and_unarchive_with_confirmation(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    acme = seed_client(db)
    web = seed_project(db, acme, "acme-web")
    seed_project(db, acme, "acme-app")

    confirm = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.ARCHIVE_CLIENT}:{acme}")
    assert confirm["callback_id"] == ids.CALLBACK_ARCHIVE and confirm["submit"]["text"] == "Archive"
    assert "2 active projects will be archived too" in dumps(confirm["blocks"])
    assert not clients(db)["Acme"].archived  # opening the confirmation changes nothing
    slack_api.reset_calls()
    assert submit(slack, confirm, {}) == {}
    slack_api.wait_for("views.publish")
    assert clients(db)["Acme"].archived and all(p.archived for p in projects(db).values())
    home = home_text(slack_api)
    assert "*Acme*" not in home and "Show all" in home and "1 archived client" in home

    # "Show all" lists archived items with Unarchive.
    slack_api.reset_calls()
    slack.home_action(ids.ACTION_SHOW, user=OWNER, value="all")
    published = slack_api.wait_for("views.publish")[0].params["view"]
    shown = dumps(published["blocks"])
    assert "*Acme*" in shown and "_archived_" in shown and f"{ids.UNARCHIVE_CLIENT}:{acme}" in shown
    assert json.loads(published["private_metadata"]) == {"page": 0, "all": True}

    # A project cannot come back before its client: said in the modal, nothing changes.
    confirm = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.UNARCHIVE_PROJECT}:{web}")
    answer = submit(slack, confirm, {})
    assert answer["response_action"] == "update" and "unarchive the client" in dumps(answer["view"])
    assert projects(db)["acme-web"].archived

    confirm = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.UNARCHIVE_CLIENT}:{acme}")
    slack_api.reset_calls()
    assert submit(slack, confirm, {}) == {}
    slack_api.wait_for("views.publish")
    slack_api.reset_calls()
    slack.home_action(ids.ACTION_SHOW, user=OWNER, value="all")
    slack_api.wait_for("views.publish")
    confirm = pick_on_home(slack, slack_api, f"{ids.UNARCHIVE_PROJECT}:{web}")
    assert json.loads(confirm["private_metadata"])["home"] == [0, True]
    slack_api.reset_calls()
    assert submit(slack, confirm, {}) == {}
    home = slack_api.wait_for("views.publish")[0].params["view"]
    assert json.loads(home["private_metadata"])["all"] is True  # Home stays on the list the manager was viewing
    state = {name: (p.archived) for name, p in projects(db).items()}
    assert state == {"acme-web": False, "acme-app": True} and not clients(db)["Acme"].archived
    with db.session() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-3:] == ["client.archive", "client.unarchive", "project.unarchive"]


# ---- rates and rounding --------------------------------------------------------------------------------------


def test_a_rate_is_only_for_an_active_person_of_the_workspace(slack: SignedSlack, slack_api: SlackSandbox,
                                                               db: Database) -> None:
    slack_api.add_user("UROBOT02", team_id="T0HOURCAP", name="robot", is_bot=True)
    slack_api.add_user("UGONE002", team_id="T0HOURCAP", name="gone", deleted=True)
    first_contact(slack, slack_api, OWNER)
    project = seed_project(db, seed_client(db), "acme-web", hourly_rate="100")
    view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.PROJECT_RATES}:{project}")
    for picked, fragment in (("UROBOT02", "is an app"), ("UGONE002", "deactivated"), (STRANGER, "couldn't tell me"),
                             ("not-an-id", "not a person Slack knows")):
        answer = submit(slack, view, rate_values(picked, "90"))
        assert answer["response_action"] == "errors" and fragment in answer["errors"][Field.MEMBER]
    with db.session() as s:
        assert s.scalars(select(ProjectMemberRate)).all() == []
        assert s.scalars(select(Member.slack_user_id).where(
            Member.slack_user_id.in_(["UROBOT02", "UGONE002", STRANGER, "not-an-id"]))).all() == []


def test_member_rates_and_default_rates(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    acme = seed_client(db)
    project = seed_project(db, acme, "acme-web", hourly_rate="100")

    view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.PROJECT_RATES}:{project}")
    assert view["callback_id"] == ids.CALLBACK_PROJECT_RATES and "No per-person rates" in dumps(view["blocks"])
    answer = submit(slack, view, rate_values(ALICE, "abc"))
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {Field.MEMBER_RATE}
    slack_api.reset_calls()
    assert submit(slack, view, rate_values(ALICE, "125,50")) == {}
    slack_api.wait_for("views.publish")
    alice = member_id(db, ALICE)  # created on first mention, from Slack's profile
    with db.session() as s:
        row = s.scalars(select(ProjectMemberRate)).one()
        assert (row.project_id, row.member_id, row.hourly_rate) == (project, alice, Decimal("125.50"))
    assert "1 member rate" in home_text(slack_api)
    view = open_from_home(slack, slack_api, ids.ACTION_ROW_MENU, value=f"{ids.PROJECT_RATES}:{project}")
    assert f"<@{ALICE}> — 125.50/h" in dumps(view["blocks"])
    # Empty removes it.
    slack_api.reset_calls()
    assert submit(slack, view, rate_values(ALICE, "")) == {}
    slack_api.wait_for("views.publish")
    with db.session() as s:
        assert s.scalars(select(ProjectMemberRate)).all() == []

    view = open_from_home(slack, slack_api, ids.ACTION_DEFAULT_RATES)
    assert view["callback_id"] == ids.CALLBACK_DEFAULT_RATES
    answer = submit(slack, view, rate_values(None, "90"))
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {Field.MEMBER}
    slack_api.reset_calls()
    assert submit(slack, view, rate_values(BOB, "90")) == {}
    slack_api.wait_for("views.publish")
    with db.session() as s:
        bob = s.scalars(select(Member).where(Member.slack_user_id == BOB)).one()
        assert bob.default_rate == Decimal("90.00")
    view = open_from_home(slack, slack_api, ids.ACTION_DEFAULT_RATES)
    assert f"<@{BOB}> — 90.00/h" in dumps(view["blocks"])


def test_workspace_rounding(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    view = open_from_home(slack, slack_api, ids.ACTION_ROUNDING)
    select_element = next(b for b in view["blocks"] if b.get("block_id") == Field.ROUNDING)["element"]
    assert select_element["initial_option"]["value"] == "none" and len(select_element["options"]) == 9
    answer = submit(slack, view, {Field.ROUNDING: {ids.ACTION_ROUNDING_RULE: selected("up:45")}})
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {Field.ROUNDING}
    slack_api.reset_calls()
    assert submit(slack, view, {Field.ROUNDING: {ids.ACTION_ROUNDING_RULE: selected("up:15")}}) == {}
    slack_api.wait_for("views.publish")
    with db.session() as s:
        workspace = s.scalars(select(Workspace).where(Workspace.slack_team_id == "T0HOURCAP")).one()
        assert (workspace.rounding_mode, workspace.rounding_minutes) == ("up", 15)
    assert "Workspace rounding: *Up to 15 minutes*" in home_text(slack_api)
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_CLIENT)
    assert "Workspace default (Up to 15 minutes)" in dumps(view["blocks"])
    slack_api.reset_calls()
    assert submit(slack, view, client_values("Globex", "up:30")) == {}
    slack_api.wait_for("views.publish")
    globex = clients(db)["Globex"]
    assert (globex.rounding_mode, globex.rounding_minutes) == ("up", 30)


# ---- a big catalog stays within Slack's limits ---------------------------------------------------------------


def test_home_with_150_projects_pages_within_100_blocks(slack: SignedSlack, slack_api: SlackSandbox,
                                                        db: Database) -> None:
    first_contact(slack, slack_api, OWNER)
    big = seed_client(db, "Big Co")
    for number in range(150):
        seed_project(db, big, f"p{number:03d}", name=f"Project {number}", hourly_rate="100")
    small = seed_client(db, "Zed Ltd")
    seed_project(db, small, "zed-web")

    slack.home_opened(OWNER)
    home = slack_api.wait_for("views.publish")[0].params["view"]
    assert len(home["blocks"]) <= 100
    shown = dumps(home["blocks"])
    assert "*2* active clients, *151* active projects" in shown
    assert "Page 1 of 4" in shown and "projects 1–39 of 151" in shown and "Next" in shown

    pages_seen = 1
    while "Next ▶" in shown:
        pager = next(b for b in home["blocks"] if b.get("block_id") == ids.BLOCK_CATALOG_PAGER)
        nxt = next(e for e in pager["elements"] if e["action_id"].endswith("_next"))
        slack_api.reset_calls()
        slack.home_action(nxt["action_id"], user=OWNER, value=nxt["value"])
        home = slack_api.wait_for("views.publish")[0].params["view"]
        assert len(home["blocks"]) <= 100
        shown = dumps(home["blocks"])
        pages_seen += 1
        assert f"Page {pages_seen} of 4" in shown
    assert "Big Co* _(continued)_" in shown and "`zed-web`" in shown and "`p149`" in shown

    # The project modal for a workspace with many clients still fits (select capped at 100, searches past it).
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT)
    assert len(view["blocks"]) <= 100


def test_client_search_past_a_hundred_clients_is_for_managers_only(slack: SignedSlack, slack_api: SlackSandbox,
                                                                   db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE)
    for number in range(101):
        seed_client(db, f"Client {number:03d}")
    view = open_from_home(slack, slack_api, ids.ACTION_NEW_PROJECT)
    select_element = next(b for b in view["blocks"] if b.get("block_id") == Field.PROJECT_CLIENT)["element"]
    assert select_element["type"] == "external_select"

    def suggest(user: str, query: str) -> list[dict[str, Any]]:
        response = slack.interaction({
            "type": "block_suggestion", "team": {"id": "T0HOURCAP", "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0HOURCAP"}, "api_app_id": "A0HOURCAP",
            "token": "verification-token-unused", "action_id": ids.ACTION_PROJECT_CLIENT,
            "block_id": Field.PROJECT_CLIENT, "value": query, "container": {"type": "view", "view_id": "V1"},
            "view": view,
        })
        assert response.status_code == 200
        return list(json.loads(response.get_data(as_text=True))["options"])

    found = suggest(OWNER, "CLIENT 10")
    assert [o["text"]["text"] for o in found] == ["Client 100"]
    assert len(suggest(OWNER, "client")) == 100  # a select holds 100 options
    assert suggest(ALICE, "client") == []
