"""What a report costs next to a bare SQL GROUP BY over the same rows, and what the CSV export streams.

Scaled down from the issue's 1,000,000 entries so it runs in a couple of minutes: BENCH_REPORT_ENTRIES entries
(default 100,000) by 200 members on 300 projects of 60 clients over two years, three rounding rules in use (the
workspace's and two client overrides), a few retainer and fixed-budget projects.

- report: ``reports.report.build_report`` as `/hours report` calls it, each run in its own transaction:
  last month by client (→ project), and a year by week;
- floor: one ``SELECT … count(*), sum(minutes), sum(minutes) FILTER (billable), sum(minutes × rate) … GROUP BY``
  over the same rows with the same filters (workspace, date range), grouped the same way (client and project;
  day, as the report's weeks are folded from days);
- CSV: ``reports.csv_export`` writing BENCH_CSV_ENTRIES rows (default 50,000) to a file: rows per second, and
  the process's peak memory growth while it runs (Linux: the resident high-water mark, reset first); goal ≤ 50 MB;
- chart: rendering 52 weeks × 12 series to PNG.

Both sides of each ratio run in the same process against the same database, warmed up, then alternately; prints
medians and ``ratio=`` report/floor (goal ≤ 1.5). Database: as bench/database.py chooses (PostgreSQL on
127.0.0.1:5432 when there is one). Exit status is non-zero only when a figure is wrong (the report's totals differ
from the floor's).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import BigInteger, cast, func, insert, select, text  # noqa: E402

from bench.database import bench_database  # noqa: E402
from reports.chart import ChartData, render_png  # noqa: E402
from reports.csv_export import entry_rows, write_csv  # noqa: E402
from reports.periods import PeriodKind  # noqa: E402
from reports.report import ReportGrouping, ReportRequest, build_report  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import BillingMode, Client, Member, Project, Role, TimeEntry, Workspace  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_REPORT_ENTRIES", "100000"))
CSV_ENTRIES = int(os.environ.get("BENCH_CSV_ENTRIES", "50000"))
MEMBERS, PROJECTS, CLIENTS, DAYS = 200, 300, 60, 730
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARMUP = 2
GOAL, MEMORY_GOAL_MB = 1.5, 50
TODAY = date(2026, 11, 15)
RATES = (Decimal("150.00"), Decimal("120.00"), Decimal("95.50"), Decimal("130.00"), None)


def seed(db: Database) -> tuple[int, int]:
    """(workspace id, manager id)."""
    with db.session() as s:
        ws = Workspace(slack_team_id="T0BENCH", name="Bench", rounding_mode="up", rounding_minutes=6)
        s.add(ws)
        s.flush()
        members = [Member(workspace_id=ws.id, slack_user_id=f"UB{i:03d}", display_name=f"member {i}",
                          role=(Role.MANAGER if i == 0 else Role.MEMBER).value) for i in range(MEMBERS)]
        clients = [Client(workspace_id=ws.id, name=f"Client {i}", name_key=f"client {i}",
                          rounding_mode=("nearest" if i % 10 == 1 else "up" if i % 10 == 2 else None),
                          rounding_minutes=(15 if i % 10 == 1 else 30 if i % 10 == 2 else None))
                   for i in range(CLIENTS)]
        s.add_all(members + clients)
        s.flush()
        mode = {0: BillingMode.RETAINER, 1: BillingMode.FIXED_BUDGET}
        projects = [Project(workspace_id=ws.id, client_id=clients[i % CLIENTS].id, name=f"Project {i}", code=f"p{i}",
                            code_key=f"p{i}", hourly_rate=RATES[i % 4],
                            billing_mode=mode.get(i % 50, BillingMode.HOURLY).value,
                            retainer_included_minutes=2400 if i % 50 == 0 else None,
                            budget_amount=Decimal("50000") if i % 50 == 1 else None) for i in range(PROJECTS)]
        s.add_all(projects)
        s.flush()
        start = TODAY - timedelta(days=DAYS)
        batch = []
        for i in range(ENTRIES):
            batch.append({"workspace_id": ws.id, "member_id": members[i % MEMBERS].id,
                          "project_id": projects[(i * 7) % PROJECTS].id,
                          "work_date": start + timedelta(days=(i * 13) % DAYS), "minutes": 5 + (i * 7) % 235,
                          "description": f"Task {i % 97}", "billable": i % 9 != 0, "hourly_rate": RATES[i % 5],
                          "source": "text"})
            if len(batch) == 10_000:
                s.execute(insert(TimeEntry), batch)
                batch = []
        if batch:
            s.execute(insert(TimeEntry), batch)
        return ws.id, members[0].id


def floor_statement(by_week: bool) -> object:
    rate_cents = cast(func.round(TimeEntry.hourly_rate * 100), BigInteger)
    billable = TimeEntry.billable.is_(True)
    keys = [TimeEntry.work_date] if by_week else [Project.client_id, TimeEntry.project_id]
    return (select(*keys, func.count(), func.sum(TimeEntry.minutes), func.sum(TimeEntry.minutes).filter(billable),
                   func.sum(TimeEntry.minutes * rate_cents).filter(billable))
            .join(Project, Project.id == TimeEntry.project_id)
            .where(TimeEntry.workspace_id == text(":ws"), TimeEntry.work_date >= text(":start"),
                   TimeEntry.work_date <= text(":end"))
            .group_by(*keys))


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _hwm_kb() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> int:
    with bench_database() as (db, target):
        print(f"database: {target.label}; seeding {ENTRIES:,} entries ({MEMBERS} members, {PROJECTS} projects, "
              f"{DAYS} days; the issue's scale is 1,000,000: set BENCH_REPORT_ENTRIES)")
        started = time.perf_counter()
        workspace_id, manager_id = seed(db)
        if target.is_postgres:
            with db.session() as s:
                s.execute(text("ANALYZE"))
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        cases = {
            "last month by client → project": (ReportRequest(PeriodKind.LAST_MONTH, ReportGrouping.CLIENT), False,
                                               date(2026, 10, 1), date(2026, 10, 31)),
            "a year by week": (ReportRequest(PeriodKind.CUSTOM, ReportGrouping.WEEK, date(2025, 11, 16), TODAY),
                               True, date(2025, 11, 16), TODAY),
        }
        broken = False
        worst = 0.0
        for label, (request, by_week, start, end) in cases.items():
            def report(request: ReportRequest = request) -> object:
                with db.session() as s:
                    manager = s.get(Member, manager_id)
                    assert manager is not None
                    return build_report(s, manager, request, TODAY)

            def floor(by_week: bool = by_week, start: date = start, end: date = end) -> object:
                with db.session() as s:
                    return s.execute(floor_statement(by_week), {"ws": workspace_id, "start": start,  # type: ignore[arg-type]
                                                                "end": end}).all()

            built, rows = report(), floor()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                with cProfile.Profile() as profile:
                    for _ in range(5):
                        report()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            minutes = sum(int(r[2 if by_week else 3] or 0) for r in rows)  # type: ignore[index]
            if built.total.minutes != minutes:  # type: ignore[attr-defined]
                print(f"{label}: the report sums {built.total.minutes} minutes, the floor {minutes}: WRONG")  # type: ignore[attr-defined]
                broken = True
            for _ in range(WARMUP):
                report(), floor()
            sides: dict[str, list[float]] = {"report": [], "floor": []}
            for _ in range(RUNS):
                sides["report"].append(timed(report))
                sides["floor"].append(timed(floor))
            r, f = statistics.median(sides["report"]), statistics.median(sides["floor"])
            worst = max(worst, r / f)
            print(f"{label:32} report {r:7.1f} ms  floor GROUP BY {f:7.1f} ms  ratio={r / f:.2f}  "
                  f"({built.total.entries:,} entries)")  # type: ignore[attr-defined]
        print(f"worst ratio={worst:.2f} (goal ≤ {GOAL}): {'met' if worst <= GOAL else 'NOT met'}")

        csv_request = ReportRequest(PeriodKind.CUSTOM, ReportGrouping.CLIENT, TODAY - timedelta(days=DAYS), TODAY)
        with tempfile.TemporaryDirectory(prefix="hourcap-bench-csv-") as folder, db.session() as s:
            manager = s.get(Member, manager_id)
            assert manager is not None
            rows_iter = entry_rows(s, manager, csv_request, TODAY)
            limited = (row for n, row in enumerate(rows_iter) if n <= CSV_ENTRIES)
            reset = _reset_hwm()
            before = _hwm_kb()
            started = time.perf_counter()
            with (Path(folder) / "export.csv").open("wb") as out:
                written = write_csv(limited, out)
            seconds = time.perf_counter() - started
            after = _hwm_kb()
            size = (Path(folder) / "export.csv").stat().st_size
        growth = f"{(after - before) / 1024:.1f} MB" if reset and before and after else "not measurable here"
        print(f"CSV: {written:,} rows, {size / 1e6:.1f} MB in {seconds:.2f} s = {written / seconds:,.0f} rows/s; "
              f"peak memory growth {growth} (goal ≤ {MEMORY_GOAL_MB} MB)")

        weeks = tuple(date(2025, 11, 17) + timedelta(days=7 * n) for n in range(52))
        data = ChartData("Hours per week by project", weeks,
                         tuple((f"Project {n} (p{n})", tuple(60 * (n + w % 5) for w in range(52))) for n in range(12)))
        render_png(data)
        chart_ms = statistics.median(timed(lambda: render_png(data)) for _ in range(5))
        print(f"chart: 52 weeks × 12 series rendered in {chart_ms:.0f} ms")
        return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
