"""The Xero setup wizard end to end: signed requests into the real web app, the Slack stand-in, a real database,
and a workspace connected to the Xero stand-in (a real token set). Synced Xero data is inserted directly (the
sync has its own tests); each step is submitted as Slack submits it and answered with the next step."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.views import wizard as v
from bot.views.xero import ACTION_CONTACT_MAPPING, ACTION_START_SETUP
from sandbox.slack import SlackSandbox
from sandbox.slack_views import validate_view
from storage.db import Database
from storage.models import (
    AuditLog,
    Client,
    Workspace,
    XeroAccount,
    XeroBrandingTheme,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from tests.support.slack_requests import SignedSlack, selected, text_value
from tests.support.workspace import ALICE, BOB, OWNER
from tests.support.xero_wizard import (
    XWorld,
    add_clients,
    add_contacts,
    latest_view,
    meet,
    open_mapping,
    row_block,
)
from xero.invoice_defaults import DefaultsField, invoice_defaults

# ---- helpers --------------------------------------------------------------------------------------------------


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def seed_xero_data(db: Database, workspace_id: int) -> None:
    """What a sync would have stored: revenue accounts, tax rates, themes, tracking."""
    with db.session() as s:
        s.add_all([
            XeroAccount(workspace_id=workspace_id, account_id="acc-200", code="200", name="Sales", tax_type="OUTPUT2"),
            XeroAccount(workspace_id=workspace_id, account_id="acc-260", code="260", name="Other Revenue"),
            XeroTaxRate(workspace_id=workspace_id, tax_type="OUTPUT2", name="15% GST on Income",
                        effective_rate=Decimal("15")),
            XeroTaxRate(workspace_id=workspace_id, tax_type="NONE", name="No GST", effective_rate=Decimal("0")),
            XeroBrandingTheme(workspace_id=workspace_id, theme_id="theme-std", name="Standard", sort_order=0),
            XeroBrandingTheme(workspace_id=workspace_id, theme_id="theme-special", name="Special", sort_order=1),
            XeroTrackingCategory(workspace_id=workspace_id, category_id="cat-region", name="Region"),
            XeroTrackingCategory(workspace_id=workspace_id, category_id="cat-dept", name="Department"),
            XeroTrackingOption(workspace_id=workspace_id, category_id="cat-region", option_id="opt-north",
                               name="North"),
            XeroTrackingOption(workspace_id=workspace_id, category_id="cat-region", option_id="opt-south",
                               name="South"),
            XeroTrackingOption(workspace_id=workspace_id, category_id="cat-region", option_id="opt-east",
                               name="East", active=False),
            XeroTrackingOption(workspace_id=workspace_id, category_id="cat-dept", option_id="opt-design",
                               name="Design"),
        ])


def submit(world: XWorld, view: dict[str, Any], values: dict[str, dict[str, Any]], *,
           user: str = OWNER) -> dict[str, Any]:
    response = world.slack.view_submission(view, values, user=user)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    return json.loads(body) if body.strip() else {}


def defaults_values(*, account: str = "260", tax: str = "NONE", theme: str = "theme-special", terms: str = "30",
                    prefix: str = "AC/", grouping: str = "project",
                    amounts: str = "Inclusive") -> dict[str, dict[str, Any]]:
    return {
        DefaultsField.ACCOUNT: {v.ACTION_ACCOUNT: selected(account)},
        DefaultsField.TAX: {v.ACTION_TAX: selected(tax)},
        DefaultsField.THEME: {v.ACTION_THEME: selected(theme)},
        DefaultsField.TERMS: {v.ACTION_TERMS: {"type": "number_input", "value": terms}},
        DefaultsField.PREFIX: {v.ACTION_PREFIX: text_value(prefix)},
        DefaultsField.GROUPING: {v.ACTION_GROUPING: selected(grouping, "radio_buttons")},
        DefaultsField.LINE_AMOUNTS: {v.ACTION_LINE_AMOUNTS: selected(amounts, "radio_buttons")},
    }


def tracking_values(**chosen: str) -> dict[str, dict[str, Any]]:
    return {DefaultsField.tracking(category): {v.ACTION_TRACKING: selected(option)}
            for category, option in chosen.items()}


def open_wizard(world: XWorld, user: str = OWNER) -> dict[str, Any]:
    """"Start setup" from the Connected DM (a message button); the step 1 modal as opened."""
    world.slack_api.reset_calls()
    assert world.slack.message_action(ACTION_START_SETUP, user=user, channel="D0OWNER").status_code == 200
    view = world.slack_api.wait_for("views.open")[0].params["view"]
    assert validate_view(view, expected_type="modal") == []
    return dict(view)


def workspace(db: Database, workspace_id: int) -> Workspace:
    with db.session() as s:
        found = s.get(Workspace, workspace_id)
        assert found is not None
        s.expunge(found)
        return found


def dm_texts(world: XWorld, user: str) -> str:
    return " ".join(str(m.get("text")) for m in world.slack_api.messages(user))


# ---- the wizard -----------------------------------------------------------------------------------------------


def test_the_wizard_completes_and_saves_what_a_push_reads(xworld: XWorld) -> None:
    meet(xworld, OWNER)
    seed_xero_data(xworld.db, xworld.workspace_id)
    clients = add_clients(xworld.db, xworld.workspace_id, "Acme Ltd", "Beta  Works", "Gamma")
    contacts = add_contacts(xworld.db, xworld.workspace_id, "ACME LTD", "beta works", "Delta")

    home = dumps(xworld.slack_api.home_view(OWNER))
    assert ACTION_START_SETUP in home and ACTION_CONTACT_MAPPING in home

    step1 = open_wizard(xworld)
    text = dumps(step1)
    assert step1["callback_id"] == v.CALLBACK_DEFAULTS and "Step 1 of 3" in text
    assert "200 — Sales" in text and "15% GST on Income (15%)" in text and "Standard" in text
    terms = next(b for b in step1["blocks"] if b.get("block_id") == DefaultsField.TERMS)
    assert terms["element"]["initial_value"] == "14"  # current values are pre-filled
    prefix = next(b for b in step1["blocks"] if b.get("block_id") == DefaultsField.PREFIX)
    assert prefix["element"]["initial_value"] == "INV-"

    answer = submit(xworld, step1, defaults_values())
    assert answer["response_action"] == "update"
    step2 = answer["view"]
    assert step2["callback_id"] == v.CALLBACK_TRACKING and validate_view(step2, expected_type="modal") == []
    assert "Region" in dumps(step2) and "East" not in dumps(step2)  # inactive options are not offered

    answer = submit(xworld, step2, tracking_values(**{"cat-region": "opt-north", "cat-dept": v.NOT_INCLUDED}))
    assert answer["response_action"] == "update"
    step3 = answer["view"]
    assert step3["callback_id"] == v.CALLBACK_CONTACTS and validate_view(step3, expected_type="modal") == []
    shown = dumps(step3)
    assert "Step 3 of 3" in shown and "3 clients" in shown and "2 auto-matched" in shown and "1 unmatched" in shown
    assert "Auto-matched" in dumps(row_block(step3, clients["Acme Ltd"]))
    assert "Unmatched" in dumps(row_block(step3, clients["Gamma"]))

    answer = submit(xworld, step3, {})
    assert answer["response_action"] == "update" and "Xero setup is done" in dumps(answer["view"])
    assert validate_view(answer["view"], expected_type="modal") == []

    ws = workspace(xworld.db, xworld.workspace_id)
    assert ws.setup_completed_at is not None
    assert (ws.xero_account_code, ws.xero_tax_type, ws.xero_branding_theme_id, ws.payment_terms_days,
            ws.invoice_prefix, ws.invoice_grouping, ws.line_amount_type) == (
        "260", "NONE", "theme-special", 30, "AC/", "project", "Inclusive")
    assert ws.xero_tracking == [{"category_id": "cat-region", "option_id": "opt-north"}]
    with xworld.db.session() as s:
        defaults = invoice_defaults(s, xworld.workspace_id)
        linked = {c.name: (c.xero_contact_id, c.xero_link_source) for c in s.scalars(select(Client))}
        actions = set(s.scalars(select(AuditLog.action)))
    assert (defaults.account_code, defaults.tax_type, defaults.branding_theme_id, defaults.payment_terms_days,
            defaults.prefix, defaults.grouping, defaults.line_amount_type, defaults.tracking) == (
        "260", "NONE", "theme-special", 30, "AC/", "project", "Inclusive",
        [{"category_id": "cat-region", "option_id": "opt-north"}])
    assert linked == {"Acme Ltd": (contacts["ACME LTD"], "auto"), "Beta  Works": (contacts["beta works"], "auto"),
                      "Gamma": (None, None)}
    assert {"xero.defaults.update", "xero.tracking_defaults.update", "xero.setup.complete",
            "xero.contacts.auto_match"} <= actions

    # Re-running: the wizard opens with the saved values.
    again = dumps(open_wizard(xworld))
    assert '"initial_value": "30"' in again and '"initial_value": "AC/"' in again
    assert '"value": "theme-special"' in again


@pytest.mark.parametrize(("field", "values", "message"), [
    (DefaultsField.TERMS, {"terms": "0"}, "from 1 to 365"),
    (DefaultsField.TERMS, {"terms": "366"}, "from 1 to 365"),
    (DefaultsField.TERMS, {"terms": "1.5"}, "whole number"),
    (DefaultsField.TERMS, {"terms": "٣٠"}, "Use the digits 0–9 for the payment terms"),  # Arabic-Indic 30
    (DefaultsField.PREFIX, {"prefix": "INV 1"}, "letters, digits"),
    (DefaultsField.PREFIX, {"prefix": "ABCDEFGHIJK"}, "at most 10"),
    (DefaultsField.PREFIX, {"prefix": "INV#"}, "letters, digits"),
    (DefaultsField.ACCOUNT, {"account": "999"}, "no longer an active revenue account"),
    (DefaultsField.TAX, {"tax": "INPUT2"}, "no longer active for sales"),
    (DefaultsField.THEME, {"theme": "theme-gone"}, "no longer in Xero"),
])
def test_every_step_one_field_error_lands_on_its_field(xworld: XWorld, field: str, values: dict[str, str],
                                                       message: str) -> None:
    meet(xworld, OWNER)
    seed_xero_data(xworld.db, xworld.workspace_id)
    step1 = open_wizard(xworld)
    answer = submit(xworld, step1, defaults_values(**values))
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [field]
    assert message in answer["errors"][field]
    ws = workspace(xworld.db, xworld.workspace_id)
    assert (ws.xero_account_code, ws.payment_terms_days, ws.invoice_prefix) == (None, 14, "INV-")  # nothing saved


def test_values_gone_from_the_synced_data_since_the_modal_opened_are_refused(xworld: XWorld) -> None:
    meet(xworld, OWNER)
    seed_xero_data(xworld.db, xworld.workspace_id)
    step1 = open_wizard(xworld)
    with xworld.db.session() as s:  # a sync ran meanwhile: account 260, NONE and the Special theme are gone
        s.execute(delete(XeroAccount).where(XeroAccount.code == "260"))
        s.execute(delete(XeroTaxRate).where(XeroTaxRate.tax_type == "NONE"))
        s.execute(delete(XeroBrandingTheme).where(XeroBrandingTheme.theme_id == "theme-special"))
    answer = submit(xworld, step1, defaults_values(terms="0", prefix="bad prefix"))
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {DefaultsField.ACCOUNT, DefaultsField.TAX, DefaultsField.THEME,
                                     DefaultsField.TERMS, DefaultsField.PREFIX}
    # Tracking: an option archived in Xero is refused on step 2.
    step2 = submit(xworld, step1, defaults_values(account="200", tax="OUTPUT2", theme="theme-std"))["view"]
    with xworld.db.session() as s:
        s.scalars(select(XeroTrackingOption).where(XeroTrackingOption.option_id == "opt-south")).one().active = False
    answer = submit(xworld, step2, tracking_values(**{"cat-region": "opt-south"}))
    assert answer["response_action"] == "errors"
    assert "no longer active in Region" in answer["errors"][DefaultsField.tracking("cat-region")]
    assert workspace(xworld.db, xworld.workspace_id).xero_tracking is None


def test_members_and_managers_cannot_run_the_setup_steps(xworld: XWorld) -> None:
    meet(xworld, OWNER, ALICE, BOB, managers=(BOB,))
    seed_xero_data(xworld.db, xworld.workspace_id)
    step1 = open_wizard(xworld)

    # Crafted submissions of every step, by a member and a manager: refused, nothing saved.
    for user in (ALICE, BOB):
        assert submit(xworld, step1, defaults_values(), user=user) == {}
        assert submit(xworld, {**step1, "callback_id": v.CALLBACK_TRACKING},
                      tracking_values(**{"cat-region": "opt-north"}), user=user) == {}
        assert submit(xworld, {**step1, "callback_id": v.CALLBACK_CONTACTS}, {}, user=user) == {}
        xworld.slack_api.wait_for("chat.postMessage")
    assert "Only admins and the owner can change invoice settings" in dm_texts(xworld, ALICE)
    assert "Only admins and the owner can change invoice settings" in dm_texts(xworld, BOB)
    ws = workspace(xworld.db, xworld.workspace_id)
    assert (ws.xero_account_code, ws.xero_tracking, ws.setup_completed_at) == (None, None, None)

    # The button: a member gets the refusal, no modal.
    xworld.slack_api.reset_calls()
    xworld.slack.message_action(ACTION_START_SETUP, user=ALICE, channel="D0ALICE")
    xworld.slack_api.wait_for("chat.postMessage")
    assert not xworld.slack_api.calls_to("views.open")

    # Managers see "Contact mapping" on Home (not the wizard), members see neither.
    xworld.slack.home_opened(BOB)
    xworld.slack.home_opened(ALICE)
    xworld.slack_api.wait_for("views.publish", 2)
    assert ACTION_CONTACT_MAPPING in dumps(xworld.slack_api.home_view(BOB))
    assert ACTION_START_SETUP not in dumps(xworld.slack_api.home_view(BOB))
    assert ACTION_CONTACT_MAPPING not in dumps(xworld.slack_api.home_view(ALICE))


def test_a_manager_maps_contacts_on_paged_lists(xworld: XWorld) -> None:
    meet(xworld, OWNER, ALICE, BOB, managers=(BOB,))
    names = [f"Client {i:03d}" for i in range(60)]
    clients = add_clients(xworld.db, xworld.workspace_id, *names)
    contacts = add_contacts(xworld.db, xworld.workspace_id, "Client 000", "Zeta Holdings")

    view = open_mapping(xworld, BOB)
    assert view["title"]["text"] == "Contact mapping" and not view.get("submit")
    text = dumps(view)
    assert "60 clients" in text and "Clients 1–25 of 60" in text and "page 1 of 3" in text
    assert len(view["blocks"]) <= 100

    # Next page, through the pager button.
    pager = next(b for b in view["blocks"] if b.get("block_id") == "wiz_pager")
    xworld.slack_api.reset_calls()
    xworld.slack.view_action(v.ACTION_PAGE_NEXT, user=BOB, view=view, block_id=pager["block_id"],
                             value=pager["elements"][0]["value"])
    xworld.slack_api.wait_for("views.update")
    view = latest_view(xworld)
    assert "Clients 26–50 of 60" in dumps(view) and validate_view(view) == []

    # Pick a contact for Client 030 in its row's type-ahead.
    target = clients["Client 030"]
    row = row_block(view, target)
    xworld.slack_api.reset_calls()
    xworld.slack.view_action(v.ACTION_CONTACT_PICK, user=BOB, view=view, block_id=row["block_id"],
                             action_type="external_select",
                             selected={"value": contacts["Zeta Holdings"],
                                       "text": {"type": "plain_text", "text": "Zeta Holdings"}})
    xworld.slack_api.wait_for("views.update")
    view = latest_view(xworld)
    assert "Linked by hand" in dumps(row_block(view, target)) and "page 2 of 3" in dumps(view)
    with xworld.db.session() as s:
        client = s.get(Client, target)
        assert client is not None
        assert (client.xero_contact_id, client.xero_contact_name, client.xero_link_source) == (
            contacts["Zeta Holdings"], "Zeta Holdings", "manual")

    # A member's crafted pick is refused; the link stays.
    xworld.slack_api.reset_calls()
    xworld.slack.view_action(v.ACTION_CONTACT_PICK, user=ALICE, view=view, block_id=row["block_id"],
                             action_type="external_select",
                             selected={"value": contacts["Client 000"], "text": {"type": "plain_text", "text": "x"}})
    xworld.slack_api.wait_for("chat.postMessage")
    assert "Only managers, admins and the owner" in dm_texts(xworld, ALICE)
    with xworld.db.session() as s:
        client = s.get(Client, target)
        assert client is not None and client.xero_contact_id == contacts["Zeta Holdings"]

    # Unlink: the row says so, and automatic matching leaves it alone afterwards.
    view = latest_view(xworld)
    xworld.slack_api.reset_calls()
    xworld.slack.view_action(v.ACTION_UNLINK, user=BOB, view=view, block_id=f"{v.ROW_BUTTONS}{target}",
                             value=str(target))
    xworld.slack_api.wait_for("views.update")
    assert "Unlinked by hand" in dumps(row_block(latest_view(xworld), target))


def test_the_wizard_needs_a_connection(slack: SignedSlack, slack_api: SlackSandbox) -> None:
    slack.home_opened(OWNER)
    slack_api.wait_for("views.publish")
    slack_api.reset_calls()
    slack.message_action(ACTION_START_SETUP, user=OWNER, channel="D0OWNER")
    message = slack_api.wait_for("chat.postMessage")[-1]
    assert "Xero is not connected" in str(message.params.get("text"))
    assert not slack_api.calls_to("views.open")
