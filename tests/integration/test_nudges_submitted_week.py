"""Nudges stop for a submitted week: someone who submitted their week (waiting for review, or approved) is not
nudged about missing time on its days; sent back, the week's nudges resume."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.db import Database
from storage.models import Member, WeekSubmission, Workspace
from tests.integration.test_nudges import _run, _world
from tests.support.catalog import add_entry
from timesheets.approvals import decide, submit_week


def test_a_submitted_week_is_not_nudged_and_a_sent_back_one_is_again(db: Database) -> None:
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # Tuesday; Kolkata's 17:00 is 11:30 UTC
    ids = _world(db, start)
    with db.session() as s:
        workspace = s.get(Workspace, ids["workspace"])
        ravi = s.get(Member, ids["URAVI"])
        assert workspace is not None and ravi is not None
        workspace.approvals_enabled = True
        add_entry(s, ravi, ids["project"], date(2026, 11, 2), 60)
        submit_week(s, ravi, "2026-11-02", now=start)
    seen = _run(db, start, datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    assert ids["URAVI"] not in {member_id for _, member_id, _ in seen}

    with db.session() as s:
        boss = s.get(Member, ids["UBOSS"])
        assert boss is not None
        submission = s.scalars(select(WeekSubmission)).one()
        decide(s, boss, submission.id, approve=False, note="Monday is short")
    seen = _run(db, datetime(2026, 11, 4, 10, 0, tzinfo=UTC), datetime(2026, 11, 4, 12, 0, tzinfo=UTC))
    assert [(member_id, day) for _, member_id, day in seen if member_id == ids["URAVI"]] == [
        (ids["URAVI"], "2026-11-04")]
