"""Where a week's review message was posted (timesheets/review_messages.py): kept per submission, handed out once
by the decision that settles them, and only within the submission's own workspace."""

from __future__ import annotations

from datetime import date

from storage.db import Database
from storage.models import WeekSubmission
from tests.support.catalog import make_member, make_workspace
from timesheets.review_messages import remember_review_messages, take_review_messages


def test_copies_are_kept_per_submission_taken_once_and_never_across_workspaces(db: Database) -> None:
    with db.session() as s:
        ours, theirs = make_workspace(s), make_workspace(s, "T0OTHER", "Other")
        bob, eve = make_member(s, ours, "UBOB"), make_member(s, theirs, "UEVE")
        week = WeekSubmission(workspace_id=ours.id, member_id=bob.id, week_start=date(2026, 11, 23))
        other = WeekSubmission(workspace_id=theirs.id, member_id=eve.id, week_start=date(2026, 11, 23))
        s.add_all([week, other])
        s.flush()
        remember_review_messages(s, ours.id, week.id, [("D0ALICE", "1.1"), ("D0OLIVIA", "1.2")])
        remember_review_messages(s, theirs.id, week.id, [("D0EVIL", "9.9")])  # not their submission: ignored
        remember_review_messages(s, theirs.id, other.id, [("D0EVE", "2.1")])
        ours_id, theirs_id, week_id, other_id = ours.id, theirs.id, week.id, other.id

    with db.session() as s:
        assert take_review_messages(s, theirs_id, week_id) == []  # another workspace's submission: nothing
        assert take_review_messages(s, ours_id, week_id) == [("D0ALICE", "1.1"), ("D0OLIVIA", "1.2")]
    with db.session() as s:
        assert take_review_messages(s, ours_id, week_id) == []  # settled: a later decision finds none
        assert take_review_messages(s, theirs_id, other_id) == [("D0EVE", "2.1")]
