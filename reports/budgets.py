"""Retainer months and fixed budgets as a report shows them, from aggregates.

- A retainer month: the project's billable minutes in that calendar month, each entry rounded by its client's
  rule (the retainer invoice's overage counts them the same way), against the included hours; beyond them is
  overage, priced at the overage rate when there is one.
- A fixed budget: the value of all billable time ever logged on the project, each entry's minutes at its own rate
  snapshot, summed exactly and rounded once to the cent (the figure the ``/hours`` burn line shows), against the
  budget; time without a rate is counted apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from invoicing.money import from_cents, half_up, time_cents, to_cents
from invoicing.summary import rate_cents
from reports.figures import RuleSet, billed_by_client, without_jit
from reports.periods import month_end, month_start
from storage.models import Project, TimeEntry


@dataclass(frozen=True)
class RetainerMonth:
    project_id: int
    project_name: str
    month: date  # the first day
    used_minutes: int
    included_minutes: int
    overage_rate: Decimal | None

    @property
    def overage_minutes(self) -> int:
        return max(0, self.used_minutes - self.included_minutes)

    @property
    def overage_value(self) -> Decimal | None:
        if self.overage_rate is None or not self.overage_minutes:
            return None
        numerator, denominator = self.overage_rate.as_integer_ratio()
        return from_cents(time_cents(self.overage_minutes, numerator, denominator))

    @property
    def share(self) -> Decimal | None:
        """Used as a share of included, in whole percent (None without included hours)."""
        if not self.included_minutes:
            return None
        return Decimal(half_up(100 * self.used_minutes, self.included_minutes))


@dataclass(frozen=True)
class FixedBudget:
    project_id: int
    project_name: str
    budget: Decimal | None
    used: Decimal
    unpriced_minutes: int

    @property
    def share(self) -> Decimal | None:
        if self.budget is None or self.budget <= 0:
            return None
        return Decimal(half_up(100 * to_cents(self.used), to_cents(self.budget)))


class BudgetProject(Protocol):
    """What the budget figures read of a project (a ``Project`` row or the report's catalog entry)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def retainer_included_minutes(self) -> int | None: ...
    @property
    def overage_rate(self) -> Decimal | None: ...
    @property
    def budget_amount(self) -> Decimal | None: ...


def retainer_months(session: Session, workspace_id: int, projects: Sequence[BudgetProject], months: Sequence[date],
                    rules: RuleSet) -> list[RetainerMonth]:
    """Each retainer project's months: one aggregate per day and project over all the months, folded here."""
    if not projects or not months:
        return []
    billed = billed_by_client(rules.shape, TimeEntry.minutes)
    without_jit(session)
    rows = session.execute(
        select(TimeEntry.project_id, TimeEntry.work_date, func.sum(billed))
        .join(Project, Project.id == TimeEntry.project_id)
        .where(TimeEntry.workspace_id == workspace_id, TimeEntry.project_id.in_([p.id for p in projects]),
               TimeEntry.billable.is_(True), TimeEntry.work_date >= months[0],
               TimeEntry.work_date <= month_end(months[-1]))
        .group_by(TimeEntry.project_id, TimeEntry.work_date), rules.params())
    used: dict[tuple[int, date], int] = {}
    for project_id, day, minutes in rows:
        key = (project_id, month_start(day))
        used[key] = used.get(key, 0) + int(minutes or 0)
    found = [RetainerMonth(p.id, p.name, month, used.get((p.id, month), 0), p.retainer_included_minutes or 0,
                           p.overage_rate) for month in months for p in projects]
    return sorted(found, key=lambda r: (r.project_name.casefold(), r.project_id, r.month))


def fixed_budgets(session: Session, workspace_id: int, projects: Sequence[BudgetProject]) -> list[FixedBudget]:
    """Each fixed-budget project's share used, all time (one aggregate for all of them)."""
    if not projects:
        return []
    cents_an_hour = rate_cents(TimeEntry.hourly_rate)
    without_jit(session)
    rows = session.execute(
        select(TimeEntry.project_id, func.sum(TimeEntry.minutes * cents_an_hour),
               func.sum(TimeEntry.minutes).filter(TimeEntry.hourly_rate.is_(None)))
        .where(TimeEntry.workspace_id == workspace_id, TimeEntry.project_id.in_([p.id for p in projects]),
               TimeEntry.billable.is_(True))
        .group_by(TimeEntry.project_id))
    sums = {project_id: (int(value or 0), int(unpriced or 0)) for project_id, value, unpriced in rows}
    budgets = []
    for project in projects:
        minute_cents, unpriced = sums.get(project.id, (0, 0))
        used = from_cents(half_up(minute_cents, 60))  # Σ minutes × rate in cents, divided by 60 once
        budgets.append(FixedBudget(project.id, project.name, project.budget_amount, used, unpriced))
    return sorted(budgets, key=lambda b: (b.project_name.casefold(), b.project_id))
