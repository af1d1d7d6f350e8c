"""What the nudge tick costs: finding who is due, next to a bare indexed SQL query over the same rows.

BENCH_NUDGE_MEMBERS members (default 20,000) across 300 workspaces (reminders on, Mon–Fri, 7 h 30 min, 17:00) and 40
timezones (half-hour and quarter-hour offsets included), each with a schedule row whose next_at is their next
17:00 after a base time; a few deactivated. The tick's moment is a weekday instant where one window of zones has
just passed 17:00.

- find: ``timesheets.nudges.due_rows`` as the tick runs it (the schedule's, member's and settings' columns);
- floor: one bare ``SELECT … FROM nudge_schedules JOIN members LEFT JOIN nudge_settings WHERE next_at <= :now``
  on the same index; goal find/floor ≤ 2;
- tick: ``timesheets.nudges.tick`` in full (each run rolled back): outbox rows recorded per tick, which must equal
  the people due (active, under their expected time) — the bench fails if they differ.

Both sides run in the same process against the same database, warmed up, then alternately; prints medians and
``ratio=``. Database: as bench/database.py chooses (PostgreSQL on 127.0.0.1:5432 when there is one).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.database import bench_database  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Member, Outbox, Role, Workspace  # noqa: E402
from storage.models.nudges import NudgeSchedule, NudgeSettings  # noqa: E402
from timesheets.nudge_clock import due_after  # noqa: E402
from timesheets.nudges import NUDGE_TASK, due_rows, tick  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_NUDGE_MEMBERS", "20000"))
WORKSPACES = 300
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARMUP = 2
GOAL = 2.0
ZONES = (
    "Pacific/Auckland", "Pacific/Chatham", "Australia/Sydney", "Australia/Adelaide", "Australia/Darwin",
    "Australia/Eucla", "Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Jakarta", "Asia/Yangon",
    "Asia/Dhaka", "Asia/Kathmandu", "Asia/Kolkata", "Asia/Karachi", "Asia/Kabul", "Asia/Dubai", "Asia/Tehran",
    "Europe/Moscow", "Europe/Istanbul", "Europe/Athens", "Africa/Cairo", "Europe/Berlin", "Africa/Lagos",
    "Europe/London", "Atlantic/Azores", "Atlantic/South_Georgia", "America/Sao_Paulo", "America/St_Johns",
    "America/Halifax", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "Pacific/Marquesas", "UTC",
)
BASE = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday
NOW = datetime(2026, 11, 3, 17, 2, tzinfo=UTC)  # Tuesday, just after 17:00 in London and UTC
WINDOW = timedelta(minutes=5)
DAYS, MINUTE = 0b0011111, 17 * 60


def seed(db: Database) -> None:
    with db.session() as s:
        workspaces = [Workspace(slack_team_id=f"TB{i:04d}", name=f"Bench {i}") for i in range(WORKSPACES)]
        s.add_all(workspaces)
        s.flush()
        s.execute(insert(NudgeSettings), [{"workspace_id": w.id, "enabled": True, "days": DAYS,
                                           "expected_minutes": 450, "local_minute": MINUTE,
                                           "created_at": BASE} for w in workspaces])
        rows = [{"workspace_id": workspaces[i % WORKSPACES].id, "slack_user_id": f"UB{i:06d}",
                 "display_name": f"member {i}", "timezone": ZONES[i % len(ZONES)], "role": Role.MEMBER.value,
                 "deactivated_at": BASE if i % 97 == 0 else None, "inactive_reason": "deactivated" if i % 97 == 0
                 else None, "created_at": BASE} for i in range(MEMBERS)]
        for start in range(0, len(rows), 5000):
            s.execute(insert(Member), rows[start:start + 5000])
        members = s.execute(select(Member.id, Member.workspace_id, Member.timezone)).all()
        schedules = []
        for member_id, workspace_id, zone in members:
            slot = due_after(BASE, DAYS, MINUTE, zone)
            schedules.append({"workspace_id": workspace_id, "member_id": member_id, "created_at": BASE,
                              "next_at": None if slot is None else slot.due_at})
        for start in range(0, len(schedules), 5000):
            s.execute(insert(NudgeSchedule), schedules[start:start + 5000])
    # the ticks before the measured one, as if run every five minutes until then (their nudges cleared): the
    # measured tick then finds the one window of zones whose 17:00 came in its five minutes
    for before in (datetime(2026, 11, 3, 0, 0, tzinfo=UTC), NOW - WINDOW):
        with db.session() as s:
            tick(s, before, limit=MEMBERS)
            s.execute(text("DELETE FROM outbox"))


def floor_statement() -> object:
    return text(
        "SELECT s.id, s.member_id, s.enabled, s.days, s.local_minute, s.next_at, s.nudged_on, s.quiet_on, "
        "m.timezone, m.deactivated_at, n.enabled, n.days, n.expected_minutes, n.local_minute "
        "FROM nudge_schedules s JOIN members m ON m.id = s.member_id AND m.workspace_id = s.workspace_id "
        "LEFT JOIN nudge_settings n ON n.workspace_id = s.workspace_id "
        "WHERE s.next_at <= :now ORDER BY s.next_at LIMIT 5000")


def timed(db: Database, fn: object) -> tuple[float, object]:
    session = Session(db.engine)
    try:
        started = time.perf_counter()
        result = fn(session)  # type: ignore[operator]
        return (time.perf_counter() - started) * 1000, result
    finally:
        session.rollback()
        session.close()


def expected_due(db: Database) -> int:
    """Active people whose 17:00 on a working day came in the tick's five minutes (NOW - WINDOW, NOW]."""
    with db.session() as s:
        zones = s.execute(select(Member.timezone, func.count()).where(Member.deactivated_at.is_(None))
                          .group_by(Member.timezone)).all()
    due = 0
    for zone, count in zones:
        slot = due_after(NOW - WINDOW, DAYS, MINUTE, zone)
        if slot is not None and NOW - WINDOW < slot.due_at <= NOW:
            due += count
    return due


