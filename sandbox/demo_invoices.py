"""Demo chapter: invoices from tracked time — the Create invoice modal with its live preview in every grouping, a
retainer month, and one invoice created and shown queued. Every step is a signed Slack request; the modal is
driven the way Slack drives it (dispatch actions carrying the view's state, then the submission).

Runs after the Xero chapters: Acme and Globex are linked to Xero contacts and the wizard saved the invoice
defaults, so nothing here bypasses the product."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

ALICE, BOB = "U0ALICE", "U0BOB"
CHANNEL = "C0GENERAL"


def _inputs(view: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {b["element"]["action_id"]: (b["block_id"], b["element"]) for b in view["blocks"] if b["type"] == "input"}


def _state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    if element["type"] == "datepicker":
        return {"type": "datepicker", "selected_date": value}
    if element["type"] == "plain_text_input":
        return {"type": "plain_text_input", "value": value}
    return {"type": element["type"], "selected_option": None if value is None else
            {"value": value, "text": {"type": "plain_text", "text": str(value)}}}


def _values(view: dict[str, Any], **picks: Any) -> dict[str, dict[str, Any]]:
    """view.state.values as Slack sends them: what the modal shows, with `picks` (by action id) changed."""
    found = {}
    for action_id, (block_id, element) in _inputs(view).items():
        initial = element.get("initial_date") or element.get("initial_value") or (
            element.get("initial_option") or {}).get("value")
        found[block_id] = {action_id: _state(element, picks.get(action_id, initial))}
    return found


def _pick(demo: Demo, view: dict[str, Any], action_id: str, value: Any) -> dict[str, Any]:
    before = len(demo.slack_api.calls_to("views.update"))
    state = _values(view, **{action_id: value})
    block_id, element = _inputs(view)[action_id]
    action = {"action_id": action_id, "block_id": block_id, "type": element["type"], **state[block_id][action_id]}
    demo.slack.interaction({
        "type": "block_actions", "team": {"id": demo.slack.team_id, "domain": "acme"},
        "user": {"id": ALICE, "username": "alice", "team_id": demo.slack.team_id}, "api_app_id": demo.slack.app_id,
        "token": "unused", "container": {"type": "view", "view_id": view["id"]}, "trigger_id": f"t.{time.time()}",
        "is_enterprise_install": False, "view": {**view, "state": {"values": state}}, "actions": [action],
    })
    demo.slack_api.wait_for("views.update", before + 1, timeout=10)
    return demo.slack_api.views[view["id"]]


def _show_preview(demo: Demo, view: dict[str, Any]) -> None:
    start = next(i for i, b in enumerate(view["blocks"]) if b["type"] == "header")
    for line in render_blocks(view["blocks"][start + 1:]):
        demo.out(line)


def invoices(demo: Demo) -> None:
    from bot.views import invoice_modal as v

    demo.chapter("15. Invoices: the Create invoice modal, a live preview in every grouping and mode, one created")
    last_day = date.today().replace(day=1) - timedelta(days=1)
    first = last_day.replace(day=1)
    demo.say(f"Last month ({first:%B %Y}), Bob and Alice logged time for Acme and Globex:")
    for user, text in ((BOB, f"2 acme-web {first + timedelta(days=2)} Homepage build"),
                       (BOB, f"1h40m acme-web {first + timedelta(days=3)} homepage build"),
                       (ALICE, f"45m acme-web {first + timedelta(days=3)} Design review"),
                       (BOB, f"9 glob-sup {first + timedelta(days=4)} Tickets"),
                       (BOB, f"8 glob-sup {first + timedelta(days=5)} On call"),
                       (BOB, f"8 glob-sup {first + timedelta(days=6)} On call"),
                       (BOB, f"8 glob-sup {first + timedelta(days=7)} Migration"),
                       (BOB, f"9 glob-sup {first + timedelta(days=8)} Migration")):
        response = demo.slack.command(text, user=user, channel=CHANNEL)
        demo.say(f"  /hours {text} → {str(response.json().get('text', ''))[:90]}")

    demo.say("Alice types /hours invoice: a loading view opens at once, then the modal replaces it.")
    demo.slack.command("invoice", user=ALICE, channel=CHANNEL)
    view_id = demo.wait("views.update")[0].params["view_id"]
    view = demo.slack_api.views[view_id]
    clients = [o["text"]["text"] for o in _inputs(view)[v.ACTION_CLIENT][1].get("options", [])]
    demo.say(f"Clients offered (linked to Xero only): {clients}")
    acme = next(o["value"] for o in _inputs(view)[v.ACTION_CLIENT][1]["options"] if o["text"]["text"] == "Acme")
    view = _pick(demo, view, v.ACTION_CLIENT, acme)
    demo.say("Acme, last calendar month, grouped by time entry (the workspace default):")
    _show_preview(demo, view)
    for grouping in ("project", "date", "member"):
        view = _pick(demo, view, v.ACTION_GROUPING, grouping)
        demo.say(f"Grouping → {grouping}:")
        _show_preview(demo, view)

    demo.say("Mode → Retainer month, Globex's support retainer for last month:")
    globex = next(o["value"] for o in _inputs(view)[v.ACTION_CLIENT][1]["options"] if o["text"]["text"] == "Globex")
    retainer_view = _pick(demo, view, v.ACTION_CLIENT, globex)
    retainer_view = _pick(demo, retainer_view, v.ACTION_MODE, "retainer")
    options = _inputs(retainer_view)[v.ACTION_RETAINER_PROJECT][1]["options"]
    retainer_view = _pick(demo, retainer_view, v.ACTION_RETAINER_PROJECT, options[0]["value"])
    retainer_view = _pick(demo, retainer_view, v.ACTION_MONTH, first.strftime("%Y-%m"))
    _show_preview(demo, retainer_view)

    demo.say("Mode → Fixed budget: Globex has no fixed-budget project, so there is nothing to pick:")
    budget_view = _pick(demo, retainer_view, v.ACTION_MODE, "fixed_budget")
    answer = demo.slack.view_submission(budget_view, _values(budget_view), user=ALICE).json()
    demo.say(f"Submitting anyway shows field errors: {answer.get('errors')}")

    demo.say("Back to Acme's time, by project; Alice presses Create invoice. The modal closes at once:")
    view = _pick(demo, budget_view, v.ACTION_CLIENT, acme)
    view = _pick(demo, view, v.ACTION_MODE, "time")
    view = _pick(demo, view, v.ACTION_GROUPING, "project")
    response = demo.slack.view_submission(view, _values(view), user=ALICE)
    demo.say(f"→ HTTP {response.status_code}, {response.text or 'empty body (the modal closes)'}")
    calls = demo.wait("chat.postMessage")
    while not any(c.params["channel"] == CHANNEL for c in calls):  # a DM meanwhile (a budget alert) is not it
        calls = demo.wait("chat.postMessage", len(calls) + 1)
    posted = next(c for c in calls if c.params["channel"] == CHANNEL)
    where = "#general" if posted.params["channel"] == CHANNEL else str(posted.params["channel"])
    demo.say(f"Status message in {where}: “{posted.params['text']}” (its ts is kept; the push worker edits it).")
    demo.wait("views.publish")
    home = demo.slack_api.home_view(ALICE) or {"blocks": []}
    start = next((i for i, b in enumerate(home["blocks"]) if b.get("block_id") == "invoice_buttons"), 0)
    demo.say("Alice's Home lists the invoice:")
    for line in render_blocks(home["blocks"][start:start + 3]):  # the buttons, the filter, the newest invoice
        demo.out(line)
    _busy_client(demo, acme, first)


BUSY_ENTRIES = 2000


def _busy_client(demo: Demo, acme: str, last_month: date) -> None:
    """A client with thousands of uninvoiced entries previews as fast as a few: the modal lists the first lines
    and the database sums the rest (invoicing/summary.py). The entries are dated the month before last, so the
    month-end chapter (last month) is unchanged; nothing is created from them."""
    from sqlalchemy import insert, select

    from bot.views import invoice_modal as v
    from storage.models import Member, Project, TimeEntry

    month = (last_month - timedelta(days=1)).replace(day=1)
    with demo.runtime.db.session() as session:
        project = session.scalars(select(Project).where(Project.code == "acme-web")).one()
        people = session.scalars(select(Member).where(Member.slack_user_id.in_([ALICE, BOB]))).all()
        session.execute(insert(TimeEntry), [
            {"workspace_id": project.workspace_id, "member_id": people[n % len(people)].id, "project_id": project.id,
             "work_date": month + timedelta(days=n % 28), "minutes": 15 + (n * 7) % 120, "billable": True,
             "description": f"Sprint task {n % 40}", "hourly_rate": project.hourly_rate, "source": "text"}
            for n in range(BUSY_ENTRIES)])
    demo.say(f"A busy client: {BUSY_ENTRIES:,} more Acme entries dated {month:%B %Y} (a team's month, stored "
             "directly). Alice opens the form again and widens the range to start on the 1st of that month:")
    seen = demo.calls("views.update")
    demo.slack.command("invoice", user=ALICE, channel=CHANNEL)
    view_id = demo.wait_beyond("views.update", seen)[0].params["view_id"]  # this new modal's (then read it)
    view = demo.slack_api.views[view_id]
    view = _pick(demo, view, v.ACTION_CLIENT, acme)
    view = _pick(demo, view, v.ACTION_START, month.isoformat())
    started = time.perf_counter()
    view = _pick(demo, view, v.ACTION_GROUPING, "entry")
    took = (time.perf_counter() - started) * 1000
    shown = render_blocks(view["blocks"])
    amounts = [i for i, line in enumerate(shown) if " × " in line]  # each line: its description, then this
    demo.say(f"Grouping → entry: the preview came back in {took:.0f} ms (request, ack, preview, views.update) "
             f"and lists the first {len(amounts)} lines:")
    for line in [*shown[amounts[0] - 1:amounts[1] + 1], "    …",
                 *[x for x in shown if "more line" in x or "Subtotal" in x or " entries" in x]]:
        demo.out(line)
    demo.say("Totals and counts cover every entry; creating it would build and save every line.")
