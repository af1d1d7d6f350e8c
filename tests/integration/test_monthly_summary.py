"""The monthly summary over a simulated turn of the month: the tick run every five minutes with a simulated clock
records one summary per active manager, admin and owner at 09:00 on the 1st in their own timezone (half-hour
offsets included), none for members, deactivated people or workspaces that did not opt in; a late tick still
sends it during their 1st, never on the 2nd; two ticks at once record one; the switch is for managers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from errors import PermissionDenied
from reports.monthly_summary import SUMMARY_TASK, set_monthly_summary, tick
from storage.db import Database
from storage.models import Member, MonthlySummary, Outbox, Role, Workspace
from storage.types import utcnow
from tests.support.catalog import make_member, make_workspace

MANAGERS = {"UKIRI": ("Pacific/Auckland", Role.OWNER), "ULUIS": ("America/Los_Angeles", Role.MANAGER),
            "URAVI": ("Asia/Kolkata", Role.ADMIN), "UBOSS": ("Europe/London", Role.MANAGER)}
STEP = timedelta(minutes=5)


def _world(db: Database) -> dict[str, int]:
    with db.session() as s:
        workspace = make_workspace(s)
        ids = {user: make_member(s, workspace, user, timezone=tz, role=role).id
               for user, (tz, role) in MANAGERS.items()}
        ids["UANN"] = make_member(s, workspace, "UANN", timezone="Europe/London").id  # a member: no summary
        gone = make_member(s, workspace, "UGONE", timezone="Asia/Kolkata", role=Role.MANAGER)
        gone.deactivated_at, gone.inactive_reason = utcnow(), "deactivated"
        boss = s.get(Member, ids["UBOSS"])
        assert boss is not None
        set_monthly_summary(s, boss, True)
        other = make_workspace(s, "T0OTHER", "Not opted in")
        make_member(s, other, "UOTHER", timezone="Europe/London", role=Role.OWNER)
        ids["workspace"] = workspace.id
    return ids


def _recorded(db: Database) -> list[Outbox]:
    with db.session() as s:
        return list(s.scalars(select(Outbox).where(Outbox.task == SUMMARY_TASK).order_by(Outbox.id)))


def _run(db: Database, start: datetime, end: datetime, *, skip: tuple[datetime, datetime] | None = None
         ) -> list[tuple[datetime, int]]:
    """Tick every five minutes from `start` to `end` (none inside `skip`): (tick time, member id) recorded."""
    seen: list[tuple[datetime, int]] = []
    known = len(_recorded(db))
    now = start
    while now <= end:
        if skip is None or not skip[0] <= now < skip[1]:
            with db.session() as s:
                tick(s, now)
            rows = _recorded(db)
            with db.session() as s:
                seen += [(now, s.get(MonthlySummary, r.args["summary_id"]).member_id) for r in rows[known:]]
            known = len(rows)
        now += STEP
    return seen


def _nine_on_the_first(tz: str, month: date) -> datetime:
    return datetime.combine(month, time(9, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def test_one_summary_per_manager_at_nine_on_their_own_first(db: Database) -> None:
    ids = _world(db)
    by_member = {member_id: user for user, member_id in ids.items() if user != "workspace"}
    seen = _run(db, datetime(2026, 11, 30, 6, 0, tzinfo=UTC), datetime(2026, 12, 2, 14, 0, tzinfo=UTC))
    assert Counter(by_member[m] for _, m in seen) == Counter(list(MANAGERS))  # once each; no member, nobody gone
    for at, member_id in seen:  # within one tick of 09:00 on 1 December, local
        due = _nine_on_the_first(MANAGERS[by_member[member_id]][0], date(2026, 12, 1))
        assert timedelta(0) <= at - due < STEP, (by_member[member_id], at, due)
    assert {(at.hour, at.minute) for at, m in seen if by_member[m] == "URAVI"} == {(3, 30)}  # +05:30
    assert {at.date() for at, m in seen if by_member[m] == "UKIRI"} == {date(2026, 11, 30)}  # +13: still 30 Nov
    with db.session() as s:
        months = set(s.scalars(select(MonthlySummary.month)))
    workspaces = {r.workspace_id for r in _recorded(db)}
    assert months == {date(2026, 11, 1)} and workspaces == {ids["workspace"]}
    # the same days again (another worker, a restart): nothing more
    assert _run(db, datetime(2026, 11, 30, 6, 0, tzinfo=UTC), datetime(2026, 12, 2, 14, 0, tzinfo=UTC)) == []
    # a month later, ticks only from 16:00 UTC on 1 January: London's and Kolkata's 1st still runs (sent at once,
    # for December), Los Angeles' 09:00 comes at 17:00 UTC, and Auckland's 1st ended at 11:00 UTC (none)
    seen = _run(db, datetime(2027, 1, 1, 16, 0, tzinfo=UTC), datetime(2027, 1, 1, 18, 0, tzinfo=UTC))
    assert sorted((at, by_member[m]) for at, m in seen) == [
        (datetime(2027, 1, 1, 16, 0, tzinfo=UTC), "UBOSS"), (datetime(2027, 1, 1, 16, 0, tzinfo=UTC), "URAVI"),
        (datetime(2027, 1, 1, 17, 0, tzinfo=UTC), "ULUIS")]
    with db.session() as s:
        assert Counter(s.scalars(select(MonthlySummary.month))) == {date(2026, 11, 1): 4, date(2026, 12, 1): 3}

def test_a_late_tick_sends_it_during_their_first_never_on_the_second(db: Database) -> None:
    ids = _world(db)
    # workers down from 08:00 to 12:00 UTC on 1 December: London's 09:00 passed, its summary comes at 12:00
    seen = _run(db, datetime(2026, 12, 1, 7, 0, tzinfo=UTC), datetime(2026, 12, 1, 13, 0, tzinfo=UTC),
                skip=(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 1, 12, 0, tzinfo=UTC)))
    assert (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), ids["UBOSS"]) in seen
    # down through Los Angeles' whole 1st (08:00 UTC 1 Dec to 08:00 UTC 2 Dec): nothing for Luis on the 2nd
    seen = _run(db, datetime(2026, 12, 2, 8, 0, tzinfo=UTC), datetime(2026, 12, 2, 23, 0, tzinfo=UTC))
    assert ids["ULUIS"] not in {m for _, m in seen}


def test_two_ticks_side_by_side_record_one(db: Database) -> None:
    ids = _world(db)
    now = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)  # London's 09:05; Kolkata and Auckland are due too
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            with db.session() as s:
                tick(s, now)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.session() as s:
        claimed = sorted(s.scalars(select(MonthlySummary.member_id)))
    assert claimed == sorted([ids["UBOSS"], ids["URAVI"], ids["UKIRI"]])
    assert len(_recorded(db)) == 3


def test_the_switch_is_for_managers_and_turning_it_off_stops_the_tick(db: Database) -> None:
    ids = _world(db)
    with db.session() as s:
        ann = s.get(Member, ids["UANN"])
        assert ann is not None
        with pytest.raises(PermissionDenied, match="Only managers, admins and the owner can turn the monthly"):
            set_monthly_summary(s, ann, False)
    with db.session() as s:
        boss = s.get(Member, ids["UBOSS"])
        assert boss is not None
        set_monthly_summary(s, boss, False)
    with db.session() as s:
        workspace = s.get(Workspace, ids["workspace"])
        assert workspace is not None and workspace.monthly_summary is False
    assert _run(db, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), datetime(2026, 12, 1, 9, 10, tzinfo=UTC)) == []
