"""The modal's live preview of time entries, computed in the database (measured by bench/invoice.py).

Creation reads every entry and builds every line (``selection.time_entries`` + ``grouping``). The modal previews
again on every change, and for a client with 10,000 uninvoiced entries reading them all is most of the cost
(the goal: about twice one bare ``GROUP BY`` over the same rows). So the modal asks the database for what the
preview shows, under the same rules and with the same numbers:

* **By entry** a line depends on its entry alone. The database groups the entries by (billed minutes, rate) and
  sums what those lines carry: the amount (``money.time_cents``) and its tax (``totals.tax_terms``) — integer
  rules written so that they evaluate unchanged on SQL expressions — and the half-cent ties. The first
  ``shown`` lines are built from the first entries by date (an index reads them in that order).
* **By project, date or member** a line depends on the sum of its entries' billed minutes (each entry rounded
  first, in SQL: ``billed_minutes``). The database sums per (group, rate); Python prices every line with
  ``money.time_cents``, totals them with ``totals.totals``, and builds the first ``shown`` with
  ``exact.time_line``. Descriptions use ``grouping``'s wording from the aggregates (a project's first and last
  date, a member's projects) or, by date, from the shown days' entries (``date_texts``: read once for as long
  as those entries stay the same, as the modal previews again on every change).

The lines built here carry no entry ids. The preview's fingerprint therefore rests on the ``EntryTally``
(count, sum and largest id of the entries billed), which the full build computes too, and on the totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import BigInteger, Select, String, bindparam, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from catalog.rounding import RoundingMode, RoundingRule
from invoicing.date_texts import Group, date_texts
from invoicing.exact import time_line
from invoicing.grouping import (
    Grouping,
    group_entries,
    member_description,
    member_order,
    project_description,
    project_order,
    split_note,
    subject,
    unique_date_description,
)
from invoicing.lines import EntryRow, Line
from invoicing.money import half_cent_tie, half_up, ratio, time_cents
from invoicing.selection import Period, scope_params, time_scope
from invoicing.totals import LineAmountType, Totals, cents_totals, summed, tax_terms
from storage.models import Member, Project, TimeEntry
from storage.models.base import Rate
from storage.stamps import Stamped

RATE_SCALE = 10 ** (Rate.scale or 0)  # rates are stored with 2 dp, so rate x 100 is a whole number in SQL


class rate_cents(FunctionElement[int]):  # noqa: N801 - used like the SQL functions it renders
    """An hourly rate column in cents, as a BIGINT: ``rate x 100``, exact as rates have 2 decimals.

    PostgreSQL casts a numeric to an integer by rounding, and ``rate x 100`` is already whole, so the cast alone
    is exact; SQLite stores the rate as a float (``87.33 x 100`` is 8732.999…) and truncates when it casts, so it
    rounds first. Evaluated for every entry a report or a preview prices: a numeric ``round()`` per entry was
    about 3 % of a year's report on PostgreSQL (bench/reports.py)."""

    type = BigInteger()
    inherit_cache = True


@compiles(rate_cents)
def _rate_cents(element: rate_cents, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(round({compiler.process(element.clauses, **kw)} * {RATE_SCALE}) AS BIGINT)"


@compiles(rate_cents, "postgresql")
def _rate_cents_postgresql(element: rate_cents, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} * {RATE_SCALE} AS BIGINT)"


@dataclass(frozen=True)
class EntryTally:
    """Which entries an invoice bills, in three numbers. Entry ids only grow (PostgreSQL's sequence never hands
    one out twice), so an entry logged since changes the count, the sum and the largest id, and one billed,
    deleted or moved elsewhere changes the count; an edit that changes what is billed changes the totals, which
    the fingerprint holds too. (SQLite, for development, may reuse the largest id after a delete.)"""

    count: int = 0
    id_sum: int = 0
    id_max: int = 0

    @classmethod
    def of(cls, ids: Sequence[int]) -> EntryTally:
        return cls(len(ids), sum(ids), max(ids, default=0))


