"""Demo chapter: the push — the invoice created in chapter 15 reaches Xero as a draft (fetched back and compared
with the preview), then a push that fails (an archived contact), its alert, the fix and the Retry; last, a draft
Xero keeps with another total is flagged "check in Xero" with the difference."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER, ALICE = "U0OLIVIA", "U0ALICE"
CHANNEL = "C0GENERAL"


def _invoice(demo: Demo, reference: str | None = None) -> Any:
    from sqlalchemy import select

    from storage.models import Invoice

    with demo.runtime.db.session() as session:
        query = select(Invoice).order_by(Invoice.id.desc())
        if reference is not None:
            query = query.where(Invoice.reference == reference)
        invoice = session.scalars(query).first()
        if invoice is not None:
            session.expunge(invoice)
        return invoice


def _wait_status(demo: Demo, reference: str, *statuses: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        demo.runtime.jobs.drain(timeout)
        invoice = _invoice(demo, reference)
        if invoice is not None and invoice.status in statuses:
            return invoice
        if time.monotonic() > deadline:
            raise TimeoutError(f"{reference} is {getattr(invoice, 'status', None)}, not {statuses}")
        time.sleep(0.1)


def _message_text(demo: Demo, channel: str, ts: str | None) -> str:
    for message in demo.slack_api.messages(channel):
        if message.get("ts") == ts:
            return str(message.get("text", ""))
    return "(not found)"


def _once_it_reads(demo: Demo, read: Callable[[], str], expect: str, timeout: float = 20.0) -> str:
    """``read()`` once it contains ``expect`` (or whatever it says at the deadline). Status messages and alerts are
    posted by a handler and edited by jobs of their own, each possibly after the push itself finished."""
    deadline = time.monotonic() + timeout
    while True:
        text = read()
        if expect in text or time.monotonic() > deadline:
            return text
        demo.runtime.jobs.drain(1)
        time.sleep(0.05)


def _status_text(demo: Demo, reference: str) -> str:
    invoice = _invoice(demo, reference)
    return _message_text(demo, invoice.status_channel_id, invoice.status_message_ts)


def push(demo: Demo) -> None:
    from bot.views.invoice_status import ACTION_RETRY
    from bot.views.sync import ACTION_ALERTS_CHANNEL, BLOCK_SYNC_CONTROLS

    demo.chapter("16. The push: a draft in Xero, checked against the preview; a failure, its alert, the fix, Retry")
    xero = demo.runtime.extras["xero"]
    tenant = xero.tenants.demo_tenant_id
    first = _invoice(demo)
    invoice = _wait_status(demo, first.reference, "pushed")
    demo.say(f"The worker pushed {invoice.reference}; the status message in #general now reads:")
    demo.say(f"  “{_once_it_reads(demo, lambda: _status_text(demo, invoice.reference), 'Draft')}”")
    draft = next(d for d in xero.invoices(tenant) if d["Reference"] == invoice.reference)
    demo.say(f"Fetched back from Xero: {draft['InvoiceNumber']} ({draft['Status']}), contact "
             f"{draft['Contact']['Name']}, {len(draft['LineItems'])} line(s).")
    demo.say(f"  Hour Cap's preview: subtotal {invoice.subtotal}, tax {invoice.tax_total}, total {invoice.total}")
    demo.say(f"  Xero computed:      subtotal {draft['SubTotal']}, tax {draft['TotalTax']}, total {draft['Total']}"
             f"  → {'equal to the cent' if draft['Total'] == invoice.total else 'DIFFERENT'}")

    demo.say("Olivia picks #general as the alerts channel on Home.")
    home = demo.slack_api.home_view(OWNER) or {"id": "VHOME", "blocks": []}
    published = demo.calls("views.publish")
    demo.slack.interaction({
        "type": "block_actions", "team": {"id": demo.slack.team_id, "domain": "acme"},
        "user": {"id": OWNER, "username": "olivia", "team_id": demo.slack.team_id}, "api_app_id": demo.slack.app_id,
        "token": "unused", "container": {"type": "view", "view_id": home.get("id", "VHOME")},
        "trigger_id": f"t.{time.time()}", "is_enterprise_install": False,
        "view": {**home, "state": {"values": {}}},
        "actions": [{"action_id": ACTION_ALERTS_CHANNEL, "block_id": BLOCK_SYNC_CONTROLS,
                     "type": "conversations_select", "selected_conversation": CHANNEL}],
    })
    demo.wait_beyond("views.publish", published)

    from sqlalchemy import select

    from storage.models import Client

    with demo.runtime.db.session() as session:
        globex = session.scalars(select(Client).where(Client.name == "Globex")).one()
        contact_id = globex.xero_contact_id
    demo.say("In Xero, someone archives the Globex contact. Alice invoices Globex's retainer month anyway:")
    xero.archive_contact(tenant, contact_id)
    _create_retainer_invoice(demo)
    failed_invoice = _invoice(demo)
    failed = _wait_status(demo, failed_invoice.reference, "failed")
    demo.say(f"{failed.reference} failed with Xero's own message: {failed.error_message}")
    alert = next(m for m in reversed(demo.slack_api.messages(CHANNEL)) if ACTION_RETRY in str(m.get("blocks")))
    demo.say("The alert in #general (one per invoice, updated rather than repeated):")
    for line in render_blocks(alert.get("blocks", [])):
        demo.out(line)

    demo.say("The fix: the contact is restored in Xero. Alice presses Retry on the alert:")
    xero._update_contact(tenant, contact_id, status="ACTIVE")
    demo.slack.message_action(ACTION_RETRY, user=ALICE, value=str(failed.id), channel=CHANNEL)
    pushed = _wait_status(demo, failed.reference, "pushed")
    demo.say(f"{pushed.reference} is now draft {pushed.xero_invoice_number} in Xero; the alert reads: "
             f"“{_once_it_reads(demo, lambda: _message_text(demo, CHANNEL, alert.get('ts')), 'Resolved')}”")

    demo.say("Last, Xero is told to keep the next draft with another total (a stand-in control). Alice invoices the "
             "Globex retainer for the month before; Hour Cap compares Xero's copy with what it sent:")
    xero.alterations.add("Invoices", {"Total": "9999.00"})
    _create_retainer_invoice(demo, months_back=2)
    odd = _wait_status(demo, _invoice(demo).reference, "check_in_xero", "pushed")
    state = "marked “check in Xero”" if odd.status == "check_in_xero" else f"{odd.status}, NOT flagged"
    demo.say(f"{odd.reference} is {state}: {odd.error_message}")
    demo.say(f"  “{_once_it_reads(demo, lambda: _status_text(demo, odd.reference), 'Check in Xero')}”")


def _create_retainer_invoice(demo: Demo, months_back: int = 1) -> None:
    from datetime import date, timedelta

    from bot.views import invoice_modal as v
    from sandbox.demo_invoices import _inputs, _pick, _values

    first = date.today().replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    before = len(demo.slack_api.calls_to("views.update"))
    demo.slack.command("invoice", user=ALICE, channel=CHANNEL)
    demo.slack_api.wait_for("views.update", before + 1, timeout=10)
    view_id = demo.slack_api.calls_to("views.update")[-1].params["view_id"]
    view = demo.slack_api.views[view_id]
    globex = next(o["value"] for o in _inputs(view)[v.ACTION_CLIENT][1]["options"] if o["text"]["text"] == "Globex")
    view = _pick(demo, view, v.ACTION_CLIENT, globex)
    view = _pick(demo, view, v.ACTION_MODE, "retainer")
    retainer = _inputs(view)[v.ACTION_RETAINER_PROJECT][1]["options"][0]["value"]
    view = _pick(demo, view, v.ACTION_RETAINER_PROJECT, retainer)
    view = _pick(demo, view, v.ACTION_MONTH, first.strftime("%Y-%m"))
    demo.slack.view_submission(view, _values(view), user=ALICE)
    demo.runtime.jobs.drain(20)
