"""Demo chapter: timesheet approval — Olivia turns approvals on and invoices approved time only; Bob submits his
week, Alice sends it back with a note, Bob fixes an entry and resubmits, Alice approves; an edit of an approved
entry is refused; Alice's invoice preview says it left out Carol's unapproved time."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.demo_invoices import _inputs, _pick
from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER, ALICE, BOB, CAROL = "U0OLIVIA", "U0ALICE", "U0BOB", "U0CAROL"
CHANNEL = "C0GENERAL"


def _button(blocks: list[dict[str, Any]], action_id: str, contains: str = "") -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id and contains in str(
                    element.get("value", "")):
                return str(element.get("value", ""))
    raise LookupError(action_id)


def _home_select(demo: Demo, user: str, action: dict[str, Any]) -> None:
    from bot.views.approvals import BLOCK_SETTINGS

    seen = demo.calls("views.publish")
    demo.slack.interaction({
        "type": "block_actions", "team": {"id": demo.slack.team_id, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": demo.slack.team_id},
        "api_app_id": demo.slack.app_id, "token": "unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": f"t.{time.time()}", "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": demo.slack.team_id, "hash": "h",
                 "state": {"values": {}}, "blocks": []},
        "actions": [{"block_id": BLOCK_SETTINGS, "action_ts": f"{time.time():.6f}", **action}],
    })
    demo.wait_beyond("views.publish", seen)


def _select(value: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": value}}


def _press(demo: Demo, user: str, action_id: str, value: str) -> dict[str, Any]:
    """A button on a message; returns what replaced the message (the response_url post)."""
    seen = demo.calls("response_url")
    demo.slack.message_action(action_id, user=user, value=value)
    return dict(demo.wait_beyond("response_url", seen)[0].params)


def _latest_dm(demo: Demo, user: str, seen: int) -> dict[str, Any]:
    calls = demo.wait_beyond("chat.postMessage", seen)
    while not any(c.params.get("channel") == user for c in calls):
        calls = demo.wait_beyond("chat.postMessage", seen, len(calls) + 1)
    return dict(next(c for c in reversed(calls) if c.params.get("channel") == user).params)


def _form_state(view: dict[str, Any], **changes: str) -> dict[str, dict[str, Any]]:
    """The Log time form's state as Slack sends it: what it shows, with `changes` (by block id) typed in."""
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind, block_id = element["type"], block["block_id"]
        if kind == "datepicker":
            state: dict[str, Any] = {"type": kind, "selected_date": element.get("initial_date")}
        elif kind == "plain_text_input":
            state = {"type": kind, "value": changes.get(block_id, element.get("initial_value", ""))}
        elif kind == "checkboxes":
            state = {"type": kind, "selected_options": element.get("initial_options", [])}
        else:
            state = {"type": kind, "selected_option": element.get("initial_option")}
        values[block_id] = {element["action_id"]: state}
    return values