@dataclass(frozen=True)
class Summary:
    lines: tuple[Line, ...]  # the first ``shown`` lines
    line_count: int
    totals: Totals
    tally: EntryTally
    tie_count: int = 0  # lines whose tax falls on a half cent (see ``totals``)
    tie_lines: tuple[int, ...] | None = None  # which, when known (grouped lines are all priced here)
    unpriced_count: int = 0
    unpriced_minutes: int = 0
    notes: tuple[str, ...] = ()  # why groups split, in line order


def billed_minutes(rule: RoundingRule, minutes: Any) -> Any:
    """``RoundingRule.apply`` as SQL on a minutes column (≥ 1 by constraint); tests hold the two equal."""
    step = rule.minutes
    if rule.mode is RoundingMode.NONE or step == 1:
        return minutes
    if rule.mode is RoundingMode.UP:
        return (minutes + (step - 1)) // step * step
    steps = (2 * minutes + step) // (2 * step)  # to the nearest step, halves up
    return case((steps < 1, step), else_=steps * step)  # a positive entry bills at least one step


def summarize(session: Session, workspace_id: int, projects: Mapping[int, Project], period: Period,
              grouping: Grouping, rule: RoundingRule, kind: LineAmountType, tax_rate: Decimal,
              shown: int, *, approved_only: bool = False, kept: Stamped | None = None) -> Summary:
    """What the preview of ``projects``' uninvoiced billable time in ``period`` shows (see the module docstring).
    With ``kept`` (a read-only preview), the members' names by member come as kept under the workspace's stamp
    instead of joined to the sums."""
    params = scope_params(workspace_id, list(projects), period, approved_only=approved_only)
    # Its statements are Core and run on the session's connection (the ORM's execution layer adds ~0.1 ms a
    # statement and nothing for rows that are not entities); pending changes are flushed first, as it would.
    session.flush()
    if grouping is Grouping.ENTRY:
        return _by_entry(session, params, projects, rule, kind, tax_rate, shown)
    return _by_group(session, params, projects, grouping, rule, kind, tax_rate, shown, kept)


# Statements are built once per shape (grouping, rounding rule, tax terms) with every value bound at execution:
# building them is a good part of a preview's Python time otherwise.


# ---- by entry ----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)  # rounding rules x the tax rates in use
def _entry_totals(rule: RoundingRule, terms: tuple[int, int] | None) -> Select[*tuple[Any, ...]]:
    billed = billed_minutes(rule, TimeEntry.minutes)
    pairs = (select(billed.label("billed"), TimeEntry.hourly_rate.label("rate"), func.count().label("n"),
                    func.sum(TimeEntry.id).label("id_sum"), func.max(TimeEntry.id).label("id_max"),
                    func.sum(TimeEntry.minutes).label("logged"))
             .where(*time_scope()).group_by(billed, TimeEntry.hourly_rate).subquery())
    priced = pairs.c.rate.is_not(None)
    amount = time_cents(pairs.c.billed, rate_cents(pairs.c.rate), RATE_SCALE)
    columns = [func.sum(pairs.c.n).filter(priced), func.sum(pairs.c.id_sum).filter(priced),
               func.max(pairs.c.id_max).filter(priced), func.sum(pairs.c.n * amount),
               func.sum(pairs.c.n).filter(~priced), func.sum(pairs.c.logged).filter(~priced)]
    if terms is not None:
        taxed = amount * terms[0]
        columns += [func.sum(pairs.c.n * half_up(taxed, terms[1])),
                    func.sum(pairs.c.n).filter(half_cent_tie(taxed, terms[1]))]
    return select(*columns)


@cache
def _first_entries() -> Select[*tuple[Any, ...]]:
    """The first entries by date (the index on uninvoiced entries by date reads them in order, no sort)."""
    return (select(TimeEntry.id, Member.display_name, TimeEntry.member_id, TimeEntry.project_id,
                   TimeEntry.work_date, TimeEntry.minutes, TimeEntry.description, TimeEntry.hourly_rate)
            .join(Member, Member.id == TimeEntry.member_id)
            .where(*time_scope(), TimeEntry.hourly_rate.is_not(None))
            .order_by(TimeEntry.work_date, TimeEntry.id).limit(bindparam("shown")))


