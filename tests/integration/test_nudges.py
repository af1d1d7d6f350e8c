"""Missing-time nudges over a simulated week: the tick run every five minutes with a simulated clock finds who is
due in their own timezone, across a daylight-saving change and half-hour offsets; exactly one nudge per due person
per working day, none for people who logged enough, none for deactivated people; a late tick catches up the same
day and never the next morning; two ticks at once send one."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.db import Database
from storage.models import Member, Outbox, Role, Workspace
from storage.models.nudges import NudgeSchedule
from storage.types import utcnow
from team.members import Profile, record_standing
from tests.support.catalog import add_entry, make_client, make_member, make_project, make_workspace
from timesheets.nudges import (
    DEFAULT,
    NUDGE_TASK,
    change_settings,
    not_working_today,
    previous_working_day,
    remind,
    tick,
)

ZONES = {"UKIRI": "Pacific/Auckland", "UBOB": "America/Los_Angeles", "URAVI": "Asia/Kolkata",
         "UADA": "Australia/Adelaide"}
EVERYONE = {**ZONES, "UBOSS": "Europe/London"}  # the manager is nudged like anyone
STEP = timedelta(minutes=5)


def _world(db: Database, now: datetime) -> dict[str, int]:
    with db.session() as s:
        workspace = make_workspace(s)
        boss = make_member(s, workspace, "UBOSS", timezone="Europe/London", role=Role.MANAGER)
        ids = {user: make_member(s, workspace, user, timezone=tz).id for user, tz in ZONES.items()}
        gone = make_member(s, workspace, "UGONE", timezone="Asia/Kolkata")
        gone.deactivated_at, gone.inactive_reason = utcnow(), "deactivated"
        ids["UGONE"] = gone.id
        project = make_project(s, make_client(s, workspace), "acme-web", "Website")
        ids["project"], ids["workspace"] = project.id, workspace.id
        change_settings(s, boss, DEFAULT.__class__(True, DEFAULT.days, DEFAULT.expected_minutes,
                                                   DEFAULT.local_minute), now=now)
        ids["UBOSS"] = boss.id
    return ids


def _nudges(db: Database) -> list[Outbox]:
    with db.session() as s:
        return list(s.scalars(select(Outbox).where(Outbox.task == NUDGE_TASK).order_by(Outbox.id)))


def _run(db: Database, start: datetime, end: datetime, *, skip: tuple[datetime, datetime] | None = None
         ) -> list[tuple[datetime, int, str]]:
    """Tick every five minutes from `start` to `end` (none inside `skip`): (tick time, member id, local day)."""
    seen: list[tuple[datetime, int, str]] = []
    known = len(_nudges(db))
    now = start
    while now <= end:
        if skip is None or not skip[0] <= now < skip[1]:
            with db.session() as s:
                tick(s, now)
            rows = _nudges(db)
            seen += [(now, r.args["member_id"], r.args["day"]) for r in rows[known:]]
            known = len(rows)
        now += STEP
    return seen


def _due(tz: str, day: date) -> datetime:
    return datetime.combine(day, time(17, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def test_one_nudge_per_due_person_per_working_day_across_a_dst_change(db: Database) -> None:
    start = datetime(2026, 10, 29, 0, 0, tzinfo=UTC)  # Los Angeles falls back on Sunday 1 November
    ids = _world(db, start)
    end = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)
    with db.session() as s:  # Ravi logs a full day on Monday 2 November: no nudge that day
        ravi = s.get(Member, ids["URAVI"])
        assert ravi is not None
        add_entry(s, ravi, ids["project"], date(2026, 11, 2), 450)
    seen = _run(db, start, end)

    by_member = {member_id: user for user, member_id in ids.items()}
    expected: set[tuple[str, str]] = set()
    for user, tz in EVERYONE.items():
        day = date(2026, 10, 28)
        while day <= date(2026, 11, 7):
            if day.weekday() < 5 and start <= _due(tz, day) <= end and not (user == "URAVI"
                                                                            and day == date(2026, 11, 2)):
                expected.add((user, day.isoformat()))
            day += timedelta(days=1)
    got = [(by_member[member_id], day) for _, member_id, day in seen]
    assert Counter(got) == Counter(expected)  # once each, nobody twice, nobody else (not the deactivated)
    assert len(expected) >= 24
    for at, member_id, day in seen:  # each within one tick of 17:00 local, whatever the offset that day
        due = _due(EVERYONE[by_member[member_id]], date.fromisoformat(day))
        assert timedelta(0) <= at - due < STEP, (by_member[member_id], day, at, due)
    la_thursdays = [at for at, member_id, day in seen if by_member[member_id] == "UBOB"]
    assert {at.hour for at in la_thursdays} == {0, 1}  # 17:00 PDT is 00:00 UTC, 17:00 PST is 01:00 UTC
    assert {at.minute for at, member_id, _ in seen if by_member[member_id] == "URAVI"} == {30}  # +05:30
    assert {(at.hour, at.minute) for at, member_id, _ in seen if by_member[member_id] == "UADA"} == {(6, 30)}


def test_a_late_tick_catches_up_the_same_day_never_the_next_morning(db: Database) -> None:
    ids = _world(db, datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    # Kolkata's 17:00 on Tue 3 Nov is 11:30 UTC: workers down 11:00–14:00 UTC, the nudge goes at 14:00 (19:30 IST)
    seen = _run(db, datetime(2026, 11, 3, 10, 0, tzinfo=UTC), datetime(2026, 11, 3, 15, 0, tzinfo=UTC),
                skip=(datetime(2026, 11, 3, 11, 0, tzinfo=UTC), datetime(2026, 11, 3, 14, 0, tzinfo=UTC)))
    assert [(at, day) for at, member_id, day in seen if member_id == ids["URAVI"]] == [
        (datetime(2026, 11, 3, 14, 0, tzinfo=UTC), "2026-11-03")]
    # down from 11:00 UTC Wed until after Kolkata's midnight (18:30 UTC): nothing for Wednesday, and Thursday's
    # comes at Thursday's 17:00, not in the morning
    seen = _run(db, datetime(2026, 11, 4, 10, 0, tzinfo=UTC), datetime(2026, 11, 5, 12, 0, tzinfo=UTC),
                skip=(datetime(2026, 11, 4, 11, 0, tzinfo=UTC), datetime(2026, 11, 4, 19, 0, tzinfo=UTC)))
    assert [(at, day) for at, member_id, day in seen if member_id == ids["URAVI"]] == [
        (datetime(2026, 11, 5, 11, 30, tzinfo=UTC), "2026-11-05")]


def test_an_uninstalled_workspace_is_not_nudged_and_a_reinstall_finds_its_schedules_running(db: Database) -> None:
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    ids = _world(db, start)
    with db.session() as s:  # uninstalled: its data is kept for the retention period, but nobody is nudged
        workspace = s.get(Workspace, ids["workspace"])
        assert workspace is not None
        workspace.uninstalled_at = start
    assert _run(db, start, datetime(2026, 11, 4, 12, 0, tzinfo=UTC)) == []
    with db.session() as s:  # reinstalled: the next working day's nudges go at 17:00 local, as before
        workspace = s.get(Workspace, ids["workspace"])
        assert workspace is not None
        workspace.uninstalled_at = None
    seen = _run(db, datetime(2026, 11, 4, 12, 5, tzinfo=UTC), datetime(2026, 11, 5, 12, 0, tzinfo=UTC))
    assert (datetime(2026, 11, 5, 11, 30, tzinfo=UTC), ids["URAVI"], "2026-11-05") in seen


def test_two_ticks_side_by_side_send_one(db: Database) -> None:
    now = datetime(2026, 11, 3, 11, 35, tzinfo=UTC)  # just after 17:00 in Kolkata
    ids = _world(db, now - timedelta(hours=2))
    with db.session() as s:  # everyone's slot is worked out, as the last tick before would have
        tick(s, now - timedelta(hours=2))
    before = len(_nudges(db))  # Auckland's and Adelaide's, due earlier
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
    fresh = _nudges(db)[before:]
    assert [(r.args["member_id"], r.args["day"]) for r in fresh] == [(ids["URAVI"], "2026-11-03")]
    with db.session() as s:
        tick(s, now + STEP)
    assert len(_nudges(db)) == before + 1


def test_personal_overrides_quiet_days_and_a_new_timezone(db: Database) -> None:
    begin = datetime(2026, 11, 5, 0, 0, tzinfo=UTC)
    ids = _world(db, begin)
    with db.session() as s:
        ravi, bob, ada = (s.get(Member, ids[u]) for u in ("URAVI", "UBOB", "UADA"))
        assert ravi is not None and bob is not None and ada is not None
        assert "18:30" in remind(s, ravi, "at 18:30", now=begin)
        assert "Mon–Thu" in remind(s, bob, "days mon-thu", now=begin)
        assert "off" in remind(s, ada, "off", now=begin)
    seen = _run(db, datetime(2026, 11, 5, 0, 0, tzinfo=UTC), datetime(2026, 11, 7, 12, 0, tzinfo=UTC))
    users = {member_id: user for user, member_id in ids.items()}
    got = {(users[m], day, at) for at, m, day in seen}
    assert ("URAVI", "2026-11-05", datetime(2026, 11, 5, 13, 0, tzinfo=UTC)) in got  # 18:30 IST
    assert not any(u == "UBOB" and d == "2026-11-06" for u, d, _ in got)  # Friday is not his day
    assert not any(u == "UADA" for u, _, _ in got)
    # "Not working today" on Monday in Auckland, then Kiri moves to Los Angeles: Tuesday's nudge at 17:00 there
    with db.session() as s:
        kiri = s.get(Member, ids["UKIRI"])
        assert kiri is not None
        assert not_working_today(s, kiri, datetime(2026, 11, 8, 22, 0, tzinfo=UTC)) == date(2026, 11, 9)
    seen = _run(db, datetime(2026, 11, 8, 12, 0, tzinfo=UTC), datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    assert not any(m == ids["UKIRI"] and d == "2026-11-09" for _, m, d in seen)
    with db.session() as s:
        workspace = s.get(Workspace, ids["workspace"])
        assert workspace is not None
        record_standing(s, workspace, "UKIRI", Profile("kiri", "America/Los_Angeles"),
                        event_at=datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
        schedule = s.scalar(select(NudgeSchedule).where(NudgeSchedule.member_id == ids["UKIRI"]))
        assert schedule is not None and schedule.next_at is not None
    seen = _run(db, datetime(2026, 11, 10, 2, 0, tzinfo=UTC), datetime(2026, 11, 11, 3, 0, tzinfo=UTC))
    assert [(at, d) for at, m, d in seen if m == ids["UKIRI"]] == [
        (datetime(2026, 11, 11, 1, 0, tzinfo=UTC), "2026-11-10")]  # 17:00 PST on Tue 10 Nov


def test_same_as_yesterday_offers_the_previous_working_day(db: Database) -> None:
    """On a Monday of a Mon–Fri week "Same as yesterday" offers Friday; a member's own days count first."""
    monday = date(2026, 11, 2)
    with db.session() as s:
        workspace = make_workspace(s)
        boss = make_member(s, workspace, "UBOSS", timezone="Europe/London", role=Role.MANAGER)
        alice = make_member(s, workspace, "UALICE", timezone="Europe/London")
        assert previous_working_day(s, alice, monday) == date(2026, 10, 30)  # the workspace's default Mon–Fri
        change_settings(s, boss, DEFAULT.__class__(True, 0b1111111, DEFAULT.expected_minutes, DEFAULT.local_minute))
        assert previous_working_day(s, alice, monday) == date(2026, 11, 1)  # every day: the calendar day before
        remind(s, alice, "days tue-sat")
        assert previous_working_day(s, alice, monday) == date(2026, 10, 31)  # her own days: Saturday
        assert previous_working_day(s, alice, date(2026, 11, 4)) == date(2026, 11, 3)
        assert previous_working_day(s, boss, monday) == date(2026, 11, 1)
