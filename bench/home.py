"""What publishing App Home costs for a large workspace, next to a bare `views.publish` of the same blocks.

- World: one workspace with 1,000 clients (one in ten archived), 2,000 projects (two per client, some with
  per-person rates), 200 members (an owner, 4 admins, 15 managers), 120 invoices and the viewer's week of
  entries. The viewer is the owner, so Home shows every section: the week, clients and projects (one page), the
  invoice list, reminders, Xero, the team (20 people above member), the lock date and the approval settings.
  The seeded rows are `ANALYZE`d, as autovacuum would have done on a live database.
- home: `bot.home.publish_home` exactly as the listeners call it (one read-only session reading what Home shows,
  what it keeps per workspace stamp included, the pure view builder, `views.publish` to the Slack stand-in over
  real HTTP with the same `WebClient`).
- cold: the same publish with this process's kept reads dropped first, as after any change to the workspace
  (printed for reference; the ratio is the steady state, Home published again for an unchanged workspace).
- floor: `client.views_publish` of the view that publish built (same blocks, same client, same stand-in, which
  checks every view against Slack's limits on both sides).

Warmed up, then alternately (noise on this shared machine lands on both); prints the median of each, the split
of Home's own time (read, build) and the SQL statements one publish runs, and `ratio=` home/floor. Goal: ratio ≤
1.5. Exit status is non-zero only when something is broken: a publish Slack refused, or a Home view in the stand-in
that is not the one built.

Database: BENCH_DATABASE_URL if set (migrated; our tables wiped before and after), else a throwaway PostgreSQL
database on 127.0.0.1:5432 (dropped afterwards), else a temporary SQLite file (bench/database.py).
`BENCH_RUNS` changes the measured runs per side (default 40).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from bench.database import analyze, keyed_bench_database  # noqa: E402
from bench.workspace import BOT_TOKEN, TEAM, add_workspace, slack_stand_in  # noqa: E402
from bot.home import home_model, publish_home  # noqa: E402
from bot.views.home import build_home  # noqa: E402
from sandbox.slack import SlackSandbox  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    Client,
    Invoice,
    InvoiceStatus,
    Member,
    Project,
    ProjectMemberRate,
    Role,
    TimeEntry,
)

CLIENTS = 1_000
PROJECTS_PER_CLIENT = 2
MEMBERS = 200
INVOICES = 120
RUNS = int(os.environ.get("BENCH_RUNS", "40"))
WARMUP = 5
GOAL = 1.5
STATUSES = (InvoiceStatus.PUSHED, InvoiceStatus.PUSHED, InvoiceStatus.QUEUED, InvoiceStatus.FAILED,
            InvoiceStatus.CANCELLED)


def _role(i: int) -> Role:
    return Role.OWNER if i == 0 else Role.ADMIN if i < 5 else Role.MANAGER if i < 20 else Role.MEMBER


def seed(db: Database, sandbox: SlackSandbox) -> tuple[int, int, str]:
    """(workspace id, viewer's member id, viewer's Slack user id): the world of the module docstring."""
    user_ids = [f"UHOME{i:03d}" for i in range(MEMBERS)]
    for i, user_id in enumerate(user_ids):
        sandbox.add_user(user_id, team_id=TEAM, name=f"person{i}", is_owner=i == 0, is_admin=i < 5)
    now = datetime.now(UTC)
    with db.session() as s:
        ws = add_workspace(s, TEAM, "Acme Studio")
        s.execute(insert(Member), [
            {"workspace_id": ws.id, "slack_user_id": user_id, "display_name": f"Person {i:03d}",
             "role": _role(i).value, "timezone": "UTC", "profile_fetched_at": now}
            for i, user_id in enumerate(user_ids)])
        s.execute(insert(Client), [
            {"workspace_id": ws.id, "name": f"Client {i:04d}", "name_key": f"client {i:04d}",
             "archived": i % 10 == 9, "xero_contact_id": f"contact-{i}"} for i in range(CLIENTS)])
        client_ids = list(s.scalars(select(Client.id).where(Client.workspace_id == ws.id).order_by(Client.id)))
        s.execute(insert(Project), [
            {"workspace_id": ws.id, "client_id": client_id, "name": f"Project {i:04d}-{j}", "code": f"c{i}p{j}",
             "code_key": f"c{i}p{j}", "hourly_rate": Decimal(100 + (i + j) % 50), "archived": j == 1 and i % 7 == 0}
            for i, client_id in enumerate(client_ids) for j in range(PROJECTS_PER_CLIENT)])
        member_ids = list(s.scalars(select(Member.id).where(Member.workspace_id == ws.id).order_by(Member.id)))
        project_ids = list(s.scalars(select(Project.id).where(Project.workspace_id == ws.id).order_by(Project.id)))
        s.execute(insert(ProjectMemberRate), [
            {"workspace_id": ws.id, "project_id": project_ids[k * 4], "member_id": member_ids[k % MEMBERS],
             "hourly_rate": Decimal("140.00")} for k in range(len(project_ids) // 4)])
        today = now.date()
        s.execute(insert(Invoice), [
            {"workspace_id": ws.id, "client_id": client_ids[n % CLIENTS], "created_by_member_id": member_ids[0],
             "number": n + 1, "reference": f"HC-{n + 1:04d}", "status": STATUSES[n % len(STATUSES)].value,
             "invoice_date": today - timedelta(days=n), "due_date": today - timedelta(days=n - 30),
             "subtotal": Decimal("1000.00") + n, "tax_total": Decimal("150.00"), "total": Decimal("1150.00") + n,
             "error_message": "Xero said: the contact is archived" if n % len(STATUSES) == 3 else None,
             "created_at": now, "updated_at": now} for n in range(INVOICES)])
        week_start = today - timedelta(days=today.weekday())
        s.execute(insert(TimeEntry), [
            {"workspace_id": ws.id, "member_id": member_ids[0], "project_id": project_ids[k % 8],
             "work_date": max(week_start, today - timedelta(days=k % 7)), "minutes": 30 + 15 * k,
             "description": f"Week entry {k}", "billable": True, "hourly_rate": Decimal("120.00"), "source": "text"}
            for k in range(12)])
        workspace_id = ws.id
    analyze(db)
    return workspace_id, member_ids[0], user_ids[0]


class Statements:
    """Counts the SQL statements the engine runs while `counting`."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self.counting = False
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        if self.counting:
            self.count += 1


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    with ExitStack() as stack:
        db, target = stack.enter_context(keyed_bench_database())
        sandbox = slack_stand_in(stack)
        return run(db, target.label, sandbox)


