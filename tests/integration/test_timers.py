"""Timers on the real database (SQLite or PostgreSQL): timesheets/timers.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from errors import InvalidInput, NotFound
from storage.db import Database
from storage.models import Project, TimeEntry, Timer
from tests.support.catalog import World, member, seed_world
from timesheets.entries import EntryInput, log_entry
from timesheets.timers import start_timer, stop_timer, timer_status

# Sunday 10 March 2024, 11:30 UTC: 00:30 on Monday 11 March in Auckland (NZDT, UTC+13), 04:30 on Sunday 10 in
# Los Angeles (PDT, UTC-7 since 02:00 that morning), 11:30 on Sunday 10 in London.
START = datetime(2024, 3, 10, 11, 30, tzinfo=UTC)


@pytest.fixture
def world(db: Database) -> World:
    return seed_world(db)


def start(db: Database, member_id: int, project_id: object, description: str = "", at: datetime = START) -> None:
    with db.session() as s:
        start_timer(s, member(s, member_id), project_id, description, now=at)


def entries(db: Database) -> list[TimeEntry]:
    with db.session() as s:
        return list(s.scalars(select(TimeEntry).order_by(TimeEntry.id)))


def test_a_timer_logs_its_minutes_on_the_day_it_started_in_the_members_timezone(db: Database, world: World) -> None:
    with db.session() as s:
        running = start_timer(s, member(s, world.kiri_id), str(world.web_id), "  Research  ", now=START)
    assert (running.project_label, running.description, running.elapsed_seconds) == ("Acme — Website", "Research", 0)
    assert running.started_local.isoformat() == "2024-03-11T00:30:00+13:00"
    with db.session() as s:
        status = timer_status(s, member(s, world.kiri_id), now=START + timedelta(minutes=5, seconds=10))
    assert status is not None and (status.elapsed_seconds, status.elapsed_text) == (310, "5 min")

    # Stopped at 01:45 Auckland time (Monday), 1 h 14 min 30 s later: rounded half up to 75 minutes.
    stop_at = START + timedelta(hours=1, minutes=14, seconds=30)
    with db.session() as s:
        result = stop_timer(s, member(s, world.kiri_id), now=stop_at)
    assert result is not None and result.entry is not None
    assert not result.discarded and not result.too_long
    assert result.start_date == date(2024, 3, 11)
    assert (result.entry.minutes, result.entry.work_date, result.entry.description) == (75, date(2024, 3, 11),
                                                                                        "Research")
    [entry] = entries(db)
    assert (entry.minutes, entry.work_date, entry.source, entry.hourly_rate, entry.billable) == (
        75, date(2024, 3, 11), "timer", Decimal("100.00"), True)
    with db.session() as s:
        assert timer_status(s, member(s, world.kiri_id), now=stop_at) is None
        assert s.scalars(select(Timer)).all() == []
        assert stop_timer(s, member(s, world.kiri_id), now=stop_at) is None  # nothing runs any more


def test_a_timer_across_midnight_is_dated_on_its_start_day(db: Database, world: World) -> None:
    # 23:50 Sunday in Los Angeles, stopped at 00:40 Monday: the entry belongs to Sunday.
    started = datetime(2024, 3, 11, 6, 50, tzinfo=UTC)
    start(db, world.bob_id, world.ops_id, at=started)
    with db.session() as s:
        result = stop_timer(s, member(s, world.bob_id), now=started + timedelta(minutes=50))
    assert result is not None and result.entry is not None
    assert (result.entry.work_date, result.entry.minutes, result.entry.hourly_rate) == (date(2024, 3, 10), 50, None)


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(30, 1), (89, 1), (90, 2), (149, 2), (150, 3), (24 * 3600 + 29, 24 * 60)],
)
def test_stopping_rounds_half_up_to_whole_minutes(db: Database, world: World, seconds: int, minutes: int) -> None:
    start(db, world.alice_id, world.web_id)
    with db.session() as s:
        result = stop_timer(s, member(s, world.alice_id), now=START + timedelta(seconds=seconds))
    assert result is not None and result.entry is not None and result.entry.minutes == minutes
    assert [e.minutes for e in entries(db)] == [minutes]


@pytest.mark.parametrize("seconds", [0, 1, 29])
def test_under_a_minute_is_discarded(db: Database, world: World, seconds: int) -> None:
    start(db, world.alice_id, world.web_id)
    with db.session() as s:
        result = stop_timer(s, member(s, world.alice_id), now=START + timedelta(seconds=seconds))
    assert result is not None and result.discarded and result.entry is None and not result.too_long
    assert result.timer.elapsed_seconds == seconds
    assert entries(db) == []
    with db.session() as s:
        assert timer_status(s, member(s, world.alice_id)) is None


def test_longer_than_24_hours_stops_without_logging(db: Database, world: World) -> None:
    start(db, world.alice_id, world.web_id, "forgot it")
    with db.session() as s:
        result = stop_timer(s, member(s, world.alice_id), now=START + timedelta(hours=24, seconds=30))
    assert result is not None and result.too_long and result.entry is None and not result.discarded
    assert result.start_date == date(2024, 3, 10) and result.timer.description == "forgot it"
    assert entries(db) == []
    with db.session() as s:
        assert timer_status(s, member(s, world.alice_id)) is None


def test_discard_on_request(db: Database, world: World) -> None:
    start(db, world.alice_id, world.web_id)
    with db.session() as s:
        result = stop_timer(s, member(s, world.alice_id), discard=True, now=START + timedelta(hours=2))
    assert result is not None and result.discarded and result.entry is None
    assert entries(db) == []
    with db.session() as s:
        assert s.scalars(select(Timer)).all() == []


def test_one_timer_per_member(db: Database, world: World) -> None:
    start(db, world.alice_id, world.web_id, "Research")
    start(db, world.bob_id, world.web_id)  # everyone has their own
    with pytest.raises(InvalidInput) as caught, db.session() as s:
        start_timer(s, member(s, world.alice_id), world.ops_id, "other", now=START + timedelta(minutes=42))
    assert caught.value.message == (
        "A timer is already running on Acme — Website (for 42 min, since 11:30 your time). "
        "Stop it with /hours stop before starting another."
    )
    with db.session() as s:
        status = timer_status(s, member(s, world.alice_id), now=START)
        assert status is not None and (status.project_id, status.description) == (world.web_id, "Research")
        assert len(s.scalars(select(Timer)).all()) == 2


def test_a_timer_refuses_archived_and_foreign_projects(db: Database, world: World) -> None:
    for project_id, message in [
        (world.old_id, "Project old is archived, so it can't take new time."),
        (world.gone_id, "Project gone is archived, so it can't take new time."),
        (world.other_project_id, "That project doesn't exist in this workspace"),
        ("nope", "That project doesn't exist in this workspace"),
    ]:
        with pytest.raises(InvalidInput if "archived" in message else NotFound) as caught, db.session() as s:
            start_timer(s, member(s, world.alice_id), project_id, "", now=START)
        assert caught.value.message.startswith(message)
    with db.session() as s:
        assert s.scalars(select(Timer)).all() == []


def test_a_refused_stop_keeps_the_timer_running(db: Database, world: World) -> None:
    start(db, world.alice_id, world.web_id)
    with db.session() as s:  # the day fills up meanwhile
        log_entry(s, member(s, world.alice_id), EntryInput(world.ops_id, date(2024, 3, 10), 23 * 60),
                  now=START + timedelta(hours=1))
    with pytest.raises(InvalidInput) as caught, db.session() as s:
        stop_timer(s, member(s, world.alice_id), now=START + timedelta(hours=2))
    assert caught.value.message.startswith("That would make Sun 10 Mar 25 h")
    with db.session() as s:  # the project is archived meanwhile
        project = s.get(Project, world.web_id)
        assert project is not None
        project.archived = True
    with pytest.raises(InvalidInput) as caught, db.session() as s:
        stop_timer(s, member(s, world.alice_id), now=START + timedelta(minutes=30))
    assert "archived" in caught.value.message
    with db.session() as s:
        assert timer_status(s, member(s, world.alice_id), now=START) is not None
        result = stop_timer(s, member(s, world.alice_id), discard=True, now=START + timedelta(hours=2))
    assert result is not None and result.discarded


def test_stopping_judges_the_date_by_the_clock_it_is_given(db: Database, world: World) -> None:
    later = datetime(2099, 1, 1, 9, 0, tzinfo=UTC)  # a stop "now" far from the real clock: only `now` counts
    start(db, world.alice_id, world.web_id, at=later)
    with db.session() as s:
        result = stop_timer(s, member(s, world.alice_id), now=later + timedelta(minutes=10))
    assert result is not None and result.entry is not None
    assert (result.entry.work_date, result.entry.today) == (date(2099, 1, 1), date(2099, 1, 1))


def test_a_timer_survives_a_restart(db: Database, database_url: str, world: World) -> None:
    start(db, world.kiri_id, world.web_id, "Deploy")
    db.dispose()
    restarted = Database(database_url)
    try:
        with restarted.session() as s:
            status = timer_status(s, member(s, world.kiri_id), now=START + timedelta(minutes=20))
            assert status is not None
            assert (status.project_label, status.description, status.started_at) == ("Acme — Website", "Deploy",
                                                                                       START)
            result = stop_timer(s, member(s, world.kiri_id), now=START + timedelta(minutes=20))
        assert result is not None and result.entry is not None and result.entry.minutes == 20
    finally:
        restarted.dispose()
    assert [(e.minutes, e.work_date) for e in entries(db)] == [(20, date(2024, 3, 11))]
