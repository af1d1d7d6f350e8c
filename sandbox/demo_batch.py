"""Demo chapter: month-end — one draft per client for last month, pushed to Xero together (up to 50 a request)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

ALICE, BOB = "U0ALICE", "U0BOB"
CHANNEL = "C0GENERAL"


def month_end(demo: Demo) -> None:
    from bot.views.catalog import ids
    from bot.views.invoice_batch import ACTION_OPEN
    from sandbox.demo_catalog import _client_option, _open_from_home, _project, _submit

    demo.chapter("17. Month-end: Alice invoices every client for last month in one go")
    view = _open_from_home(demo, ids.ACTION_NEW_PROJECT)
    _submit(demo, view, _project(_client_option(view, "Bayside Club"), "Club website", "bay-web", "110"))
    view = _open_from_home(demo, ids.ACTION_NEW_PROJECT)
    _submit(demo, view, _project(_client_option(view, "City Agency"), "Campaign", "city-camp", "130"))
    first = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    for text in (f"3 bay-web {first + timedelta(days=10)} Member area", f"2.5 city-camp {first + timedelta(days=11)} "
                 "Landing pages", f"1 city-camp {first + timedelta(days=12)} Copy review"):
        answer = demo.slack.command(text, user=BOB, channel=CHANNEL).json()
        demo.say(f"Bob: /hours {text} → {str(answer.get('text', ''))[:70]}")
    puts_before = _invoice_puts(demo)
    opened = demo.calls("views.update")
    demo.slack.home_action(ACTION_OPEN, user=ALICE)
    demo.wait_beyond("views.update", opened)
    view_id = demo.slack_api.calls_to("views.update")[-1].params["view_id"]
    view = demo.slack_api.views[view_id]
    demo.say("Home → “Invoice every client for …”: the confirmation lists each client and the skipped ones:")
    for line in render_blocks(view.get("blocks") or []):
        demo.out(line)
    posted = demo.calls("chat.postMessage")
    demo.slack.view_submission(view, {}, user=ALICE)
    dm = demo.wait_beyond("chat.postMessage", posted)[0]
    demo.say(f"DM to Alice: {dm.params.get('text', '')}")
    demo.runtime.jobs.drain(20)
    demo.say(f"Xero received them in {_invoice_puts(demo) - puts_before} request(s) (up to 50 invoices each).")


def _invoice_puts(demo: Demo) -> int:
    xero: Any = demo.runtime.extras["xero"]
    return sum(1 for c in xero.calls if c.method == "PUT" and c.path.endswith("/Invoices"))