def approvals(demo: Demo) -> None:
    from bot.views import invoice_modal as v
    from bot.views.approvals import (
        ACTION_APPROVALS,
        ACTION_APPROVE,
        ACTION_APPROVED_ONLY,
        ACTION_NOTE,
        ACTION_SEND_BACK,
        ACTION_SUBMIT,
        ACTION_SUBMIT_PREVIEW,
        BLOCK_NOTE,
    )
    from bot.views.hours import ACTION_EDIT

    demo.chapter("22. Timesheet approval: submit, send back with a note, fix, resubmit, approve; approved time is "
                 "locked and invoices take only approved time")
    _home_select(demo, OWNER, {"type": "static_select", "action_id": ACTION_APPROVALS,
                               "selected_option": _select("on")})
    _home_select(demo, OWNER, {"type": "static_select", "action_id": ACTION_APPROVED_ONLY,
                               "selected_option": _select("approved")})
    demo.say("Olivia turns timesheet approval on and picks “Invoice approved time only” on Home.")
    demo.slack_api.add_user(CAROL, team_id=demo.slack.team_id, name="carol", real_name="Carol Chen",
                            tz="Europe/London")
    for user, text in ((BOB, "2 acme-web Homepage build"), (BOB, "1 glob-sup Tickets"),
                       (CAROL, "3 acme-web Copywriting")):
        response = demo.slack.command(text, user=user, channel=CHANNEL)
        answer = response.json() if response.content else {"text": f"HTTP {response.status_code}"}
        demo.say(f"  {'Bob' if user == BOB else 'Carol'}: /hours {text} → {str(answer.get('text', ''))[:80]}")

    week = demo.slack.command("week", user=BOB, channel=CHANNEL).json()
    confirm = _press(demo, BOB, ACTION_SUBMIT_PREVIEW, _button(week["blocks"], ACTION_SUBMIT_PREVIEW))
    demo.say("Bob presses Submit week under /hours week; the week's totals ask him to confirm:")
    for line in render_blocks(confirm["blocks"]):
        demo.out(line)
    seen = demo.calls("chat.postMessage")
    submitted = _press(demo, BOB, ACTION_SUBMIT, _button(confirm["blocks"], ACTION_SUBMIT))
    demo.say(f"→ {submitted['text']}")
    waiting = demo.slack.command("week", user=BOB, channel=CHANNEL).json()
    demo.say("Bob's /hours week while it waits: each entry says why it can't change, with no Edit or Delete:")
    for line in render_blocks(waiting["blocks"]):
        if ":lock:" in line:
            demo.out(line)
    review = _latest_dm(demo, ALICE, seen)
    demo.say("Alice's review message (Olivia gets one too):")
    for line in render_blocks(review["blocks"]):
        demo.out(line)

    submission = _button(review["blocks"], ACTION_APPROVE)
    opened = demo.calls("views.open")
    demo.slack.message_action(ACTION_SEND_BACK, user=ALICE, value=submission)
    modal = demo.wait_beyond("views.open", opened)[0].params["view"]
    seen = demo.calls("chat.postMessage")
    note = "Homepage build was 1.5 h, not 2"
    response = demo.slack.view_submission(modal, {BLOCK_NOTE: {ACTION_NOTE: {"type": "plain_text_input",
                                                                             "value": note}}}, user=ALICE)
    demo.say(f"Alice presses Send back and writes “{note}” → HTTP {response.status_code} (the modal closes)")
    demo.say(f"Bob's DM: {_latest_dm(demo, BOB, seen)['text']}")

    week = demo.slack.command("week", user=BOB, channel=CHANNEL).json()
    entry_value = _homepage_edit_value(week["blocks"], ACTION_EDIT)
    opened = demo.calls("views.open")
    demo.slack.message_action(ACTION_EDIT, user=BOB, value=entry_value)
    form = demo.wait_beyond("views.open", opened)[0].params["view"]
    seen_responses = demo.calls("response_url")
    demo.slack.view_submission(form, _form_state(form, duration="1.5"), user=BOB)
    saved = demo.wait_beyond("response_url", seen_responses)[0].params
    demo.say(f"Bob edits the entry (the week is editable again): {str(saved.get('text', ''))[:90]}")

    confirm = demo.slack.command("submit", user=BOB, channel=CHANNEL).json()
    seen = demo.calls("chat.postMessage")
    resubmitted = _press(demo, BOB, ACTION_SUBMIT, _button(confirm["blocks"], ACTION_SUBMIT))
    demo.say(f"Bob resubmits with /hours submit → {resubmitted['text']}")
    review = _latest_dm(demo, ALICE, seen)
    seen = demo.calls("chat.postMessage")
    decided = _press(demo, ALICE, ACTION_APPROVE, _button(review["blocks"], ACTION_APPROVE))
    demo.say("Alice presses Approve; her review message now reads:")
    for line in render_blocks(decided["blocks"][-3:]):
        demo.out(line)
    demo.say(f"Bob's DM: {_latest_dm(demo, BOB, seen)['text']}")
    olivia_copy = demo.slack_api.messages(OWNER)[-1]
    demo.say("Olivia's copy of the review message says so too, with no Approve or Send back left:")
    for line in render_blocks(olivia_copy["blocks"][-3:]):
        demo.out(line)
    refused = _press(demo, BOB, ACTION_EDIT, entry_value)
    demo.say(f"Bob presses Edit on the approved entry → {refused['text']}")

    monday = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    monday -= timedelta(days=monday.weekday())
    today = datetime.now(ZoneInfo("Europe/London")).date()
    demo.slack.command("invoice", user=ALICE, channel=CHANNEL)
    view_id = demo.wait("views.update")[-1].params["view_id"]
    view = demo.slack_api.views[view_id]
    acme = next(o["value"] for o in _inputs(view)[v.ACTION_CLIENT][1]["options"] if o["text"]["text"] == "Acme")
    view = _pick(demo, view, v.ACTION_CLIENT, acme)
    view = _pick(demo, view, v.ACTION_START, _iso(monday))
    view = _pick(demo, view, v.ACTION_END, _iso(today))
    shown = [line for line in render_blocks(view["blocks"]) if "Left out" in line or "lines ·" in line]
    demo.say(f"Alice's Create invoice for Acme, {monday:%a %d %b} to {today:%a %d %b} — approved time only:")
    for line in shown:
        demo.out(line)


def _iso(day: date) -> str:
    return day.isoformat()


def _homepage_edit_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    """The Edit button of the week list's "Homepage build" entry (the section just above its buttons)."""
    previous = ""
    for block in blocks:
        if block.get("type") == "actions" and "Homepage build" in previous:
            for element in block["elements"]:
                if element.get("action_id") == action_id:
                    return str(element["value"])
        previous = json.dumps(block)
        if block.get("accessory", {}).get("action_id") == action_id and "Homepage build" in previous:
            return str(block["accessory"]["value"])
    raise LookupError("Homepage build")


CHAPTERS = [approvals]
