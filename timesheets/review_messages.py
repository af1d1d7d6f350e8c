"""Where a week's review message was posted (a reviewer's DM, or the review channel), so that when one reviewer
decides, every other copy is updated to say who decided and loses its buttons instead of offering a decision that
would be refused."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import ReviewMessage, WeekSubmission


def remember_review_messages(session: Session, workspace_id: int, submission_id: int,
                             posted: Iterable[tuple[str, str]]) -> None:
    """Record the (channel, ts) of each copy posted for the submission's current round (its own workspace's)."""
    owned = session.scalar(select(WeekSubmission.id).where(WeekSubmission.id == submission_id,
                                                           WeekSubmission.workspace_id == workspace_id))
    if owned is None:
        return
    session.add_all(ReviewMessage(workspace_id=workspace_id, submission_id=submission_id, channel_id=channel,
                                  ts=ts) for channel, ts in posted)


def take_review_messages(session: Session, workspace_id: int, submission_id: int) -> list[tuple[str, str]]:
    """The copies of the round just decided, forgotten as they are handed out (a resubmission posts new ones).
    `timesheets.approvals.decide` calls it in the decision's transaction, once it has checked the reviewer."""
    rows = session.execute(select(ReviewMessage.channel_id, ReviewMessage.ts).where(
        ReviewMessage.workspace_id == workspace_id, ReviewMessage.submission_id == submission_id)
        .order_by(ReviewMessage.id)).all()
    session.execute(delete(ReviewMessage).where(ReviewMessage.workspace_id == workspace_id,
                                                ReviewMessage.submission_id == submission_id))
    return [(str(channel), str(ts)) for channel, ts in rows]
