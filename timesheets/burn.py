"""How much of a retainer or fixed budget the logged time has used: one line shown in /hours replies.

Decisions (documented in the README's user guide):
- Retainer: billable minutes of everyone on the project in the calendar month of the entry's date, against the
  project's included hours ("Acme retainer: 31.5 of 40 h this month"). Non-billable time does not use the
  retainer. Hours beyond the included ones are called out, with the overage rate when there is one.
- Fixed budget: the value of all billable time ever logged on the project — each entry's minutes × the hourly rate
  snapshot it was logged with — against the budget ("Brand refresh: $4,200.00 of $10,000.00 budget used (42%)").
  The sum is exact (Decimal) and rounded once, half-up, to cents. Time logged without any rate has no value; its
  hours are named so the figure is never silently low. Amounts and months read as the workspace's `formats`
  (team/formats.py): the Xero organisation's currency once it is connected, no symbol before.
- Hourly projects show no burn line.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formats import Formats
from storage.models import BillingMode, Project, TimeEntry
from team.formats import workspace_formats

CENT = Decimal("0.01")


def hours_text(minutes: int) -> str:
    """Decimal hours without trailing zeros: 1890 -> "31.5", 2400 -> "40", 7 -> "0.12"."""
    hours = (Decimal(minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def _retainer(session: Session, project: Project, work_date: date, today: date, formats: Formats) -> str:
    start, end = _month_bounds(work_date)
    used = session.scalar(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.workspace_id == project.workspace_id,
            TimeEntry.project_id == project.id,
            TimeEntry.billable.is_(True),
            TimeEntry.work_date >= start,
            TimeEntry.work_date < end,
        )
    ) or 0
    this_month = (work_date.year, work_date.month) == (today.year, today.month)
    when = "this month" if this_month else f"in {formats.month_year(start)}"
    included = project.retainer_included_minutes
    if not included:
        return f"{project.name}: {hours_text(int(used))} h {when} (retainer)"
    line = f"{project.name}: {hours_text(int(used))} of {hours_text(included)} h {when}"
    if used > included:
        over = f"{hours_text(int(used) - included)} h over"
        if project.overage_rate is not None:
            over += f", billed at {formats.rate(project.overage_rate)}"
        line += f" ({over})"
    return line


def _fixed_budget(session: Session, project: Project, formats: Formats) -> str:
    money = formats.money
    rows = session.execute(
        select(TimeEntry.hourly_rate, func.sum(TimeEntry.minutes))
        .where(
            TimeEntry.workspace_id == project.workspace_id,
            TimeEntry.project_id == project.id,
            TimeEntry.billable.is_(True),
        )
        .group_by(TimeEntry.hourly_rate)
    ).all()
    rate_minutes = Decimal(0)  # Σ rate × minutes: exact (rates have two decimals), divided by 60 once
    unpriced = 0
    for rate, minutes in rows:
        if rate is None:
            unpriced += int(minutes or 0)
        else:
            rate_minutes += Decimal(rate) * int(minutes or 0)
    used = (rate_minutes / 60).quantize(CENT, rounding=ROUND_HALF_UP)
    budget = project.budget_amount
    if budget is None or budget <= 0:
        line = f"{project.name}: {money(used)} of time logged (fixed budget, no total set)"
    else:
        percent = (used * 100 / budget).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        line = f"{project.name}: {money(used)} of {money(budget)} budget used ({percent}%)"
        if used > budget:
            line += f" — {money(used - budget)} over budget"
    if unpriced:
        line += f"; {hours_text(unpriced)} h logged without a rate aren't counted"
    return line


def burn_line(session: Session, project_id: int, workspace_id: int, work_date: date, today: date, *,
              billing_mode: str | None = None) -> str | None:
    """The burn line for a retainer or fixed-budget project (None for hourly ones).

    `billing_mode`, when the caller knows it, lets an hourly project answer without reading anything."""
    if billing_mode == BillingMode.HOURLY.value:
        return None
    project = session.get(Project, project_id)
    if project is None or project.workspace_id != workspace_id:
        return None
    if project.billing_mode == BillingMode.RETAINER.value:
        return _retainer(session, project, work_date, today, workspace_formats(session, workspace_id))
    if project.billing_mode == BillingMode.FIXED_BUDGET.value:
        return _fixed_budget(session, project, workspace_formats(session, workspace_id))
    return None
