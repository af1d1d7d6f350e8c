"""A retainer month: one line for the fixed amount, plus an overage line when earned.

Overage = billable minutes worked in the calendar month, each entry rounded per the invoice's rule first (the
same per-entry rounding as hourly invoices), minus the included minutes. It is billed only when positive *and*
the project has an overage rate; without a rate the retainer line's note says how far over the month went, so
the manager sees it in the preview rather than discovering it later. The overage line is priced like any time
line (``invoicing.exact.time_line``), so it too is exact for Xero.

The month's entries are covered by the retainer line's ``entry_ids`` (the caller reserves them all, so they
cannot be billed again by the hour). A month can be billed once: the caller checks the database; this module is
the pure computation and refuses entries dated outside the month, which would mean a caller bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from catalog.rounding import RoundingRule
from invoicing.exact import amount_line, time_line
from invoicing.lines import EntryRow, Line, LineKind, hours_label, money_label, rate_label, squash
from invoicing.money import is_exact

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # English, whatever the server's locale


class RetainerError(ValueError):
    """The retainer's terms or month cannot be billed; the message is written for the person."""


@dataclass(frozen=True)
class RetainerTerms:
    """A retainer project's terms, as stored on the project."""

    project_id: int
    project_name: str
    project_code: str
    amount: Decimal
    included_minutes: int = 0
    overage_rate: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount < 0 or not is_exact(self.amount, 2):
            raise RetainerError("The retainer amount must be zero or more, in whole cents.")
        if self.included_minutes < 0:
            raise RetainerError("Included hours cannot be negative.")
        rate = self.overage_rate
        if rate is not None and (not rate.is_finite() or rate < 0 or not is_exact(rate, 4)):
            raise RetainerError("The overage rate must be zero or more.")


@dataclass(frozen=True)
class RetainerBill:
    lines: tuple[Line, ...]
    month: date  # first day of the month billed
    worked_minutes: int  # billable minutes in the month, rounded per entry
    overage_minutes: int  # beyond the included minutes (0 if none); billed only with an overage rate

    @property
    def entry_ids(self) -> tuple[int, ...]:
        return tuple(i for line in self.lines for i in line.entry_ids)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """Last day of ``day``'s month."""
    first_of_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_of_next - timedelta(days=1)


def month_label(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def retainer_month(terms: RetainerTerms, month: date, entries: Iterable[EntryRow], rule: RoundingRule) -> RetainerBill:
    """The lines for one retainer month. ``entries``: the project's billable entries dated in that month."""
    first, last = month_start(month), month_end(month)
    rows = sorted(entries, key=lambda e: (e.work_date, e.id))
    for entry in rows:
        if not first <= entry.work_date <= last:
            raise RetainerError(f"Entry {entry.id} is dated {entry.work_date}, outside {month_label(first)}.")
        if entry.project_id != terms.project_id:
            raise RetainerError(f"Entry {entry.id} belongs to another project.")
    worked = sum(rule.apply(e.minutes) for e in rows)
    over = max(0, worked - terms.included_minutes)
    title = squash(terms.project_name)
    code = terms.project_code.strip()
    heading = f"{title} ({code})" if code else title
    period = month_label(first)
    summary = f"{hours_label(worked)} worked of {hours_label(terms.included_minutes)} included"
    note = summary
    if over and terms.overage_rate is None:
        note = f"{summary}: {hours_label(over)} over, not billed as the project has no overage rate."
    elif over:
        note = f"{summary}: {hours_label(over)} over, billed at {rate_label(terms.overage_rate or Decimal(0))}."
    lines = [
        amount_line(f"{heading} — retainer, {period}", terms.amount, kind=LineKind.RETAINER,
                    project_ids=(terms.project_id,), entry_ids=tuple(e.id for e in rows),
                    note=f"Retainer {money_label(terms.amount)}; {note}")
    ]
    if over and terms.overage_rate is not None:
        lines.append(
            time_line(
                f"{heading} — overage, {period}: {hours_label(over)} beyond "
                f"{hours_label(terms.included_minutes)} included",
                over,
                terms.overage_rate,
                kind=LineKind.OVERAGE,
                project_ids=(terms.project_id,),
                note=note,
            )
        )
    return RetainerBill(tuple(lines), first, worked, over)