def main() -> int:
    with bench_database() as (db, target):
        print(f"database: {target.label}; seeding {MEMBERS:,} members in {WORKSPACES} workspaces, {len(ZONES)} "
              "timezones")
        started = time.perf_counter()
        seed(db)
        if target.is_postgres:
            with db.session() as s:
                s.execute(text("ANALYZE"))
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        floor = floor_statement()

        def find(session: Session) -> int:
            return len(due_rows(session, NOW))

        def bare(session: Session) -> int:
            return len(session.execute(floor, {"now": NOW}).all())  # type: ignore[call-overload]

        def full(session: Session) -> int:
            sent = tick(session, NOW)
            session.flush()
            rows = session.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == NUDGE_TASK))
            assert rows == sent
            return sent

        for _ in range(WARMUP):
            timed(db, find)
            timed(db, bare)
        finds, bares, ticks = [], [], []
        found = floor_rows = sent = 0
        for _ in range(RUNS):
            ms, found = timed(db, find)  # type: ignore[assignment]
            finds.append(ms)
            ms, floor_rows = timed(db, bare)  # type: ignore[assignment]
            bares.append(ms)
        for _ in range(max(3, RUNS // 3)):
            ms, sent = timed(db, full)  # type: ignore[assignment]
            ticks.append(ms)
        due = expected_due(db)
        find_ms, floor_ms = statistics.median(finds), statistics.median(bares)
        ratio = find_ms / floor_ms if floor_ms else float("inf")
        print(f"rows due at {NOW:%a %H:%M} UTC: tick finds {found:,}, bare query {floor_rows:,}")
        print(f"find: median {find_ms:.1f} ms; floor: median {floor_ms:.1f} ms; ratio={ratio:.2f} (goal ≤ {GOAL})")
        print(f"full tick: median {statistics.median(ticks):.1f} ms; outbox rows per tick={sent:,}; people due={due:,}")
        if found != floor_rows or sent != due:
            print("FAIL: the tick's figures differ from the floor's")
            return 1
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
