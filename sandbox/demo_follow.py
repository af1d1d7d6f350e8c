"""Demo chapter: after the push — the accountant approves one draft in Xero and it is paid, deletes another; Xero's
webhooks tell Hour Cap, which reads back only its own invoices; the status message and Home follow; the deleted
draft's alert offers Release entries, Alice presses it, and the entries land on the next invoice."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

ALICE = "U0ALICE"
CHANNEL = "C0GENERAL"


def _invoices(demo: Demo) -> list[Any]:
    from sqlalchemy import select

    from storage.models import Client, Invoice

    with demo.runtime.db.session() as session:
        rows = session.execute(select(Invoice, Client.name).join(Client, Client.id == Invoice.client_id)
                               .order_by(Invoice.id)).all()
        for invoice, _ in rows:
            session.expunge(invoice)
        return [(invoice, name) for invoice, name in rows]


def _entries_on(demo: Demo, invoice_id: int) -> int:
    from sqlalchemy import func, select

    from storage.models import TimeEntry

    with demo.runtime.db.session() as session:
        return int(session.scalar(select(func.count(TimeEntry.id)).where(TimeEntry.invoice_id == invoice_id)) or 0)


def _until(demo: Demo, check: Any, what: str, timeout: float = 20.0) -> None:
    xero: Any = demo.runtime.extras["xero"]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited too long for {what}")
        xero.webhooks.flush()
        demo.runtime.jobs.drain(1)
        time.sleep(0.05)


def _message(demo: Demo, channel: str | None, ts: str | None) -> str:
    for message in demo.slack_api.messages(channel or ""):
        if message.get("ts") == ts:
            return str(message.get("text", ""))
    return "(not found)"


def follow(demo: Demo) -> None:
    from bot.views.invoice_batch import ACTION_OPEN
    from bot.views.invoice_xero_state import ACTION_RELEASE

    demo.chapter("20. After the push: the accountant approves, the client pays, a draft is deleted — Hour Cap follows")
    xero: Any = demo.runtime.extras["xero"]
    tenant = xero.tenants.demo_tenant_id
    invoices = _invoices(demo)
    paid, paid_client = next((i, n) for i, n in invoices if i.reference == "INV-0001")
    dead, dead_client = next((i, n) for i, n in reversed(invoices) if n == "City Agency" and i.xero_invoice_id)
    reads_before = sum(1 for c in xero.calls if c.method == "GET" and c.path.endswith("/Invoices"))

    demo.say(f"In Xero, the accountant approves {paid.reference} ({paid_client}); the client pays it in full.")
    xero.change_invoice(tenant, paid.xero_invoice_id, "approve")
    xero.clock.advance(1)
    xero.change_invoice(tenant, paid.xero_invoice_id, "pay")
    demo.say(f"…and deletes the draft {dead.reference} ({dead_client}): it was sent by mistake.")
    xero.clock.advance(1)
    xero.change_invoice(tenant, dead.xero_invoice_id, "delete")
    xero.change_invoice(tenant, xero.add_foreign_invoices(tenant, _money("80.00"))[0], "touch")  # someone else's
    _until(demo, lambda: {i.id: i.xero_status for i, _ in _invoices(demo)}.get(dead.id) == "DELETED",
           "the deleted draft to be seen")
    _until(demo, lambda: {i.id: i.xero_status for i, _ in _invoices(demo)}.get(paid.id) == "PAID", "the payment")
    reads = sum(1 for c in xero.calls if c.method == "GET" and c.path.endswith("/Invoices")) - reads_before
    demo.say(f"Xero's INVOICE webhooks reached Hour Cap; it read back only its own invoices "
             f"(GET /Invoices?createdByMyApp=true&summaryOnly=true, {reads} call(s)); the invoice made by someone "
             "else in Xero cost nothing and was never read.")
    now = {i.id: i for i, _ in _invoices(demo)}
    where = (now[paid.id].status_channel_id, now[paid.id].status_message_ts)
    # The stored state and the edit of the Slack message are two steps: wait for the message itself.
    _until(demo, lambda: ": Paid " in _message(demo, *where), "the status message to say Paid")
    demo.say(f"{paid.reference}'s status message now reads: “{_message(demo, *where)}”")

    demo.slack.home_opened(ALICE)
    demo.wait("views.publish")
    demo.say("Alice's Home lists the invoices with their state in Xero:")
    view = demo.slack_api.home_view(ALICE) or {"blocks": []}
    start = next((n for n, b in enumerate(view["blocks"]) if b.get("type") == "header"
                  and "Invoices" in str(b.get("text"))), 0)
    for line in render_blocks(view["blocks"][start:start + 18]):
        demo.out(line)

    _until(demo, lambda: any("was deleted in Xero" in str(m.get("text")) for m in demo.slack_api.messages(CHANNEL)),
           "the alert")
    alert = next(m for m in reversed(demo.slack_api.messages(CHANNEL)) if "was deleted in Xero" in str(m.get("text")))
    demo.say("The alert in #general (one per dead draft; the workspace asks a manager before releasing):")
    for line in render_blocks(alert.get("blocks", [])):
        demo.out(line)
    answered = demo.calls("response_url")
    demo.slack.message_action(ACTION_RELEASE, user=ALICE, value=str(dead.id), channel=CHANNEL)
    said = demo.wait_beyond("response_url", answered)[0]
    demo.say(f"Alice presses Release entries: {said.params.get('text', '')}")
    _until(demo, lambda: "released" in _message(demo, CHANNEL, alert.get("ts")), "the alert to be edited")
    demo.say(f"The alert now reads: “{_message(demo, CHANNEL, alert.get('ts'))}”")
    demo.say(f"{paid.reference} was paid: its {_entries_on(demo, paid.id)} entries stay locked on it.")

    opened = demo.calls("views.update")
    demo.slack.home_action(ACTION_OPEN, user=ALICE)
    demo.wait_beyond("views.update", opened)
    view_id = demo.slack_api.calls_to("views.update")[-1].params["view_id"]
    batch = demo.slack_api.views[view_id]
    demo.say("Alice runs the month-end invoicing again; the confirmation now lists the released time:")
    for line in render_blocks(batch.get("blocks") or []):
        demo.out(line)
    posted = demo.calls("chat.postMessage")
    demo.slack.view_submission(batch, {}, user=ALICE)
    demo.wait_beyond("chat.postMessage", posted)
    demo.runtime.jobs.drain(20)
    newest, name = _invoices(demo)[-1]
    demo.say(f"The released entries landed on the next invoice: {newest.reference} for {name} bills "
             f"{_entries_on(demo, newest.id)} entries; {dead.reference} keeps its lines and history "
             f"(Deleted in Xero, entries released).")


def _money(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


CHAPTERS = [follow]
