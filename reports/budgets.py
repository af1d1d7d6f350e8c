"""Retainer months and fixed budgets as a report shows them, from aggregates.

- A retainer month: the project's billable minutes in that calendar month, each entry rounded by its client's
  rule (the retainer invoice's overage counts them the same way), against the included hours; beyond them is
  overage, priced at the overage rate when there is one.
- A fixed budget: the value of all billable time ever logged on the project, each entry's minutes at its own rate
  snapshot, summed exactly and rounded once to the cent (the figure the ``/hours`` burn line shows), against the
  budget; time without a rate is counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from catalog.rounding import RoundingRule
from invoicing.money import from_cents, half_up, time_cents, to_cents
from invoicing.summary import RATE_SCALE, billed_minutes
from reports.periods import month_end
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


def retainer_months(session: Session, workspace_id: int, projects: Sequence[Project], months: Sequence[date],
                    rules: Mapping[int, RoundingRule]) -> list[RetainerMonth]:
    """Each retainer project's months (one aggregate per month and rounding rule)."""
    found: list[RetainerMonth] = []
    by_rule: dict[RoundingRule, list[Project]] = {}
    for project in projects:
        by_rule.setdefault(rules.get(project.client_id, RoundingRule()), []).append(project)
    for month in months:
        used: dict[int, int] = {}
        for rule, group in by_rule.items():
            rows = session.execute(
                select(TimeEntry.project_id, func.sum(billed_minutes(rule, TimeEntry.minutes)))
                .where(TimeEntry.workspace_id == workspace_id, TimeEntry.project_id.in_([p.id for p in group]),
                       TimeEntry.billable.is_(True), TimeEntry.work_date >= month,
                       TimeEntry.work_date <= month_end(month))
                .group_by(TimeEntry.project_id))
            used.update((project_id, int(minutes or 0)) for project_id, minutes in rows)
        found.extend(RetainerMonth(p.id, p.name, month, used.get(p.id, 0), p.retainer_included_minutes or 0,
                                   p.overage_rate) for p in projects)
    return sorted(found, key=lambda r: (r.project_name.casefold(), r.project_id, r.month))


def fixed_budgets(session: Session, workspace_id: int, projects: Sequence[Project]) -> list[FixedBudget]:
    """Each fixed-budget project's share used, all time (one aggregate for all of them)."""
    if not projects:
        return []
    rate_cents = cast(func.round(TimeEntry.hourly_rate * RATE_SCALE), BigInteger)
    rows = session.execute(
        select(TimeEntry.project_id, func.sum(TimeEntry.minutes * rate_cents),
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
