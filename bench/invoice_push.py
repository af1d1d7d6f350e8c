"""500 invoices pushed to the Xero sandbox at Xero's real limits: calls per invoice, 429s, time against the floor.

- Push: the real `invoice.push` task, run by the in-process runner (`jobs.inprocess.InProcessRunner`, 5 threads)
  from 500 queued invoices with their outbox rows (what `invoicing.create` commits), over HTTP to the sandbox.
- Limits: the sandbox's defaults, Xero's own (60 calls a rolling minute and 5 in flight per tenant), and our
  per-tenant budget with its production shape (60 a minute, 5 in flight).
- Time: the sandbox's clock runs SPEED times faster than real time (a sandbox minute lasts 60/SPEED s), as in
  tests/integration/test_xero_client.py's limits test; our budget's window and wait are scaled by the same factor,
  so both sides keep the same minute. The module constants of `xero.limits` (a rescheduled call comes back after
  at least 1 s of real time) are NOT scaled: they cost a little more sandbox time here than in production.
- Floor: 500 invoices need 500 PUTs at 60 a minute: 8.33 sandbox minutes (Xero's batch PUT of up to 50 would
  need 10 calls; the single-invoice task does not batch).

Prints calls per invoice, `429s=` (goal 0) and the wall time in sandbox minutes against the floor. Exit status is
non-zero only when something is broken (an invoice not pushed, a duplicate draft, a failed outbox row), never
because a figure is high. Database: BENCH_DATABASE_URL, else a throwaway PostgreSQL database on 127.0.0.1 if
reachable, else a temporary SQLite file (bench/database.py, as every bench). BENCH_PUSH_SPEED changes SPEED.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from app import task_registry  # noqa: E402
from bench.database import bench_database  # noqa: E402
from jobs.inprocess import InProcessRunner  # noqa: E402
from jobs.registry import JobContext  # noqa: E402
from sandbox.xero import SandboxClock, XeroSandbox  # noqa: E402
from sandbox.xero_connection import connect_workspace, xero_settings  # noqa: E402
from storage.crypto import generate_key, keyring  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Client, Invoice, InvoiceLine, Outbox, OutboxStatus  # noqa: E402
from xero.limits import Budget, LocalLimits  # noqa: E402

INVOICES = 500
PER_MINUTE, IN_FLIGHT = 60, 5  # Xero's per-tenant limits (the sandbox's defaults)
SPEED = float(os.environ.get("BENCH_PUSH_SPEED", "15"))  # sandbox seconds per real second
THREADS = 5
DEADLINE = 110.0  # real seconds; past it the run is reported broken (pushes stuck)
INVOICES_PATH = "/api.xro/2.0/invoices"


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    keyring.configure((generate_key(),))
    with bench_database() as (db, target):
        sb = XeroSandbox(clock=SandboxClock(speed=SPEED)).start()
        try:
            return run(db, target.url, target.label, sb)
        finally:
            sb.stop()


def seed(db: Database, sb: XeroSandbox) -> tuple[int, str]:
    """A connected workspace, one client mapped to a contact, INVOICES queued one-line invoices with their
    pushes recorded; returns (workspace id, tenant id)."""
    sb.auto_consent = True
    ws = connect_workspace(db, sb)
    contact_id = sb.add_contact(ws.tenant_id, "Bench Client Ltd")
    with db.session() as s:
        client = Client(workspace_id=ws.workspace_id, name="Bench Client", name_key="bench client",
                        xero_contact_id=contact_id)
        s.add(client)
        s.flush()
        amounts = {i: Decimal("150.00") + i for i in range(1, INVOICES + 1)}
        taxes = {i: (a * Decimal("0.15")).quantize(Decimal("0.01")) for i, a in amounts.items()}
        s.execute(insert(Invoice), [
            {"workspace_id": ws.workspace_id, "client_id": client.id, "number": i, "reference": f"BENCH-{i:05d}",
             "status": "queued", "invoice_date": date(2026, 11, 1), "due_date": date(2026, 11, 15),
             "line_amount_type": "Exclusive", "subtotal": amounts[i], "tax_total": taxes[i],
             "total": amounts[i] + taxes[i], "settings_snapshot": {}, "push_attempt": 0, "mode": "time"}
            for i in amounts])
        ids = dict(s.execute(select(Invoice.reference, Invoice.id)).all())
        s.execute(insert(InvoiceLine), [
            {"workspace_id": ws.workspace_id, "invoice_id": ids[f"BENCH-{i:05d}"], "position": 0,
             "description": f"Bench work {i}", "quantity": Decimal("1.0000"), "unit_amount": amounts[i],
             "line_amount": amounts[i], "account_code": "200", "tax_type": "OUTPUT2"} for i in amounts])
        s.execute(insert(Outbox), [
            {"workspace_id": ws.workspace_id, "task": "invoice.push", "args": {"invoice_id": invoice_id},
             "dedupe_key": f"invoice.push:{invoice_id}", "status": "pending", "attempts": 0, "max_attempts": 5}
            for invoice_id in ids.values()])
    return ws.workspace_id, ws.tenant_id


def run(db: Database, url: str, label: str, sb: XeroSandbox) -> int:
    sb.set_limits(per_minute=PER_MINUTE, in_flight=IN_FLIGHT)
    _, tenant = seed(db, sb)
    minute = 60.0 / SPEED  # real seconds per sandbox minute
    default = Budget()
    budget = Budget(in_flight=IN_FLIGHT, per_minute=PER_MINUTE, window=default.window / SPEED,
                    max_wait=default.max_wait / SPEED, slot_ttl=default.slot_ttl)
    ctx = JobContext(db=db, settings=xero_settings(sb, url), services={"xero_limits": LocalLimits(budget)},
                     tasks=task_registry())
    print(f"database: {label}")
    print(f"{INVOICES} invoices, limits {PER_MINUTE}/minute and {IN_FLIGHT} in flight per tenant, sandbox clock x"
          f"{SPEED:g} (a sandbox minute = {minute:.1f} s), in-process runner with {THREADS} threads")
    sb.reset_calls()
    runner = InProcessRunner(ctx, workers=THREADS, poll_seconds=0.05, sweep_seconds=3600)
    started_real, started_sb = time.monotonic(), sb.clock.now()
    runner.start()
    try:
        while True:
            with db.session() as s:
                settled = s.scalar(select(func.count()).select_from(Invoice)
                                   .where(Invoice.status.in_(("pushed", "failed", "cancelled")))) or 0
            if settled >= INVOICES or time.monotonic() - started_real > DEADLINE:
                break
            time.sleep(0.05)
        ended_real, ended_sb = time.monotonic(), sb.clock.now()
    finally:
        runner.stop()

    calls = [c for c in sb.calls if c.tenant_id and c.tenant_id.lower() == tenant.lower()]
    invoice_calls = [c for c in calls if c.path.lower().startswith(INVOICES_PATH)]
    by_method = Counter(c.method for c in invoice_calls)
    limited = sum(1 for c in sb.calls if c.status == 429)
    with db.session() as s:
        statuses = Counter(dict(s.execute(select(Invoice.status, func.count()).group_by(Invoice.status)).all()))
        recorded = dict(s.execute(select(Invoice.reference, Invoice.xero_invoice_id)).all())
        rows = Counter(dict(s.execute(select(Outbox.status, func.count()).where(Outbox.task == "invoice.push")
                                      .group_by(Outbox.status)).all()))
        attempts = s.scalar(select(func.sum(Outbox.attempts)).where(Outbox.task == "invoice.push")) or 0
    in_xero = Counter(i["Reference"] for i in sb.invoices(tenant))
    duplicates = sum(n - 1 for n in in_xero.values() if n > 1)
    matched = sum(1 for i in sb.invoices(tenant) if recorded.get(i["Reference"]) == i["InvoiceID"])
    sandbox_minutes = (ended_sb - started_sb).total_seconds() / 60
    floor_minutes = INVOICES / PER_MINUTE

    print(f"calls per invoice: {len(calls) / INVOICES:.3f} ({len(calls)} tenant calls: "
          f"{by_method['PUT']} PUT /Invoices, {by_method['GET']} GET /Invoices, "
          f"{len(calls) - len(invoice_calls)} other)")
    print(f"429s={limited}")
    print(f"wall time: {sandbox_minutes:.2f} sandbox minutes ({ended_real - started_real:.1f} s real) against "
          f"the floor of {floor_minutes:.2f} ({INVOICES} calls at {PER_MINUTE}/minute): "
          f"{sandbox_minutes / floor_minutes:.2f}x; peak in flight {sb.peak_in_flight(tenant)}")
    print(f"invoices={INVOICES} pushed={statuses['pushed']} duplicates={duplicates} "
          f"in_xero={sum(in_xero.values())} outbox={dict(rows)} attempts={attempts}")

    broken = []
    if statuses["pushed"] != INVOICES:
        broken.append(f"not every invoice pushed: {dict(statuses)}")
    if duplicates or sum(in_xero.values()) != INVOICES or matched != INVOICES:
        broken.append(f"Xero holds {sum(in_xero.values())} drafts ({duplicates} duplicates, {matched} matched)")
    if rows[OutboxStatus.FAILED.value]:
        broken.append(f"{rows[OutboxStatus.FAILED.value]} push rows failed")
    for problem in broken:
        print(f"BROKEN: {problem}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
