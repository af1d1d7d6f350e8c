"""What the invoice preview costs for a client with 10,000 uninvoiced entries, next to a bare SQL GROUP BY.

- preview: `invoicing.preview.build_preview` as the modal calls it (detail=False: the SQL summary, the lines
  shown, exact totals for all), each run in its own transaction, for every grouping (by entry — the default —
  project, date, member); the manager is loaded once, as the handler has them before it previews;
- floor: one `SELECT project_id, hourly_rate, count(*), sum(minutes) … GROUP BY project_id, hourly_rate` over
  the same rows with the same filters (workspace, client, hourly projects, uninvoiced, billable, date range).

The seeded rows are `ANALYZE`d, as autovacuum would have done on a live database. Both sides run in the same
process against the same database, warmed up, then alternately (noise lands on both); prints the median of each,
and `ratio=` preview/floor per grouping. Goal: ratio ≤ 1.5. `first` is each grouping's first preview, before any
warm-up: by date it reads the listed days' descriptions, which the previews after it (the modal previews again on
every change) reuse while those days' entries are unchanged (invoicing/date_texts.py). Exit status is non-zero only
when something is broken: a preview with problems or a wrong entry count, or a modal preview whose totals,
fingerprint or first lines differ from the full build creation uses.

Database: BENCH_DATABASE_URL if set (migrated; our tables wiped before and after), else a throwaway PostgreSQL
database on 127.0.0.1:5432 (dropped afterwards), else a temporary SQLite file (bench/database.py).
`BENCH_RUNS` changes the measured runs per side (default 50).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.database import analyze, keyed_bench_database  # noqa: E402
from bench.workspace import add_workspace  # noqa: E402
from invoicing.line_fields import PreviewLine  # noqa: E402
from invoicing.preview import InvoiceRequest, Preview, build_preview  # noqa: E402
from invoicing.selection import last_calendar_month  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    BillingMode,
    Client,
    Member,
    Project,
    Role,
    TimeEntry,
    XeroAccount,
    XeroTaxRate,
)
from timesheets.member_calendar import member_today  # noqa: E402

ENTRIES = 10_000
MEMBERS = 50
RUNS = int(os.environ.get("BENCH_RUNS", "50"))
WARMUP = 3
GOAL = 1.5
RATES = (Decimal("150.00"), Decimal("120.00"), Decimal("95.50"), Decimal("130.00"))


def seed(db: Database) -> tuple[int, int, int, date]:
    """(workspace id, manager id, client id, today): 10,000 entries of last month over 4 hourly projects."""
    with db.session() as s:
        ws = add_workspace(s, "T0BENCH", "Bench")
        s.add_all([XeroAccount(workspace_id=ws.id, account_id="a-200", code="200", name="Sales"),
                   XeroTaxRate(workspace_id=ws.id, tax_type="OUTPUT2", name="GST", effective_rate=Decimal("15"))])
        members = [Member(workspace_id=ws.id, slack_user_id=f"UB{i:03d}", display_name=f"member {i}",
                          role=(Role.MANAGER if i == 0 else Role.MEMBER).value) for i in range(MEMBERS)]
        s.add_all(members)
        client = Client(workspace_id=ws.id, name="Acme", name_key="acme", xero_contact_id="c-acme")
        s.add(client)
        s.flush()
        projects = [Project(workspace_id=ws.id, client_id=client.id, name=f"Project {i}", code=f"p{i}",
                            code_key=f"p{i}", hourly_rate=RATES[i], billing_mode=BillingMode.HOURLY.value)
                    for i in range(4)]
        s.add_all(projects)
        s.flush()
        today = member_today(members[0])
        period = last_calendar_month(today)
        days = period.days
        s.execute(insert(TimeEntry), [
            {"workspace_id": ws.id, "member_id": members[i % MEMBERS].id, "project_id": projects[i % 4].id,
             "work_date": period.start + timedelta(days=i % days), "minutes": 5 + (i * 7) % 235,
             "description": f"Task {i % 97}", "billable": True,
             "hourly_rate": RATES[(i // 4) % 4] if i % 5 else RATES[i % 4], "source": "text"}
            for i in range(ENTRIES)])
        return ws.id, members[0].id, client.id, today


def _figures(preview: Preview) -> tuple[object, ...]:
    return preview.totals.subtotal, preview.totals.total_tax, preview.totals.total, preview.line_count


def _line(item: PreviewLine) -> tuple[object, ...]:
    """What the modal shows of a line and what creation sends (its entry ids are the full build's alone)."""
    line = item.line
    return (line.description, line.quantity, line.unit_amount, line.line_amount, line.minutes, line.logged_minutes,
            line.note, line.project_ids, item.account_code, item.tax_type, item.item_code, item.tracking)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    with keyed_bench_database() as (db, target):
        return run(db, target.label)


def run(db: Database, label: str) -> int:
    workspace_id, manager_id, client_id, today = seed(db)
    analyze(db)
    period = last_calendar_month(today)
    print(f"database: {label}")
    print(f"{ENTRIES:,} uninvoiced entries for one client, {period.start} to {period.end}; {RUNS} runs per side")

    def floor() -> object:
        with db.session() as s:
            return s.execute(
                select(TimeEntry.project_id, TimeEntry.hourly_rate, func.count(), func.sum(TimeEntry.minutes))
                .join(Project, Project.id == TimeEntry.project_id)
                .where(TimeEntry.workspace_id == workspace_id, Project.workspace_id == workspace_id,
                       Project.client_id == client_id, Project.billing_mode == BillingMode.HOURLY.value,
                       TimeEntry.invoice_id.is_(None), TimeEntry.billable.is_(True),
                       TimeEntry.work_date >= period.start, TimeEntry.work_date <= period.end)
                .group_by(TimeEntry.project_id, TimeEntry.hourly_rate)
            ).all()

    with db.session() as s:
        actor = s.get(Member, manager_id)  # the handler's, loaded before it previews (kept after the session)
        assert actor is not None
    broken = 0
    worst = 0.0
    for grouping in ("entry", "project", "date", "member"):
        request = InvoiceRequest(client_id=client_id, grouping=grouping)

        def preview(detail: bool = False, request: InvoiceRequest = request) -> Preview:
            # the modal's preview in its read-only session (bot/handlers/invoices.render); creation's in a transaction
            with db.reading() if not detail else db.session() as s:
                return build_preview(s, actor, request, today, detail=detail, read_only=not detail)

        started = time.perf_counter()
        shown = preview()
        first = (time.perf_counter() - started) * 1000
        full = preview(True)
        if not shown.ok or shown.entry_count != ENTRIES:
            print(f"BROKEN: preview by {grouping}: {shown.problems}")
            broken += 1
        if _figures(shown) != _figures(full) or shown.fingerprint != full.fingerprint:
            print(f"BROKEN: by {grouping}, the modal's totals or fingerprint differ from the full build's")
            broken += 1
        if [_line(x) for x in shown.lines] != [_line(x) for x in full.lines[:len(shown.lines)]]:
            print(f"BROKEN: by {grouping}, the modal's lines differ from the full build's first lines")
            broken += 1
        for _ in range(WARMUP):
            floor()
            preview()
        floors: list[float] = []
        previews: list[float] = []
        for i in range(RUNS):
            pair = (floor, preview) if i % 2 else (preview, floor)
            for fn in pair:
                (floors if fn is floor else previews).append(timed(fn))
        f, p = statistics.median(floors), statistics.median(previews)
        worst = max(worst, p / f)
        print(f"by {grouping:7s}: preview {p:7.1f} ms (lines {shown.line_count:,}, total {shown.totals.total}, "
              f"first {first:.1f} ms)  floor GROUP BY {f:5.1f} ms  ratio={p / f:.2f}")
    print(f"worst ratio={worst:.2f} (goal ≤ {GOAL}): {'met' if worst <= GOAL else 'NOT met'}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
