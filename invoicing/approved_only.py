"""The workspace setting "invoice approved time only", and what it leaves out of an invoice.

With it on, Create invoice and the month-end batch take only time entries of approved weeks (`approval_id` set:
the selection's scope and the reservation's conditional UPDATE both say so), and the preview says how many
unapproved entries in its range it left out, and whose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Member, TimeEntry, Workspace
from team.roles import Permission
from team.workspace_settings import change_setting


def set_invoice_approved_only(session: Session, actor: Member, approved_only: bool) -> bool:
    """A manager decides whether only time of approved weeks is invoiced."""
    return change_setting(session, actor, Permission.CHANGE_INVOICE_SETTINGS, Workspace.invoice_approved_only,
                          approved_only)


@dataclass(frozen=True)
class LeftOut:
    count: int
    by_person: tuple[tuple[str, int], ...]  # display name, entries; most first

    @property
    def note(self) -> str:
        whose = ", ".join(f"{name} {count}" for name, count in self.by_person)
        return (f"Left out {self.count} unapproved {'entry' if self.count == 1 else 'entries'} in this range "
                f"({whose}): only approved time is invoiced in this workspace.")


def unapproved_left_out(session: Session, workspace_id: int, project_ids: Sequence[int], start: date,
                        end: date) -> LeftOut | None:
    """Uninvoiced billable entries of `project_ids` dated `start`..`end` that no approval covers, per person."""
    if not project_ids:
        return None
    rows = session.execute(
        select(Member.display_name, Member.slack_user_id, func.count(TimeEntry.id))
        .join(Member, Member.id == TimeEntry.member_id)
        .where(TimeEntry.workspace_id == workspace_id, Member.workspace_id == workspace_id,
               TimeEntry.project_id.in_(list(project_ids)), TimeEntry.invoice_id.is_(None),
               TimeEntry.billable.is_(True), TimeEntry.approval_id.is_(None),
               TimeEntry.work_date >= start, TimeEntry.work_date <= end)
        .group_by(Member.id, Member.display_name, Member.slack_user_id)
        .order_by(func.count(TimeEntry.id).desc(), Member.display_name)
    ).all()
    if not rows:
        return None
    people = tuple((name or user_id, int(count)) for name, user_id, count in rows)
    return LeftOut(sum(count for _, count in people), people)
