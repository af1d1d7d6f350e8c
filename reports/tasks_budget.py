"""Budget alerts (task ``budget.check``): a retainer month or a fixed budget crossing 80 % or 100 % of what it
includes, by logged billable time, is announced once per threshold per period.

The share is the reports' own figure (``reports.budgets``): a retainer month's billable minutes, each entry
rounded by its client's rule, against the included hours; a fixed budget's value of all billable time at each
entry's rate against the budget. A threshold is claimed by inserting its ``budget_alerts`` row (unique per
project, period and threshold), so two checks racing announce it once; the announcement itself is a Slack-side
notification (``budget.alert``, ``bot/notify/budget_alert.py``) recorded in the same transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from catalog.rounding_settings import client_override, workspace_rounding
from jobs.registry import JobContext, TaskRegistry
from reports.budgets import fixed_budgets, retainer_months
from reports.figures import RuleSet
from reports.periods import month_start
from storage.models import BillingMode, BudgetAlert, Client, Project
from storage.outbox import record
from timesheets.budget_watch import BUDGET_CHECK_TASK

BUDGET_ALERT_TASK = "budget.alert"
THRESHOLDS = (80, 100)


def crossed(share: Decimal | None) -> list[int]:
    return [t for t in THRESHOLDS if share is not None and share >= t]


def check(ctx: JobContext, project_id: int, work_date: str) -> None:
    day = date.fromisoformat(work_date)
    with ctx.db.session() as session:
        project = session.get(Project, project_id)
        if project is None or project.billing_mode not in (BillingMode.RETAINER.value,
                                                              BillingMode.FIXED_BUDGET.value):
            return
        workspace_id = project.workspace_id
        if project.billing_mode == BillingMode.RETAINER.value:
            client = session.get(Client, project.client_id)
            assert client is not None
            rule = client_override(client) or workspace_rounding(session, workspace_id)
            [month] = retainer_months(session, workspace_id, [project], [month_start(day)], RuleSet(rule))
            share, period = month.share, f"{month.month:%Y-%m}"
        else:
            [budget] = fixed_budgets(session, workspace_id, [project])
            share, period = budget.share, "all"
        newest: BudgetAlert | None = None
        for threshold in crossed(share):
            try:
                with session.begin_nested():
                    alert = BudgetAlert(workspace_id=workspace_id, project_id=project.id, period=period,
                                        threshold=threshold, share=int(share or 0))
                    session.add(alert)
            except IntegrityError:
                continue  # announced already
            newest = alert
        if newest is not None:  # 80 % and 100 % crossed by one entry: one message, naming the higher
            record(session, BUDGET_ALERT_TASK, {"alert_id": newest.id}, workspace_id=workspace_id)


def register(tasks: TaskRegistry) -> None:
    tasks.add(BUDGET_CHECK_TASK, check)
