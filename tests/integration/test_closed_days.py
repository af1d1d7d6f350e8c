"""Which days of a member's time are closed to changes (timesheets/closed_time.py `closed_days`), as the /hours
list reads them to leave out Edit and Delete: the same days `refuse_closed` refuses, and only the member's own
weeks, in their own workspace."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from errors import InvalidInput
from storage.db import Database
from storage.models import WeekState, WeekSubmission
from tests.support.catalog import make_member, make_workspace
from timesheets.closed_time import APPROVED, IN_REVIEW, LOCKED, closed_days, refuse_closed

MONDAY = date(2026, 11, 16)


def test_closed_days_are_the_days_refuse_closed_refuses(db: Database) -> None:
    with db.session() as s:
        workspace = make_workspace(s)
        other_workspace = make_workspace(s, "T0OTHER", "Other")
        bob = make_member(s, workspace, "UBOB")
        carol = make_member(s, workspace, "UCAROL")
        stranger = make_member(s, other_workspace, "USTRANGER")
        workspace.lock_before = MONDAY + timedelta(days=2)  # Mon and Tue of the first week locked
        s.add_all([
            WeekSubmission(workspace_id=workspace.id, member_id=bob.id, week_start=MONDAY + timedelta(days=7)),
            WeekSubmission(workspace_id=workspace.id, member_id=bob.id, week_start=MONDAY + timedelta(days=14),
                           state=WeekState.APPROVED.value),
            WeekSubmission(workspace_id=workspace.id, member_id=bob.id, week_start=MONDAY + timedelta(days=21),
                           state=WeekState.SENT_BACK.value),
            WeekSubmission(workspace_id=workspace.id, member_id=carol.id, week_start=MONDAY + timedelta(days=28)),
            WeekSubmission(workspace_id=other_workspace.id, member_id=stranger.id,
                           week_start=MONDAY + timedelta(days=28)),
        ])
        s.flush()

        start, end = MONDAY, MONDAY + timedelta(days=34)
        closed = closed_days(s, bob, start, end)
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        expected = {day: LOCKED for day in days[:2]}
        expected.update({day: IN_REVIEW for day in days[7:14]})
        expected.update({day: APPROVED for day in days[14:21]})
        assert closed == expected  # a sent-back week is open again; Carol's week is not Bob's
        for day in days:
            try:
                refuse_closed(s, bob, day, "changed")
                refused = False
            except InvalidInput:
                refused = True
            assert refused == (day in closed), day

        assert closed_days(s, bob, MONDAY + timedelta(days=9), MONDAY + timedelta(days=10)) == {
            MONDAY + timedelta(days=9): IN_REVIEW, MONDAY + timedelta(days=10): IN_REVIEW}  # a week cut by the range
        assert closed_days(s, carol, MONDAY + timedelta(days=28), MONDAY + timedelta(days=28)) == {
            MONDAY + timedelta(days=28): IN_REVIEW}
        assert closed_days(s, stranger, start, end) == {day: IN_REVIEW for day in days[28:35]}


@pytest.mark.parametrize("lock_offset", [None, 0, 40])
def test_the_lock_date_alone(db: Database, lock_offset: int | None) -> None:
    with db.session() as s:
        workspace = make_workspace(s)
        bob = make_member(s, workspace, "UBOB")
        workspace.lock_before = None if lock_offset is None else MONDAY + timedelta(days=lock_offset)
        s.flush()
        closed = closed_days(s, bob, MONDAY, MONDAY + timedelta(days=6))
        assert closed == ({} if lock_offset in (None, 0) else
                          {MONDAY + timedelta(days=n): LOCKED for n in range(7)})