def _by_entry(session: Session, params: dict[str, Any], projects: Mapping[int, Project], rule: RoundingRule,
              kind: LineAmountType, tax_rate: Decimal, shown: int) -> Summary:
    terms = tax_terms(kind, tax_rate)
    row = session.connection().execute(_entry_totals(rule, terms), params).one()
    count, id_sum, id_max, line_cents, unpriced, unpriced_minutes = (int(x or 0) for x in row[:6])
    tax_cents, ties = (int(x or 0) for x in row[6:]) if terms is not None else (0, 0)
    rows = [_entry_row(r, projects)
            for r in session.connection().execute(_first_entries(), {**params, "shown": shown})]
    subtotal, tax, total = summed(kind, line_cents, tax_cents)
    return Summary(group_entries(rows, Grouping.ENTRY, rule), count, Totals(subtotal, tax, total, ()),
                   EntryTally(count, id_sum, id_max), ties, None, unpriced, unpriced_minutes)


def _entry_row(row: Any, projects: Mapping[int, Project]) -> EntryRow:
    entry_id, name, member_id, project_id, day, minutes, text, rate = row
    project = projects[project_id]
    return EntryRow(entry_id, name or "", project_id, project.name, project.code, day, minutes, text or "", rate,
                    member_id)


# ---- by project, date or member ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Part:
    """The entries of one group at one rate: what its line needs."""

    count: int = 0
    id_sum: int = 0
    id_max: int = 0
    logged: int = 0
    billed: int = 0
    first: date = date.max
    last: date = date.min
    project_ids: set[int] = field(default_factory=set)


_MEMBER_NAMES = select(Member.id, Member.display_name).where(Member.workspace_id == bindparam("workspace_id"))


def _member_names(session: Session, workspace_id: int, kept: Stamped) -> Mapping[int, str]:
    """Every member's name (display names are kept under the stamp: migration 0020 restamps on a change)."""
    def read() -> Mapping[int, str]:
        rows = session.connection().execute(_MEMBER_NAMES, {"workspace_id": workspace_id})
        return MappingProxyType({member_id: name or "" for member_id, name in rows})

    return kept.get("member_names", read)


@lru_cache(maxsize=64)
def _group_totals(grouping: Grouping, rule: RoundingRule, join_names: bool = True) -> Select[*tuple[Any, ...]]:
    """One row per (group, rate): entries, id sum and largest id, logged and billed minutes; by project also the
    first and last date; by member the member's name and the projects (a member's line names them, and a line's
    projects decide its item and tracking — by date the shown lines' projects come with their descriptions,
    ``date_texts``). Entries without a rate come as rows whose rate is NULL."""
    sums = [func.count().label("n"), func.sum(TimeEntry.id).label("id_sum"), func.max(TimeEntry.id).label("id_max"),
            func.sum(TimeEntry.minutes).label("logged"),
            func.sum(billed_minutes(rule, TimeEntry.minutes)).label("billed")]
    if grouping is Grouping.PROJECT:
        return (select(TimeEntry.project_id, TimeEntry.hourly_rate, *sums, func.min(TimeEntry.work_date),
                       func.max(TimeEntry.work_date))
                .where(*time_scope()).group_by(TimeEntry.project_id, TimeEntry.hourly_rate))
    if grouping is Grouping.DATE:  # and the latest change: the version of a day's entries (``date_texts``)
        return (select(TimeEntry.work_date, TimeEntry.hourly_rate, *sums, func.max(TimeEntry.updated_at))
                .where(*time_scope()).group_by(TimeEntry.work_date, TimeEntry.hourly_rate))
    # By member: per project first, then per member, the name joined to the few aggregated rows (not the entries).
    per_project = (select(TimeEntry.member_id, TimeEntry.project_id, TimeEntry.hourly_rate, *sums)
                   .where(*time_scope()).group_by(TimeEntry.member_id, TimeEntry.project_id, TimeEntry.hourly_rate)
                   .subquery())
    part = per_project.c

    def total(column: Any) -> Any:  # PostgreSQL sums bigints as numeric: read back as Decimals, row by row
        return cast(func.sum(column), BigInteger)

    member_sums = (part.member_id, part.hourly_rate, total(part.n), total(part.id_sum), func.max(part.id_max),
                   total(part.logged), total(part.billed))
    project_list = func.aggregate_strings(cast(part.project_id, String), ",")
    if not join_names:  # the names kept apart (``_member_names``): the join cost ~0.2 ms of ~3.5
        return select(*member_sums, project_list).group_by(part.member_id, part.hourly_rate)
    return (select(*member_sums, project_list, Member.display_name)
            .join(Member, Member.id == part.member_id)
            .group_by(part.member_id, Member.display_name, part.hourly_rate))


