"""Time entries on the real database (SQLite or PostgreSQL): timesheets/entries.py, lookup.py and summary.py."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from errors import InvalidInput, NotFound, UserError
from storage.db import Database
from storage.models import Project, TimeEntry
from tests.support.catalog import World, add_entry, make_invoice, member, seed_world, set_member_rate
from timesheets.entries import (
    ENTRY_NOT_FOUND,
    EntryInput,
    delete_entry,
    edit_entry,
    entry_for_edit,
    list_entries,
    log_entry,
    resolve_rate,
    undo_entry,
)
from timesheets.grammar.parse import FUTURE_DATE_MESSAGE
from timesheets.lookup import find_project
from timesheets.member_calendar import member_today

# Wednesday 13 March 2024, noon UTC: London (GMT) is on Wed 13, Los Angeles (PDT, UTC-7) on Wed 13 at 05:00,
# Auckland (NZDT, UTC+13) already on Thu 14 at 01:00.
NOW = datetime(2024, 3, 13, 12, 0, tzinfo=UTC)
WED = date(2024, 3, 13)
THU = date(2024, 3, 14)


@pytest.fixture
def world(db: Database) -> World:
    return seed_world(db)


def log(db: Database, member_id: int, project_id: object, minutes: int | None, work_date: date | None = WED,
        description: str = "", billable: bool | None = None, now: datetime = NOW) -> int:
    with db.session() as s:
        stored = log_entry(s, member(s, member_id), EntryInput(project_id, work_date, minutes, description, billable),
                           now=now)
        return stored.id


def stored(db: Database, entry_id: int) -> TimeEntry:
    with db.session() as s:
        entry = s.get(TimeEntry, entry_id)
        assert entry is not None
        return entry


def user_error(db: Database, call: object, *args: object, **kwargs: object) -> UserError:
    """Run `call(session, *args)` in a transaction and return the UserError it raised."""
    with pytest.raises(UserError) as caught, db.session() as s:
        call(s, *args, **kwargs)  # type: ignore[operator]
    return caught.value


# ------------------------------------------------------------------------------------------- rates and minutes


def test_an_entry_stores_integer_minutes_and_the_rate_in_force(db: Database, world: World) -> None:
    with db.session() as s:
        set_member_rate(s, world.web_id, world.alice_id, "120.00")
    alice_web = log(db, world.alice_id, world.web_id, 150, description="Fixed the header")  # member-on-project
    bob_web = log(db, world.bob_id, world.web_id, 90)  # project rate
    alice_ops = log(db, world.alice_id, world.ops_id, 30)  # no project rate: alice's default
    bob_ops = log(db, world.bob_id, world.ops_id, 45)  # no rate anywhere

    entry = stored(db, alice_web)
    assert (entry.minutes, type(entry.minutes)) == (150, int)
    assert entry.work_date == WED and entry.description == "Fixed the header" and entry.billable
    assert entry.hourly_rate == Decimal("120.00")
    assert stored(db, bob_web).hourly_rate == Decimal("100.00")
    assert stored(db, alice_ops).hourly_rate == Decimal("80.00")
    assert stored(db, alice_ops).billable is False  # ops is not billable by default
    assert stored(db, bob_ops).hourly_rate is None
    with db.session() as s:
        assert resolve_rate(s, member(s, world.alice_id), world.web_id) == Decimal("120.00")
        assert resolve_rate(s, member(s, world.bob_id), world.ops_id) is None


def test_the_reply_says_what_was_stored(db: Database, world: World) -> None:
    with db.session() as s:
        reply = log_entry(s, member(s, world.alice_id), EntryInput(str(world.web_id), None, 150, "  Header  "),
                          now=NOW)
    assert (reply.project_label, reply.day, reply.minutes, reply.description) == (
        "Acme — Website", "Wed 13 Mar", 150, "Header")
    assert reply.work_date == WED and reply.today == WED and reply.burn is None and not reply.invoiced


def test_changing_a_rate_never_reprices_existing_entries(db: Database, world: World) -> None:
    web_entry = log(db, world.bob_id, world.web_id, 60)
    ops_entry = log(db, world.alice_id, world.ops_id, 60)
    with db.session() as s:
        project = s.get(Project, world.web_id)
        assert project is not None
        project.hourly_rate = Decimal("150.00")
        member(s, world.alice_id).default_rate = Decimal("95.00")
        set_member_rate(s, world.ops_id, world.alice_id, "99.00")
    assert stored(db, web_entry).hourly_rate == Decimal("100.00")
    assert stored(db, ops_entry).hourly_rate == Decimal("80.00")
    # Editing without moving keeps the snapshot too.
    with db.session() as s:
        edit_entry(s, member(s, world.bob_id), web_entry, EntryInput(world.web_id, WED, 75, "longer"), now=NOW)
    assert stored(db, web_entry).hourly_rate == Decimal("100.00")
    # New entries take the new rates.
    assert stored(db, log(db, world.bob_id, world.web_id, 60)).hourly_rate == Decimal("150.00")
    assert stored(db, log(db, world.alice_id, world.ops_id, 60)).hourly_rate == Decimal("99.00")


def test_moving_an_entry_to_another_project_takes_that_projects_rate(db: Database, world: World) -> None:
    entry_id = log(db, world.bob_id, world.ops_id, 60)
    assert stored(db, entry_id).hourly_rate is None and stored(db, entry_id).billable is False
    with db.session() as s:
        reply = edit_entry(s, member(s, world.bob_id), entry_id, EntryInput(world.web_id, WED, 60), now=NOW)
    assert reply.project_label == "Acme — Website"
    entry = stored(db, entry_id)
    assert (entry.project_id, entry.hourly_rate, entry.billable) == (world.web_id, Decimal("100.00"), True)
    # ...and back, with an explicit billable flag, which wins over the project's default.
    with db.session() as s:
        set_member_rate(s, world.ops_id, world.bob_id, "55.50")
        edit_entry(s, member(s, world.bob_id), entry_id, EntryInput(world.ops_id, WED, 60, billable=True), now=NOW)
    entry = stored(db, entry_id)
    assert (entry.project_id, entry.hourly_rate, entry.billable) == (world.ops_id, Decimal("55.50"), True)


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (None, "How long did you work? Enter a duration like 2.5, 1h30m, 1:30 or 45m."),
        (0, "An entry must be at least 1 minute long."),
        (-30, "An entry must be at least 1 minute long."),
        (1441, "An entry can be at most 24 hours — you entered 24 h 1 min."),
    ],
)
def test_durations_outside_one_minute_to_24_hours_are_refused(db: Database, world: World, minutes: int | None,
                                                               message: str) -> None:
    with db.session() as s:
        alice = member(s, world.alice_id)
        with pytest.raises(InvalidInput) as caught:
            log_entry(s, alice, EntryInput(world.web_id, WED, minutes), now=NOW)
    assert (caught.value.message, caught.value.field) == (message, "duration")
    with db.session() as s:
        assert s.scalars(select(TimeEntry)).all() == []


@pytest.mark.parametrize("minutes", [1, 1440])
def test_one_minute_and_24_hours_are_accepted(db: Database, world: World, minutes: int) -> None:
    assert stored(db, log(db, world.alice_id, world.web_id, minutes)).minutes == minutes


# ---------------------------------------------------------------------------------------------- the daily cap


def test_a_member_logs_at_most_24_hours_a_day(db: Database, world: World) -> None:
    log(db, world.alice_id, world.web_id, 13 * 60)
    log(db, world.alice_id, world.ops_id, 11 * 60 - 1)
    log(db, world.bob_id, world.web_id, 20 * 60)  # someone else's day is theirs
    log(db, world.alice_id, world.web_id, 20 * 60, work_date=date(2024, 3, 12))  # another day
    with db.session() as s:
        alice = member(s, world.alice_id)
        with pytest.raises(InvalidInput) as caught:
            log_entry(s, alice, EntryInput(world.web_id, WED, 2), now=NOW)
    assert caught.value.field == "duration"
    assert caught.value.message == (
        "That would make Wed 13 Mar 24 h 1 min: you've already logged 23 h 59 min that day, "
        "and a day holds at most 24 h (at most 1 min more fits)."
    )
    log(db, world.alice_id, world.web_id, 1)  # exactly 24 h
    error = user_error(db, lambda s: log_entry(s, member(s, world.alice_id), EntryInput(world.web_id, WED, 1),
                                               now=NOW))
    assert error.message.endswith("a day holds at most 24 h (the day is full).")


def test_the_daily_cap_applies_on_edit_without_counting_the_entry_itself(db: Database, world: World) -> None:
    log(db, world.alice_id, world.web_id, 13 * 60)
    ten = log(db, world.alice_id, world.web_id, 10 * 60)
    elsewhere = log(db, world.alice_id, world.web_id, 2 * 60, work_date=date(2024, 3, 11))
    with db.session() as s:
        edit_entry(s, member(s, world.alice_id), ten, EntryInput(world.web_id, WED, 11 * 60), now=NOW)
    assert stored(db, ten).minutes == 11 * 60
    error = user_error(db, lambda s: edit_entry(s, member(s, world.alice_id), ten,
                                                EntryInput(world.web_id, WED, 11 * 60 + 1), now=NOW))
    assert error.message == ("That would make Wed 13 Mar 24 h 1 min: you've already logged 13 h that day, "
                             "and a day holds at most 24 h (at most 11 h more fits).")
    # Moving another entry into the full day is refused too; nothing changed.
    error = user_error(db, lambda s: edit_entry(s, member(s, world.alice_id), elsewhere,
                                                EntryInput(world.web_id, WED, 2 * 60), now=NOW))
    assert error.message.startswith("That would make Wed 13 Mar 26 h")
    assert (stored(db, ten).minutes, stored(db, elsewhere).work_date) == (11 * 60, date(2024, 3, 11))


@pytest.mark.postgres
def test_two_requests_at_once_cannot_both_pass_the_cap(db: Database, world: World) -> None:
    if db.is_sqlite:
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers at BEGIN IMMEDIATE")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def log_13_hours() -> None:
        try:
            with db.session() as s:
                alice = member(s, world.alice_id)
                barrier.wait(timeout=10)
                log_entry(s, alice, EntryInput(world.web_id, WED, 13 * 60), now=NOW)
            outcomes.append("logged")
        except InvalidInput as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=log_13_hours) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("logged") == 1
    refusal = next(o for o in outcomes if o != "logged")
    assert refusal.startswith("That would make Wed 13 Mar 26 h: you've already logged 13 h that day")
    with db.session() as s:
        assert [e.minutes for e in s.scalars(select(TimeEntry))] == [13 * 60]


# ---------------------------------------------------------------------------------------- dates and timezones


def test_the_members_timezone_decides_today_and_the_future(db: Database, world: World) -> None:
    with db.session() as s:
        kiri, bob, alice = member(s, world.kiri_id), member(s, world.bob_id), member(s, world.alice_id)
        assert (member_today(kiri, now=NOW), member_today(bob, now=NOW), member_today(alice, now=NOW)) == (
            THU, WED, WED)
        # An hour earlier Auckland is still on Wednesday too; eleven hours later Los Angeles reaches Thursday.
        assert member_today(kiri, now=datetime(2024, 3, 13, 10, 59, tzinfo=UTC)) == WED
        assert member_today(bob, now=datetime(2024, 3, 14, 6, 59, tzinfo=UTC)) == WED
        assert member_today(bob, now=datetime(2024, 3, 14, 7, 0, tzinfo=UTC)) == THU
        assert log_entry(s, kiri, EntryInput(world.web_id, THU, 60), now=NOW).work_date == THU
        assert log_entry(s, kiri, EntryInput(world.web_id, None, 30), now=NOW).work_date == THU  # default today
        assert log_entry(s, bob, EntryInput(world.web_id, None, 30), now=NOW).work_date == WED
        assert log_entry(s, bob, EntryInput(world.web_id, WED, 60), now=NOW).work_date == WED
    error = user_error(db, lambda s: log_entry(s, member(s, world.bob_id), EntryInput(world.web_id, THU, 60),
                                               now=NOW))
    assert error.message == f"{FUTURE_DATE_MESSAGE} (Thu 14 Mar is after your today, Wed 13 Mar.)"
    assert error.field == "date"
    # An edit cannot move an entry into the future either.
    bob_entry = log(db, world.bob_id, world.web_id, 15)
    error = user_error(db, lambda s: edit_entry(s, member(s, world.bob_id), bob_entry,
                                                EntryInput(world.web_id, THU, 15), now=NOW))
    assert error.message.startswith(FUTURE_DATE_MESSAGE)


def test_an_unknown_timezone_falls_back_to_utc(db: Database, world: World) -> None:
    with db.session() as s:
        kiri = member(s, world.kiri_id)
        kiri.timezone = "Mars/Olympus_Mons"
        assert member_today(kiri, now=datetime(2024, 3, 13, 23, 59, tzinfo=UTC)) == WED


# ------------------------------------------------------------------------------------------ projects in play


def test_archived_projects_and_clients_take_no_new_time(db: Database, world: World) -> None:
    error = user_error(db, lambda s: log_entry(s, member(s, world.alice_id), EntryInput(world.old_id, WED, 60),
                                               now=NOW))
    assert error.message == ("Project old is archived, so it can't take new time. Pick another project, or ask a "
                             "manager to unarchive it.")
    assert error.field == "project"
    error = user_error(db, lambda s: log_entry(s, member(s, world.alice_id), EntryInput(world.gone_id, WED, 60),
                                               now=NOW))
    assert error.message.startswith("Project gone is archived")
    # A project resolved before it was archived (passed in by the caller) is checked again.
    with db.session() as s:
        info = find_project(s, world.workspace_id, world.web_id)
        assert info is not None and not info.archived
        web = s.get(Project, world.web_id)
        assert web is not None
        web.archived = True
    error = user_error(db, lambda s: log_entry(s, member(s, world.alice_id), EntryInput(world.web_id, WED, 60),
                                               now=NOW, project=info))
    assert error.message.startswith("Project web is archived")
    with db.session() as s:
        assert s.scalars(select(TimeEntry)).all() == []


def test_a_project_of_another_workspace_is_not_found(db: Database, world: World) -> None:
    for project_id in (world.other_project_id, 999_999, "abc", "99999999999999999999999"):
        error = user_error(db, lambda s, pid=project_id: log_entry(s, member(s, world.alice_id),
                                                                   EntryInput(pid, WED, 60), now=NOW))
        assert isinstance(error, NotFound)
        assert error.message == "That project doesn't exist in this workspace — pick one from the list."
    for blank in (None, ""):
        error = user_error(db, lambda s, pid=blank: log_entry(s, member(s, world.alice_id),
                                                              EntryInput(pid, WED, 60), now=NOW))
        assert error.message == "Pick a project."
    # A caller-resolved project of another workspace is not trusted either.
    with db.session() as s:
        foreign = find_project(s, world.other_workspace_id, world.other_project_id)
    error = user_error(db, lambda s: log_entry(s, member(s, world.alice_id), EntryInput(None, WED, 60), now=NOW,
                                               project=foreign))
    assert isinstance(error, NotFound)


def test_an_entry_on_a_project_archived_since_can_still_be_fixed(db: Database, world: World) -> None:
    entry_id = log(db, world.alice_id, world.web_id, 60, description="typo")
    with db.session() as s:
        web = s.get(Project, world.web_id)
        assert web is not None
        web.archived = True
    with db.session() as s:
        alice = member(s, world.alice_id)
        assert entry_for_edit(s, alice, entry_id, now=NOW).project_id == world.web_id
        reply = edit_entry(s, alice, entry_id, EntryInput(f" {world.web_id} ", WED, 45, "fixed"), now=NOW)
    assert (reply.minutes, reply.description) == (45, "fixed")
    entry = stored(db, entry_id)
    assert (entry.minutes, entry.description, entry.hourly_rate) == (45, "fixed", Decimal("100.00"))
    # ...but an entry cannot be moved onto an archived project.
    other = log(db, world.alice_id, world.ops_id, 30)
    error = user_error(db, lambda s: edit_entry(s, member(s, world.alice_id), other,
                                                EntryInput(world.old_id, WED, 30), now=NOW))
    assert error.message.startswith("Project old is archived")
    # Deleting an entry on an archived project works too.
    with db.session() as s:
        delete_entry(s, member(s, world.alice_id), entry_id)
    with db.session() as s:
        assert s.get(TimeEntry, entry_id) is None


def test_editing_without_a_date_keeps_the_entrys_date(db: Database, world: World) -> None:
    entry_id = log(db, world.alice_id, world.web_id, 60, work_date=date(2024, 3, 11))
    with db.session() as s:
        reply = edit_entry(s, member(s, world.alice_id), entry_id, EntryInput(world.web_id, None, 90), now=NOW)
    assert reply.work_date == date(2024, 3, 11)
    assert (stored(db, entry_id).work_date, stored(db, entry_id).minutes) == (date(2024, 3, 11), 90)


# ------------------------------------------------------------------------------------- whose entry, invoiced


def _not_found_ids(db: Database, world: World) -> list[object]:
    bobs = log(db, world.bob_id, world.web_id, 60)
    with db.session() as s:
        strangers = add_entry(s, member(s, world.stranger_id), world.other_project_id, WED, 60).id
    return [bobs, strangers, 999_999, "999999", "abc", None, "", "1.5", "99999999999999999999999"]


@pytest.mark.parametrize("action", ["edit", "delete", "undo", "entry_for_edit"])
def test_anyone_elses_entry_looks_exactly_like_a_missing_one(db: Database, world: World, action: str) -> None:
    for entry_id in _not_found_ids(db, world):
        with pytest.raises(NotFound) as caught, db.session() as s:
            alice = member(s, world.alice_id)
            if action == "edit":
                edit_entry(s, alice, entry_id, EntryInput(world.web_id, WED, 30), now=NOW)
            elif action == "delete":
                delete_entry(s, alice, entry_id)
            elif action == "undo":
                undo_entry(s, alice, entry_id)
            else:
                entry_for_edit(s, alice, entry_id)
        assert caught.value.message == ENTRY_NOT_FOUND, entry_id
    with db.session() as s:
        assert sorted(e.minutes for e in s.scalars(select(TimeEntry))) == [60, 60]  # both still there, untouched


@pytest.mark.parametrize(("action", "verb"), [("edit", "edited"), ("delete", "deleted"), ("undo", "undone"),
                                              ("entry_for_edit", "edited")])
def test_an_invoiced_entry_cannot_be_changed(db: Database, world: World, action: str, verb: str) -> None:
    entry_id = log(db, world.alice_id, world.web_id, 60, description="billed")
    with db.session() as s:
        invoice = make_invoice(s, world.client_id)
        entry = s.get(TimeEntry, entry_id)
        assert entry is not None
        entry.invoice_id = invoice.id
    with pytest.raises(InvalidInput) as caught, db.session() as s:
        alice = member(s, world.alice_id)
        if action == "edit":
            edit_entry(s, alice, entry_id, EntryInput(world.web_id, WED, 30, "changed"), now=NOW)
        elif action == "delete":
            delete_entry(s, alice, entry_id)
        elif action == "undo":
            undo_entry(s, alice, entry_id)
        else:
            entry_for_edit(s, alice, entry_id)
    assert caught.value.message == (f"That entry is already on an invoice, so it can't be {verb}. "
                                    "If it's wrong, ask a manager to cancel the invoice first.")
    entry = stored(db, entry_id)
    assert (entry.minutes, entry.description, entry.invoice_id is not None) == (60, "billed", True)


def test_delete_and_undo_remove_only_the_callers_entry(db: Database, world: World) -> None:
    first = log(db, world.alice_id, world.web_id, 60, description="one")
    second = log(db, world.alice_id, world.ops_id, 30, description="two")
    bobs = log(db, world.bob_id, world.web_id, 45)
    with db.session() as s:
        gone = undo_entry(s, member(s, world.alice_id), first, now=NOW)
    assert (gone.id, gone.minutes, gone.description, gone.day) == (first, 60, "one", "Wed 13 Mar")
    with db.session() as s:
        gone = delete_entry(s, member(s, world.alice_id), str(second), now=NOW)
    assert gone.project_label == "Acme — Operations"
    error = user_error(db, lambda s: undo_entry(s, member(s, world.alice_id), first))
    assert error.message == ENTRY_NOT_FOUND  # undone twice
    with db.session() as s:
        assert [e.id for e in s.scalars(select(TimeEntry))] == [bobs]


# -------------------------------------------------------------------------------------------------- listing


def test_list_entries_today_and_this_week(db: Database, world: World) -> None:
    monday, tuesday, sunday_before = date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 10)
    a = log(db, world.alice_id, world.web_id, 60, work_date=monday, description="a")
    b = log(db, world.alice_id, world.web_id, 30, work_date=WED, description="b")
    c = log(db, world.alice_id, world.ops_id, 45, work_date=WED, description="c")
    log(db, world.alice_id, world.web_id, 120, work_date=sunday_before)  # last week
    d = log(db, world.alice_id, world.web_id, 15, work_date=tuesday, description="d")
    log(db, world.bob_id, world.web_id, 240, work_date=WED)  # someone else's
    with db.session() as s:
        add_entry(s, member(s, world.stranger_id), world.other_project_id, WED, 300)  # another workspace
        add_entry(s, member(s, world.alice_id), world.web_id, date(2024, 3, 18), 10)  # next Monday
    with db.session() as s:
        alice = member(s, world.alice_id)
        week = list_entries(s, alice, "week", now=NOW)
        today = list_entries(s, alice, "today", now=NOW)

    assert (week.start, week.end, week.today) == (monday, date(2024, 3, 17), WED)
    assert [(d.day, d.total_minutes) for d in week.days] == [(WED, 75), (tuesday, 15), (monday, 60)]
    assert [[e.id for e in d.entries] for d in week.days] == [[b, c], [d], [a]]
    assert (week.total_minutes, week.entry_count) == (150, 4)
    assert week.days[0].entries[1].project_label == "Acme — Operations"

    assert (today.start, today.end) == (WED, WED)
    assert [(d.day, d.total_minutes, len(d.entries)) for d in today.days] == [(WED, 75, 2)]


def test_the_week_is_the_members_own_monday_to_sunday(db: Database, world: World) -> None:
    # Sunday 17 March 2024, 12:00 UTC: Auckland is already on Monday 18 (a new week), Los Angeles on Sunday 17.
    now = datetime(2024, 3, 17, 12, 0, tzinfo=UTC)
    with db.session() as s:
        kiri, bob = member(s, world.kiri_id), member(s, world.bob_id)
        add_entry(s, kiri, world.web_id, date(2024, 3, 17), 60)
        add_entry(s, kiri, world.web_id, date(2024, 3, 18), 30)
        add_entry(s, bob, world.web_id, date(2024, 3, 11), 20)
        add_entry(s, bob, world.web_id, date(2024, 3, 17), 40)
    with db.session() as s:
        kiri_week = list_entries(s, member(s, world.kiri_id), "week", now=now)
        bob_week = list_entries(s, member(s, world.bob_id), "week", now=now)
    assert (kiri_week.start, kiri_week.end, kiri_week.total_minutes) == (date(2024, 3, 18), date(2024, 3, 24), 30)
    assert (bob_week.start, bob_week.end, bob_week.total_minutes) == (date(2024, 3, 11), date(2024, 3, 17), 60)


def test_an_empty_listing(db: Database, world: World) -> None:
    with db.session() as s:
        listing = list_entries(s, member(s, world.alice_id), "today", now=NOW)
    assert (listing.days, listing.total_minutes, listing.entry_count) == ((), 0, 0)

