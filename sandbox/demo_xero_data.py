"""Demo chapter: Xero's data in Hour Cap — the first sync, the setup wizard, contact mapping (automatic, by
search, created in Xero), and a Xero webhook for a renamed contact. Every step is a signed Slack request or a real
HTTP exchange with the Xero stand-in."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER, ALICE = "U0OLIVIA", "U0ALICE"


def _selected(value: str, kind: str = "static_select") -> dict[str, Any]:
    return {"type": kind, "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


def _first_option(view: dict[str, Any], block_id: str) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    options = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
    return str(options[0]["value"])


def _latest_view(demo: Demo) -> dict[str, Any]:
    views = demo.slack_api.views
    return views[list(views)[-1]]


def _submit(demo: Demo, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    response = demo.slack.view_submission(view, values, user=OWNER)
    return response.json() if response.content else {}


def _row_lines(view: dict[str, Any]) -> list[str]:
    from bot.views.wizard import ROW_BLOCK

    rows = [b for b in view["blocks"] if str(b.get("block_id", "")).startswith(ROW_BLOCK)]
    return render_blocks(rows)


def _row_block(view: dict[str, Any], client_name: str) -> dict[str, Any]:
    from bot.views.wizard import ROW_BLOCK

    return next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith(ROW_BLOCK)
                and client_name in json.dumps(b))


def _suggest(demo: Demo, view: dict[str, Any], block_id: str, query: str) -> list[dict[str, Any]]:
    from bot.views.wizard import ACTION_CONTACT_PICK

    payload = {
        "type": "block_suggestion", "user": {"id": OWNER, "username": "olivia", "team_id": demo.slack.team_id},
        "container": {"type": "view", "view_id": view["id"]}, "api_app_id": demo.slack.app_id,
        "token": "unused", "action_id": ACTION_CONTACT_PICK, "block_id": block_id, "value": query,
        "team": {"id": demo.slack.team_id, "domain": "acme"}, "is_enterprise_install": False, "view": view,
    }
    response = demo.slack.interaction(payload)
    options: list[dict[str, Any]] = response.json().get("options", [])
    return options


def _client_ids(demo: Demo) -> dict[str, int]:
    from sqlalchemy import select

    from storage.models import Client

    with demo.runtime.db.session() as session:
        return {c.name: c.id for c in session.scalars(select(Client))}


def xero_data(demo: Demo) -> None:
    from bot.views import wizard as v
    from bot.views.catalog import ids
    from bot.views.xero import ACTION_START_SETUP
    from catalog.form_input import Field
    from xero.invoice_defaults import DefaultsField

    demo.chapter("14. Xero's data in Hour Cap: the first sync, the setup wizard, contact mapping, a webhook")
    demo.runtime.jobs.drain(20)
    xero = demo.runtime.extras["xero"]
    reads = sorted({c.path.rsplit("/", 1)[-1] for c in xero.calls if c.path.startswith("/api.xro/2.0/")})
    demo.say(f"Connecting started a sync of everything Hour Cap may read: {', '.join(reads)}.")
    published = demo.calls("views.publish")
    demo.slack.home_opened(OWNER)
    demo.wait_beyond("views.publish", published)
    home = demo.slack_api.home_view(OWNER) or {"blocks": []}
    start = next((i for i, b in enumerate(home["blocks"]) if str(b.get("text", {}).get("text", "")) == "Xero"), 0)
    for line in render_blocks(home["blocks"][start:start + 7]):
        demo.out(line)

    demo.say("Alice adds two clients whose names match contacts in Xero:")
    for name in ("Bayside Club", "City Agency"):
        opened = demo.calls("views.open")
        demo.slack.home_action(ids.ACTION_NEW_CLIENT, user=ALICE)
        demo.wait_beyond("views.open", opened)  # Bolt acks before it opens the modal
        demo.slack.view_submission(_latest_view(demo), {
            Field.CLIENT_NAME: {ids.ACTION_CLIENT_NAME: {"type": "plain_text_input", "value": name}},
            Field.CLIENT_ROUNDING: {ids.ACTION_CLIENT_ROUNDING: _selected(ids.FOLLOW_WORKSPACE)}}, user=ALICE)
        demo.say(f"  client “{name}” saved")

    demo.say("Olivia presses Start setup. Step 1, invoice defaults (choices come from the synced data):")
    opened = demo.calls("views.open")
    demo.slack.home_action(ACTION_START_SETUP, user=OWNER)
    demo.wait_beyond("views.open", opened)
    step1 = _latest_view(demo)
    for line in render_blocks(step1["blocks"]):
        demo.out(line)
    answer = _submit(demo, step1, {
        DefaultsField.ACCOUNT: {v.ACTION_ACCOUNT: _selected(_first_option(step1, DefaultsField.ACCOUNT))},
        DefaultsField.TAX: {v.ACTION_TAX: _selected(_first_option(step1, DefaultsField.TAX))},
        DefaultsField.THEME: {v.ACTION_THEME: _selected(_first_option(step1, DefaultsField.THEME))},
        DefaultsField.TERMS: {v.ACTION_TERMS: {"type": "number_input", "value": "400"}},
        DefaultsField.PREFIX: {v.ACTION_PREFIX: {"type": "plain_text_input", "value": "INV-"}},
        DefaultsField.GROUPING: {v.ACTION_GROUPING: _selected("entry", "radio_buttons")},
        DefaultsField.LINE_AMOUNTS: {v.ACTION_LINE_AMOUNTS: _selected("Exclusive", "radio_buttons")},
    })
    demo.say(f"Payment terms of 400 days are refused in the form: {answer.get('errors')}")
    answer = _submit(demo, step1, {
        DefaultsField.ACCOUNT: {v.ACTION_ACCOUNT: _selected(_first_option(step1, DefaultsField.ACCOUNT))},
        DefaultsField.TAX: {v.ACTION_TAX: _selected(_first_option(step1, DefaultsField.TAX))},
        DefaultsField.THEME: {v.ACTION_THEME: _selected(_first_option(step1, DefaultsField.THEME))},
        DefaultsField.TERMS: {v.ACTION_TERMS: {"type": "number_input", "value": "14"}},
        DefaultsField.PREFIX: {v.ACTION_PREFIX: {"type": "plain_text_input", "value": "INV-"}},
        DefaultsField.GROUPING: {v.ACTION_GROUPING: _selected("entry", "radio_buttons")},
        DefaultsField.LINE_AMOUNTS: {v.ACTION_LINE_AMOUNTS: _selected("Exclusive", "radio_buttons")},
    })
    step2 = answer["view"]
    demo.say("Step 2, tracking categories (Xero allows two per line):")
    for line in render_blocks(step2["blocks"]):
        demo.out(line)
    tracking = {}
    for block in step2["blocks"]:
        if str(block.get("block_id", "")).startswith(DefaultsField.TRACKING):
            tracking[block["block_id"]] = {v.ACTION_TRACKING: _selected(v.NOT_INCLUDED)}
    step3 = _submit(demo, {**step2, "id": step1["id"]}, tracking)["view"]
    demo.say("Step 3, contact mapping — the two new clients matched automatically by name:")
    for line in _row_lines(step3):
        demo.out(line)

    # Slack swapped the modal's content for step 3 (response_action=update) and kept its id; a new hash.
    stored = demo.slack_api.views[step1["id"]]
    view = {**step3, "id": stored["id"], "hash": stored["hash"]}
    acme_row = _row_block(step3, "Acme")
    options = _suggest(demo, view, acme_row["block_id"], "acme")
    names = [o["text"]["text"] for o in options]
    demo.say(f"Acme is linked by search: typing “acme” offers {names}; Olivia picks the first.")
    updated = demo.calls("views.update")
    demo.slack.view_action(v.ACTION_CONTACT_PICK, user=OWNER, view=view, block_id=acme_row["block_id"],
                           action_type="external_select", selected=options[0])
    demo.wait_beyond("views.update", updated)
    clients = _client_ids(demo)
    view = demo.slack_api.views[step1["id"]]
    demo.say("Globex has no contact in Xero: “Create in Xero” makes one and links it:")
    updated = demo.calls("views.update")
    demo.slack.view_action(v.ACTION_CREATE, user=OWNER, view=view, value=str(clients["Globex"]))
    demo.wait_beyond("views.update", updated)
    for _ in range(50):  # the modal says "Creating…" first, then shows the result
        view = demo.slack_api.views[step1["id"]]
        if "Creating" not in json.dumps(view):
            break
        time.sleep(0.1)
    for line in _row_lines(view):
        demo.out(line)
    done = _submit(demo, view, {})
    demo.say("Finish: " + " ".join(t for t in render_blocks(done.get("view", {}).get("blocks", []))[:1]).strip())
    opened = demo.calls("views.open")
    demo.slack.home_action(ids.ACTION_ROW_MENU, user=ALICE, value=f"{ids.EDIT_CLIENT}:{clients['Acme']}")
    demo.wait_beyond("views.open", opened)
    edit = _latest_view(demo)
    demo.say("Alice opens Edit on Acme from Home; the form says where it stands with Xero:")
    for line in render_blocks(edit["blocks"][-1:]):
        demo.out(line)

    demo.say("In Xero, someone renames “Bayside Club” to “Bayside Sports Club”; Xero's webhook tells Hour Cap:")
    bayside = next(c for c in xero.contacts(xero.tenants.demo_tenant_id) if c.name == "Bayside Club")
    xero.rename_contact(xero.tenants.demo_tenant_id, bayside.contact_id, "Bayside Sports Club")
    xero.webhooks.flush()
    for _ in range(100):
        if xero.webhooks.deliveries:
            break
        time.sleep(0.05)
        xero.webhooks.flush()
    delivery = xero.webhooks.deliveries[-1]
    events = delivery.last_sequence - delivery.first_sequence + 1
    demo.say(f"Webhook delivered (signed; {events} event{'s' if events != 1 else ''}) → HTTP {delivery.status}; "
             "one incremental contacts sync follows.")
    demo.runtime.jobs.drain(20)
    from sqlalchemy import select

    from storage.models import XeroContact

    with demo.runtime.db.session() as session:
        cached = session.scalars(select(XeroContact.name).where(XeroContact.contact_id == bayside.contact_id)).one()
    demo.say(f"Hour Cap's copy of the contact now reads “{cached}”.")
