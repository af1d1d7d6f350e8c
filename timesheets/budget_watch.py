"""Asking for a budget check when time lands on a retainer or fixed-budget project.

The check itself (how much is used, which thresholds were crossed, who is told) runs later as the task
``budget.check`` (``reports.tasks_budget``): the entry's transaction only records that it is needed, once per
project and month while one is waiting.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from storage.models import BillingMode
from storage.outbox import record
from timesheets.lookup import ProjectInfo

BUDGET_CHECK_TASK = "budget.check"
WATCHED = (BillingMode.RETAINER.value, BillingMode.FIXED_BUDGET.value)


def watch(session: Session, workspace_id: int, project: ProjectInfo, work_date: date) -> None:
    """Record a budget check for ``project`` (nothing for hourly projects)."""
    if project.billing_mode not in WATCHED:
        return
    month = f"{work_date:%Y-%m}" if project.billing_mode == BillingMode.RETAINER.value else "all"
    record(session, BUDGET_CHECK_TASK, {"project_id": project.id, "work_date": work_date.isoformat()},
           workspace_id=workspace_id, dedupe_key=f"budget.check:{project.id}:{month}")
