"""Demo chapter: a manager sets up clients and projects from App Home, through the same modals people use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

ALICE, BOB = "U0ALICE", "U0BOB"


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _selected(value: str, kind: str = "static_select") -> dict[str, Any]:
    return {"type": kind, "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}


def _open_from_home(demo: Demo, action: str, user: str = ALICE) -> dict[str, Any]:
    opened = len(demo.slack_api.calls_to("views.open"))
    demo.slack.home_action(action, user=user)
    demo.slack_api.wait_for("views.open", opened + 1, timeout=10)  # Bolt acks before the modal opens
    views = demo.slack_api.views
    return views[list(views)[-1]]


def _submit(demo: Demo, view: dict[str, Any], values: dict[str, dict[str, Any]], user: str = ALICE) -> Any:
    response = demo.slack.view_submission(view, values, user=user)
    return response.json() if response.content else {}


def _client_option(view: dict[str, Any], name: str) -> str:
    from catalog.form_input import Field

    block = next(b for b in view["blocks"] if b.get("block_id") == Field.PROJECT_CLIENT)
    return str(next(o["value"] for o in block["element"]["options"] if o["text"]["text"].startswith(name)))


def _project(client: str, name: str, code: str, rate: str, mode: str = "hourly",
             channel: str | None = None, **extra: str) -> dict[str, dict[str, Any]]:
    from bot.views.catalog import ids
    from catalog.form_input import Field

    values: dict[str, dict[str, Any]] = {
        Field.PROJECT_CLIENT: {ids.ACTION_PROJECT_CLIENT: _selected(client)},
        Field.PROJECT_NAME: {ids.ACTION_PROJECT_NAME: _text(name)},
        Field.CODE: {ids.ACTION_CODE: _text(code)},
        Field.RATE: {ids.ACTION_RATE: _text(rate)},
        Field.BILLABLE: {ids.ACTION_BILLABLE: {"type": "checkboxes",
                                               "selected_options": [{"value": ids.BILLABLE_VALUE}]}},
        Field.MODE: {ids.ACTION_MODE: _selected(mode, "radio_buttons")},
        Field.CHANNEL: {ids.ACTION_CHANNEL: {"type": "conversations_select", "selected_conversation": channel}},
    }
    fields = {"retainer": (Field.RETAINER_AMOUNT, ids.ACTION_RETAINER_AMOUNT),
              "included": (Field.INCLUDED_HOURS, ids.ACTION_INCLUDED_HOURS),
              "overage": (Field.OVERAGE_RATE, ids.ACTION_OVERAGE_RATE)}
    for key, value in extra.items():
        block, action = fields[key]
        values[block] = {action: _text(value)}
    return values


def catalog(demo: Demo) -> None:
    from bot.views.catalog import ids
    from catalog.form_input import Field

    demo.chapter("6. Alice, now a manager, creates clients and projects from the Home tab")
    for name in ("Acme", "Globex"):
        view = _open_from_home(demo, ids.ACTION_NEW_CLIENT)
        _submit(demo, view, {Field.CLIENT_NAME: {ids.ACTION_CLIENT_NAME: _text(name)},
                             Field.CLIENT_ROUNDING: {ids.ACTION_CLIENT_ROUNDING: _selected(ids.FOLLOW_WORKSPACE)}})
        demo.say(f"New client → “{name}” saved")

    view = _open_from_home(demo, ids.ACTION_NEW_PROJECT)
    demo.say("New project → the form:")
    for line in render_blocks(view.get("blocks") or []):
        demo.out(line)
    acme, globex = _client_option(view, "Acme"), _client_option(view, "Globex")
    answer = _submit(demo, view, _project(acme, "Website", "acme web!", "120"))
    demo.say(f"A code with spaces is refused in the form: {answer.get('errors')}")
    _submit(demo, view, _project(acme, "Website", "acme-web", "120", channel="C0ACMEWEB"))
    demo.say("Acme — Website saved: code acme-web, 120/h, linked to #acme-web")

    view = _open_from_home(demo, ids.ACTION_NEW_PROJECT)
    demo.slack.view_action(ids.ACTION_MODE, user=ALICE, view=view, block_id=Field.MODE, action_type="radio_buttons",
                           selected={"value": "retainer", "text": {"type": "plain_text", "text": "Retainer"}})
    demo.wait("views.update")
    view = demo.slack_api.views[view["id"]]
    demo.say("Billing mode → Retainer: the form grows the retainer fields")
    _submit(demo, view, _project(globex, "Support retainer", "glob-sup", "95", mode="retainer", retainer="3000",
                                 included="40", overage="110"))
    demo.say("Globex — Support retainer saved: 3,000/month for 40 h, overage 110/h")

    demo.say("Bob, a member, presses the same button with a crafted request — refused:")
    demo.slack.home_action(ids.ACTION_NEW_PROJECT, user=BOB)
    demo.wait("chat.postMessage")
    demo.show_dm(BOB)
    demo.say("Alice's Home now shows the catalog:")
    published = demo.calls("views.publish")
    demo.slack.home_opened(ALICE)
    demo.wait_beyond("views.publish", published)
    home = demo.slack_api.home_view(ALICE) or {"blocks": []}
    start = next((i for i, b in enumerate(home["blocks"]) if "Clients" in str(b.get("text", ""))), 0)
    for line in render_blocks(home["blocks"][start:start + 14]):
        demo.out(line)