def run(db: Database, label: str, sandbox: SlackSandbox) -> int:
    workspace_id, viewer_id, viewer = seed(db, sandbox)
    print(f"database: {label}")
    print(f"{CLIENTS:,} clients, {CLIENTS * PROJECTS_PER_CLIENT:,} projects, {MEMBERS} members, {INVOICES} "
          f"invoices; the owner's Home; {RUNS} runs per side")
    client = WebClient(token=BOT_TOKEN, base_url=sandbox.base_url)
    view = build_home(home_model(db, workspace_id, viewer_id)[1])

    def home() -> None:
        publish_home(client, db, workspace_id, viewer_id)

    def floor() -> None:
        client.views_publish(user_id=viewer, view=view)

    home()
    published = sandbox.home_view(viewer)
    if published is None or published.get("blocks") != view["blocks"]:
        print("BROKEN: the Home view in the stand-in is not the one built")
        return 1
    statements = Statements(db)
    statements.counting = True
    home()
    statements.counting = False
    for _ in range(WARMUP):
        floor()
        home()
    floors: list[float] = []
    homes: list[float] = []
    reads: list[float] = []
    builds: list[float] = []
    colds: list[float] = []
    for i in range(RUNS):
        pair = (floor, home) if i % 2 else (home, floor)
        for fn in pair:
            (floors if fn is floor else homes).append(timed(fn))
        started = time.perf_counter()
        model = home_model(db, workspace_id, viewer_id)[1]
        reads.append((time.perf_counter() - started) * 1000)
        builds.append(timed(lambda: build_home(model)))  # noqa: B023 - called here, in this iteration
        db.stamped.clear()
        colds.append(timed(home))
    f, h = statistics.median(floors), statistics.median(homes)
    print(f"blocks: {len(view['blocks'])}; statements per publish: {statements.count}")
    print(f"home publish {h:7.1f} ms (read {statistics.median(reads):.1f} ms, build {statistics.median(builds):.1f} "
          f"ms)  floor views.publish {f:7.1f} ms  ratio={h / f:.2f}")
    print(f"cold publish (nothing kept) {statistics.median(colds):7.1f} ms")
    print(f"goal ≤ {GOAL}: {'met' if h / f <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