def _by_group(session: Session, params: dict[str, Any], projects: Mapping[int, Project], grouping: Grouping,
              rule: RoundingRule, kind: LineAmountType, tax_rate: Decimal, shown: int,
              kept: Stamped | None) -> Summary:
    groups: dict[Any, dict[Decimal, _Part]] = defaultdict(dict)
    by_member = grouping is Grouping.MEMBER
    joined: dict[int, str] = {}  # by member, the names read with the sums when none are kept
    names: Mapping[int, str] = _member_names(session, params["scope_workspace"], kept) \
        if by_member and kept is not None else joined
    changed: dict[tuple[Any, Decimal], datetime] = {}  # by date: each (day, rate)'s latest change
    unpriced = _Part()
    for row in session.connection().execute(_group_totals(grouping, rule, kept is None), params):
        group, rate, count, id_sum, id_max, logged, billed = row[:7]
        part = unpriced if rate is None else groups[group].setdefault(rate, _Part())
        part.count += count
        part.id_sum += int(id_sum)
        part.id_max = max(part.id_max, id_max)
        part.logged += int(logged)
        part.billed += int(billed)
        if grouping is Grouping.PROJECT:
            part.first, part.last = row[7], row[8]
            part.project_ids.add(group)
        elif by_member:
            part.project_ids.update(map(int, row[7].split(",")))
            if kept is None:
                joined[group] = row[8] or ""
        elif rate is not None:
            changed[(group, rate)] = row[7]

    def order(group: Any) -> tuple[object, ...]:
        if grouping is Grouping.PROJECT:
            return project_order(projects[group].name, group)
        if grouping is Grouping.MEMBER:
            return member_order(names.get(group, ""), group)
        return (group,)

    def about(group: Any) -> str:
        if grouping is Grouping.PROJECT:
            return subject(grouping, projects[group].name, date.min, "")
        if grouping is Grouping.MEMBER:
            return subject(grouping, "", date.min, names.get(group, ""))
        return subject(grouping, "", group, "")

    in_order = sorted(groups, key=order)
    ordered = [(group, rate, groups[group][rate]) for group in in_order for rate in sorted(groups[group], reverse=True)]
    notes = {g: split_note(about(g), sorted(groups[g], reverse=True)) for g in in_order if len(groups[g]) > 1}
    texts = date_texts(session, params, params["scope_workspace"], [
        Group(day, rate, part.count, part.id_sum, part.id_max, changed.get((day, rate)))
        for day, rate, part in ordered[:shown]]) if grouping is Grouping.DATE else {}
    lines: list[Line] = []
    for group, rate, part in ordered[:shown]:
        project_ids = sorted(part.project_ids)
        if grouping is Grouping.PROJECT:
            description = project_description(projects[group].name, projects[group].code, part.first, part.last)
        elif grouping is Grouping.DATE:
            said, logged_in = texts.get((group, rate), ((), ()))
            project_ids = sorted(set(logged_in))
            description = unique_date_description(group, said, (projects[p].name for p in logged_in))
        else:
            description = member_description(names.get(group, ""), [projects[p].name for p in project_ids])
        lines.append(time_line(description, part.billed, rate, project_ids=tuple(project_ids),
                               logged_minutes=part.logged, note=notes.get(group, "")))
    rates = {rate: ratio(rate) for rate in {rate for _, rate, _ in ordered}}
    figures = cents_totals([time_cents(part.billed, *rates[rate]) for _, rate, part in ordered], kind, tax_rate)
    tally = EntryTally(sum(p.count for _, _, p in ordered), sum(p.id_sum for _, _, p in ordered),
                       max((p.id_max for _, _, p in ordered), default=0))
    return Summary(tuple(lines), len(ordered), figures, tally, len(figures.tie_lines), figures.tie_lines,
                   unpriced.count, unpriced.logged, tuple(notes.values()))
