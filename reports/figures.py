"""A report's figures, summed by the database with the invoices' own money rules.

Each entry's billed minutes are its minutes under its client's rounding rule (``invoicing.summary.billed_minutes``,
the SQL form of ``RoundingRule.apply``) and its value is ``invoicing.money.time_cents`` of those minutes at the
entry's own rate snapshot: exactly what Create invoice bills for that entry on its own, rounded half-up once per
entry. The database sums those cents per group in one statement (each entry's rule chosen by a CASE on its
client), so a report reads a few aggregated rows however many entries it covers, and the uninvoiced value of a
client's hourly projects equals the invoice preview's subtotal by entry for the same range to the cent.

Billable entries without a rate have no value (rates are never re-priced): their minutes are counted apart so a
figure is never silently low.

When the workspace invoices approved time only (``invoicing.approved_only``), the value of uninvoiced entries no
approval covers is summed apart (``unapproved_cents``) and left out of the uninvoiced value, which then stays what
Create invoice would bill: unapproved time is shown as such, never mixed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select, text
from sqlalchemy.orm import Session

from catalog.rounding import RoundingRule
from invoicing.money import from_cents, time_cents
from invoicing.selection import Period
from invoicing.summary import RATE_SCALE, billed_minutes, rate_cents
from storage.db import on_postgresql
from storage.models import Project, TimeEntry


@dataclass
class Figures:
    """Sums over some entries. Minutes are integers; money is integer cents until it is shown."""

    entries: int = 0
    minutes: int = 0
    billable_minutes: int = 0
    billed_minutes: int = 0  # billable minutes after each entry's rounding
    value_cents: int = 0  # billable, priced: at each entry's own rate
    invoiced_cents: int = 0  # the part of value_cents already on an invoice
    unpriced_minutes: int = 0  # billable minutes logged without a rate (no value)
    unapproved_cents: int = 0  # approved time only: the uninvoiced value no approval covers (not invoiceable yet)

    @property
    def non_billable_minutes(self) -> int:
        return self.minutes - self.billable_minutes

    @property
    def uninvoiced_cents(self) -> int:
        """What Create invoice would bill: the value not invoiced yet, less what is waiting for approval."""
        return self.value_cents - self.invoiced_cents - self.unapproved_cents

    @property
    def unapproved(self) -> Decimal:
        return from_cents(self.unapproved_cents)

    @property
    def value(self) -> Decimal:
        return from_cents(self.value_cents)

    @property
    def invoiced(self) -> Decimal:
        return from_cents(self.invoiced_cents)

    @property
    def uninvoiced(self) -> Decimal:
        return from_cents(self.uninvoiced_cents)

    def add(self, other: Figures) -> None:
        self.entries += other.entries
        self.minutes += other.minutes
        self.billable_minutes += other.billable_minutes
        self.billed_minutes += other.billed_minutes
        self.value_cents += other.value_cents
        self.invoiced_cents += other.invoiced_cents
        self.unpriced_minutes += other.unpriced_minutes
        self.unapproved_cents += other.unapproved_cents


class Key:
    """What the aggregate groups by (columns of ``time_entries`` joined to ``projects``)."""

    CLIENT = "client"
    PROJECT = "project"
    MEMBER = "member"
    DATE = "date"


_COLUMNS = {Key.CLIENT: Project.client_id, Key.PROJECT: TimeEntry.project_id, Key.MEMBER: TimeEntry.member_id,
            Key.DATE: TimeEntry.work_date}


@dataclass(frozen=True)
class Scope:
    """Which entries a report covers: the workspace's, dated in the period, optionally one client, project or
    member (ids already checked to belong to the workspace)."""

    workspace_id: int
    period: Period
    client_id: int | None = None
    project_id: int | None = None
    member_id: int | None = None
    approved_only: bool = False  # the workspace invoices approved time only


@dataclass(frozen=True)
class RuleSet:
    """The rounding rules in force: the workspace's, and the clients that override it grouped by their rule. One
    statement serves them all: each entry's billed minutes are ``billed_minutes`` of its client's rule, chosen by
    a CASE on the client (the client lists are bound at execution, so the statement is built once per shape)."""

    default: RoundingRule
    overrides: tuple[tuple[RoundingRule, tuple[int, ...]], ...] = ()

    @classmethod
    def of(cls, default: RoundingRule, rules: Mapping[int, RoundingRule]) -> RuleSet:
        grouped: dict[RoundingRule, list[int]] = {}
        for client_id, rule in rules.items():
            if rule != default:
                grouped.setdefault(rule, []).append(client_id)
        return cls(default, tuple(sorted(((rule, tuple(sorted(ids))) for rule, ids in grouped.items()),
                                         key=lambda item: item[0].key)))

    @property
    def shape(self) -> tuple[RoundingRule, ...]:
        return (self.default,) + tuple(rule for rule, _ in self.overrides)

    def params(self) -> dict[str, list[int]]:
        chosen = {f"rule_{n}": list(ids) for n, (_, ids) in enumerate(self.overrides)}
        return {**chosen, _ANY_OVERRIDE: sorted(i for _, ids in self.overrides for i in ids)}


_ANY_OVERRIDE = "rule_any"  # every client with a rule of its own (``billed_by_client``)


def _of_clients(name: str) -> Any:
    return Project.client_id.in_(bindparam(name, expanding=True))


def billed_by_client(shape: tuple[RoundingRule, ...], minutes: Any) -> Any:
    """Billed minutes of each entry under its client's rule (``RuleSet.shape``; ``Project`` must be joined).

    Evaluated for every entry a report sums, twice (its billed minutes and its value). Most clients follow the
    workspace's rule, so with two or more overriding rules one membership test over all overriding clients comes
    first and only their entries go on to find which rule is theirs (bench/reports.py, a year by week: the
    aggregate 9 % faster than testing each rule's clients in turn)."""
    default, *overrides = shape
    if not overrides:
        return billed_minutes(default, minutes)
    *tested, last = overrides
    own = billed_minutes(last, minutes)
    if tested:
        own = case(*[(_of_clients(f"rule_{n}"), billed_minutes(rule, minutes)) for n, rule in enumerate(tested)],
                   else_=own)
    return case((_of_clients(_ANY_OVERRIDE), own), else_=billed_minutes(default, minutes))


@lru_cache(maxsize=128)
def _statement(keys: tuple[str, ...], shape: tuple[RoundingRule, ...], client: bool, project: bool,
               member: bool, approved_only: bool = False) -> Select[*tuple[Any, ...]]:
    billable = TimeEntry.billable.is_(True)
    priced = billable & TimeEntry.hourly_rate.is_not(None)
    billed = billed_by_client(shape, TimeEntry.minutes)
    cents = time_cents(billed, rate_cents(TimeEntry.hourly_rate), RATE_SCALE)
    group = [_COLUMNS[key] for key in keys]
    conditions = [TimeEntry.workspace_id == bindparam("workspace"), Project.workspace_id == bindparam("workspace"),
                  TimeEntry.work_date >= bindparam("start"), TimeEntry.work_date <= bindparam("end")]
    if client:
        conditions.append(Project.client_id == bindparam("client"))
    if project:
        conditions.append(TimeEntry.project_id == bindparam("project"))
    if member:
        conditions.append(TimeEntry.member_id == bindparam("member"))
    sums = [func.count(), func.sum(TimeEntry.minutes), func.sum(TimeEntry.minutes).filter(billable),
            func.sum(billed).filter(billable), func.sum(cents).filter(priced),
            func.sum(cents).filter(priced & TimeEntry.invoice_id.is_not(None)),
            func.sum(TimeEntry.minutes).filter(billable & TimeEntry.hourly_rate.is_(None))]
    if approved_only:
        sums.append(func.sum(cents).filter(priced & TimeEntry.invoice_id.is_(None) & TimeEntry.approval_id.is_(None)))
    return (select(*group, *sums)
            .join(Project, Project.id == TimeEntry.project_id)
            .where(*conditions).group_by(*group))


def _int(value: Any) -> int:
    return int(value or 0)


def without_jit(session: Session) -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction. A report's sums carry a CASE per rounding
    rule and the cents arithmetic per entry; PostgreSQL's JIT compiles those for every statement over enough rows,
    and at a year of entries compiling took longer than it saved (bench/reports.py: a year by week 761 ms with
    it, 538 ms without, the bare GROUP BY about 480 ms either way). Said once per transaction (a report's
    aggregate, retainer months and fixed budgets each ask). Elsewhere a no-op."""
    if on_postgresql(session) and session.info.get(_JIT_OFF) is not session.get_transaction():
        session.execute(text("SET LOCAL jit = off"))
        session.info[_JIT_OFF] = session.get_transaction()  # begun by the SET if nothing had begun it


_JIT_OFF = "hourcap.reports.jit_off"  # session.info: the transaction that has switched the JIT off


def aggregate(session: Session, scope: Scope, keys: Sequence[str],
              rules: RuleSet) -> Iterator[tuple[tuple[Any, ...], Figures]]:
    """(group key values, figures) per group of ``keys``, in one statement whatever the rounding rules."""
    params: dict[str, Any] = {"workspace": scope.workspace_id, "start": scope.period.start, "end": scope.period.end,
                              "client": scope.client_id, "project": scope.project_id, "member": scope.member_id,
                              **rules.params()}
    statement = _statement(tuple(keys), rules.shape, scope.client_id is not None, scope.project_id is not None,
                           scope.member_id is not None, scope.approved_only)
    without_jit(session)
    for row in session.execute(statement, params):
        yield tuple(row[:len(keys)]), Figures(*(_int(v) for v in row[len(keys):]))


def week_of(day: date) -> date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday, as on Home)."""
    return date.fromordinal(day.toordinal() - day.weekday())
