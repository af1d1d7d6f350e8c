"""What following our drafts in Xero costs: Xero calls and wall time for bursts of INVOICE webhook events.

One organisation in the Xero stand-in holds 1,000 invoices Hour Cap created (pushed drafts, known to Hour Cap by
their Xero ids) and 4,000 invoices someone else made in Xero. Hour Cap runs as in production without Redis:
`app.build_runtime`, its web app on loopback receiving the stand-in's signed webhooks, the in-process job runner
executing the coalesced read (`xero.invoice_states`) through `xero.client.XeroClient`.

- burst for other invoices only: 5,000 INVOICE events, none for an invoice Hour Cap created — floor 0 calls;
- mixed burst: 5,000 INVOICE events, 300 of them for our invoices, which the accountant approved — floor 1 call
  (one read of up to 1,000 changed invoices of our own), timed from the first change until every one of the 300
  is stored as AUTHORISED (what the status message and Home show).

Across the run the stand-in must never have shown Hour Cap an invoice it did not create. Exit status is non-zero
only when something is broken (a state missing, a read of someone else's invoice), never because a figure is
high. Database as every bench (bench/database.py).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app import Runtime, build_runtime  # noqa: E402
from bench.database import BenchDatabase, bench_database  # noqa: E402
from bench.sync import served, settings_for  # noqa: E402
from bench.workspace import BOT_TOKEN, TEAM  # noqa: E402
from sandbox.slack import SlackSandbox  # noqa: E402
from sandbox.xero import XeroSandbox  # noqa: E402
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace  # noqa: E402
from storage.models import Client, Invoice  # noqa: E402

OURS, THEIRS, EVENTS, CHANGED = 1_000, 4_000, 5_000, 300
INVOICES_PATH = "/api.xro/2.0/Invoices"
TIMEOUT = 300.0


def push_ours(sb: XeroSandbox, conn: ConnectedWorkspace, runtime: Runtime) -> list[str]:
    """1,000 drafts created through the API with Hour Cap's own token, and Hour Cap's rows for them."""
    import httpx2

    tenant = conn.tenant_id
    contact = sb.add_contact(tenant, "Bench Client Ltd")
    headers = {"Authorization": f"Bearer {conn.access_token}", "xero-tenant-id": tenant}
    ids: list[str] = []
    for start in range(0, OURS, 50):
        elements = [{"Type": "ACCREC", "Contact": {"ContactID": contact}, "Date": "2026-11-01",
                     "DueDate": "2026-11-15", "LineAmountTypes": "Exclusive", "Reference": f"HC-{n:05d}",
                     "Status": "DRAFT", "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": 100,
                                                       "AccountCode": "200", "TaxType": "OUTPUT2"}]}
                    for n in range(start, min(start + 50, OURS))]
        answer = httpx2.put(f"{sb.api_url}/Invoices", params={"summarizeErrors": "false"}, headers=headers,
                            json={"Invoices": elements}, timeout=60)
        answer.raise_for_status()
        ids += [str(i["InvoiceID"]) for i in answer.json()["Invoices"]]
    from datetime import date

    with runtime.db.session() as session:
        client = Client(workspace_id=conn.workspace_id, name="Bench Client", name_key="bench client",
                        xero_contact_id=contact)
        session.add(client)
        session.flush()
        session.add_all(Invoice(workspace_id=conn.workspace_id, client_id=client.id, number=n + 1,
                                reference=f"HC-{n:05d}", status="pushed", invoice_date=date(2026, 11, 1),
                                due_date=date(2026, 11, 15), subtotal=Decimal("100.00"), tax_total=Decimal("15.00"),
                                total=Decimal("115.00"), xero_invoice_id=xid, xero_status="DRAFT")
                        for n, xid in enumerate(ids))
    return ids


def delivered_all(sb: XeroSandbox, before: int, events: int) -> bool:
    sent = [d for d in sb.webhooks.deliveries[before:] if d.status == 200 and not d.duplicate]
    return sum(d.last_sequence - d.first_sequence + 1 for d in sent) >= events


def burst(runtime: Runtime, sb: XeroSandbox, conn: ConnectedWorkspace, ours: list[str], theirs: list[str],
          changed: int) -> tuple[int, float]:
    """`changed` of our drafts approved and the rest of the 5,000 events for other invoices, interleaved; returns
    (Xero calls Hour Cap made, seconds until every webhook is delivered, no job is left and every change stored)."""
    tenant = conn.tenant_id
    sb.reset_calls()
    before = len(sb.webhooks.deliveries)
    started = time.perf_counter()
    others = EVENTS - changed
    step = max(1, others // max(1, changed))
    mine = iter(ours[:changed])
    for n in range(others):
        sb.change_invoice(tenant, theirs[n % len(theirs)], "touch")
        if n % step == 0:
            invoice = next(mine, None)
            if invoice is not None:
                sb.change_invoice(tenant, invoice, "approve")
    for invoice in mine:
        sb.change_invoice(tenant, invoice, "approve")
    deadline = time.monotonic() + TIMEOUT
    while not delivered_all(sb, before, EVENTS):
        if time.monotonic() > deadline:
            raise RuntimeError("the webhook sender did not deliver every event in time")
        time.sleep(0.01)
    while approved(runtime, conn) < changed:
        with contextlib.suppress(TimeoutError):  # still working: look again
            runtime.jobs.drain(1)
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {approved(runtime, conn)} of {changed} changes reached Hour Cap")
    runtime.jobs.drain(TIMEOUT)
    seconds = time.perf_counter() - started
    return sb.call_count(INVOICES_PATH, tenant), seconds


def approved(runtime: Runtime, conn: ConnectedWorkspace) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count(Invoice.id)).where(
            Invoice.workspace_id == conn.workspace_id, Invoice.xero_status == "AUTHORISED")) or 0)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    with bench_database() as (_db, bench_db):
        return run(bench_db)


def run(bench_db: BenchDatabase) -> int:
    slack = SlackSandbox().start()
    slack.add_team(TEAM, "Bench Studio")
    slack.add_static_token(BOT_TOKEN, TEAM)
    sb = XeroSandbox().start()
    problems: list[str] = []
    try:
        sb.auto_consent = True
        sb.set_limits(per_minute=100_000, in_flight=5, per_day=1_000_000, app_per_minute=1_000_000)
        runtime = build_runtime(settings_for(slack, sb, bench_db.url))
        try:
            conn = connect_workspace(runtime.db, sb, team_id=TEAM)
            with served(runtime.web_app) as base_url:
                sb.set_webhook(f"{base_url}/xero/webhooks")
                ours = push_ours(sb, conn, runtime)
                theirs = sb.add_foreign_invoices(conn.tenant_id, Decimal("80.00"), n=THEIRS, emit=False)
                time.sleep(1.0)  # the creation events of our own drafts are delivered and read before measuring
                runtime.jobs.drain(TIMEOUT)
                sb.clock.advance(120)
                other_calls, other_seconds = burst(runtime, sb, conn, ours, theirs, 0)
                mixed_calls, mixed_seconds = burst(runtime, sb, conn, ours, theirs, CHANGED)
                if approved(runtime, conn) != CHANGED:
                    problems.append(f"{approved(runtime, conn)} of {CHANGED} approvals stored")
            if sb.foreign_invoice_reads:
                problems.append(f"Hour Cap was shown {len(sb.foreign_invoice_reads)} invoices it did not create")
        finally:
            runtime.close()
    finally:
        sb.stop()
        slack.stop()

    print(f"Following drafts in Xero: {OURS:,} Hour Cap invoices + {THEIRS:,} made by others in one organisation; "
          f"database: {bench_db.label}")
    print("Hour Cap: INVOICE webhooks → one coalesced GET /Invoices?createdByMyApp=true&summaryOnly=true"
          "&pageSize=1000 with If-Modified-Since, in-process jobs")
    print()
    print(f"burst of {EVENTS:,} events for other invoices only:   calls={other_calls}  floor=0  "
          f"({other_seconds:.2f} s until delivered and idle)")
    print(f"burst of {EVENTS:,} events, {CHANGED} for ours (approved): calls={mixed_calls}  floor=1  "
          f"({mixed_seconds:.2f} s from the first change until all {CHANGED} states are stored)")
    print(f"reads of invoices Hour Cap did not create: {len(sb.foreign_invoice_reads)}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
