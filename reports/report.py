"""The report use case: a period, a grouping and filters in, the figures a person may see out.

Managers, admins and the owner see everyone's time and money. A member sees only their own hours (no money, no
retainer or budget figures): their report is scoped to themselves, and a request that names someone else, or
asks for the team's money, is refused with the role it needs (``team.roles.require``), whichever surface it came
from. Ids arrive as payload values and are looked up in the caller's workspace only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from catalog.rounding import RoundingRule
from catalog.rounding_settings import stored_rule, workspace_rounding
from errors import NotFound
from formats import DEFAULT, Formats
from invoicing.selection import Period
from reports.budgets import FixedBudget, RetainerMonth, fixed_budgets, retainer_months
from reports.figures import Figures, Key, RuleSet, Scope, aggregate, week_of
from reports.periods import PeriodKind, months_in, resolve
from storage.ids import payload_id
from storage.models import BillingMode, Client, Member, Project, TimeEntry, Workspace
from team.formats import workspace_formats
from team.members import require_active
from team.roles import Permission, allows, require

SEE_REPORTS = "see reports"


class ReportGrouping(StrEnum):
    CLIENT = "client"  # with each client's projects as a second level
    PROJECT = "project"
    MEMBER = "member"
    WEEK = "week"


@dataclass(frozen=True)
class ReportRequest:
    """What the person asked for; ids as they arrived (looked up in the caller's workspace)."""

    period: PeriodKind = PeriodKind.THIS_WEEK
    grouping: ReportGrouping = ReportGrouping.CLIENT
    start: date | None = None  # a custom range
    end: date | None = None
    client_id: object = None
    project_id: object = None
    member_id: object = None


@dataclass
class ReportRow:
    key: object  # a client, project or member id, or a week's Monday
    label: str
    figures: Figures = field(default_factory=Figures)
    code: str = ""  # a project's code
    children: list[ReportRow] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    request: ReportRequest
    period: Period
    rows: tuple[ReportRow, ...]
    total: Figures
    money: bool  # False: a member's own report (hours only)
    retainers: tuple[RetainerMonth, ...] = ()
    budgets: tuple[FixedBudget, ...] = ()
    filters: tuple[str, ...] = ()  # "Client: Acme", ... in the order client, project, member
    formats: Formats = DEFAULT  # how the workspace reads money and dates (team/formats.py)


@dataclass(frozen=True)
class ClientInfo:
    id: int
    name: str


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    client_id: int
    name: str
    code: str
    billing_mode: str
    archived: bool
    retainer_included_minutes: int | None
    overage_rate: Decimal | None
    budget_amount: Decimal | None


@dataclass(frozen=True)
class MemberInfo:
    id: int
    display_name: str
    slack_user_id: str

    @property
    def name(self) -> str:
        return self.display_name or self.slack_user_id


@dataclass(frozen=True)
class Catalog:
    """The workspace's clients, projects and members a report names (a few hundred rows at most, read as plain
    columns), and the rounding rules in force."""

    clients: Mapping[int, ClientInfo]
    projects: Mapping[int, ProjectInfo]
    members: Mapping[int, MemberInfo]
    rules: Mapping[int, RoundingRule]  # client id → the rounding rule in force
    rule_set: RuleSet
    approved_only: bool = False  # the workspace invoices approved time only


def load_catalog(session: Session, workspace_id: int) -> Catalog:
    # held while the catalog is read: the session keeps a loaded row only while something refers to it, and the
    # rounding and the approved-only setting both come from this one
    workspace = session.get(Workspace, workspace_id)
    default = workspace_rounding(session, workspace_id)
    clients: dict[int, ClientInfo] = {}
    rules: dict[int, RoundingRule] = {}
    for client_id, name, mode, minutes in session.execute(
            select(Client.id, Client.name, Client.rounding_mode, Client.rounding_minutes)
            .where(Client.workspace_id == workspace_id)):
        clients[client_id] = ClientInfo(client_id, name)
        rules[client_id] = default if mode is None else stored_rule(mode, minutes)
    projects = {row[0]: ProjectInfo(*row) for row in session.execute(
        select(Project.id, Project.client_id, Project.name, Project.code, Project.billing_mode, Project.archived,
               Project.retainer_included_minutes, Project.overage_rate, Project.budget_amount)
        .where(Project.workspace_id == workspace_id))}
    members = {row[0]: MemberInfo(row[0], row[1] or "", row[2]) for row in session.execute(
        select(Member.id, Member.display_name, Member.slack_user_id).where(Member.workspace_id == workspace_id))}
    return Catalog(clients, projects, members, rules, RuleSet.of(default, rules),
                   bool(workspace is not None and workspace.invoice_approved_only))


def _found(rows: Mapping[int, object], raw: object, what: str) -> int | None:
    if raw is None or raw == "":
        return None
    wanted = payload_id(raw)
    if wanted is None or wanted not in rows:
        raise NotFound(f"I can't find that {what}.")
    return wanted


def sees_team(actor: Member) -> bool:
    return allows(actor, Permission.SEE_TEAM_REPORTS)


def report_scope(session: Session, actor: Member, request: ReportRequest, today: date,
                 catalog: Catalog) -> tuple[Scope, bool]:
    """The entries the actor may see for ``request``, and whether money is shown; refuses what the role forbids."""
    require_active(actor, SEE_REPORTS)
    team = sees_team(actor)
    member_id = _found(catalog.members, request.member_id, "person")
    if not team:
        if member_id not in (None, actor.id):
            require(actor, Permission.SEE_TEAM_REPORTS)  # refuses, naming the role needed
        member_id = actor.id
    period = resolve(request.period, today, request.start, request.end)
    scope = Scope(actor.workspace_id, period, _found(catalog.clients, request.client_id, "client"),
                  _found(catalog.projects, request.project_id, "project"), member_id, catalog.approved_only)
    return scope, team


def require_team_money(actor: Member) -> None:
    """The team's money (a CSV of everyone's entries, budgets, a chart by member) is for managers and above."""
    require(actor, Permission.SEE_TEAM_REPORTS)


_KEYS = {ReportGrouping.CLIENT: (Key.CLIENT, Key.PROJECT), ReportGrouping.PROJECT: (Key.PROJECT,),
         ReportGrouping.MEMBER: (Key.MEMBER,), ReportGrouping.WEEK: (Key.DATE,)}


def _label(grouping: ReportGrouping, key: object, catalog: Catalog, formats: Formats) -> tuple[str, str]:
    if grouping is ReportGrouping.CLIENT:
        client = catalog.clients.get(key)  # type: ignore[call-overload]
        return (client.name if client else "?"), ""
    if grouping is ReportGrouping.PROJECT:
        project = catalog.projects.get(key)  # type: ignore[call-overload]
        return (project.name, project.code) if project else ("?", "")
    if grouping is ReportGrouping.MEMBER:
        member = catalog.members.get(key)  # type: ignore[call-overload]
        return (member.name if member else "?"), ""
    assert isinstance(key, date)
    return f"Week of {formats.full_date(key)}", ""


def _order(grouping: ReportGrouping, row: ReportRow) -> tuple[object, ...]:
    if grouping is ReportGrouping.WEEK:
        return (row.key,)
    return (row.label.casefold(), row.code.casefold(), row.key)


def _worked_projects(session: Session, scope: Scope, candidates: Sequence[int]) -> set[int]:
    """Which of the retainer and fixed-budget projects ``candidates`` (already within the scope's client and
    project) have time in the scope: one EXISTS per project, each stopping at its first entry on the
    (workspace, project, …) index, rather than reading every entry of the period (a year by week read all of
    them a second time for this)."""
    if not candidates:
        return set()
    entry = select(TimeEntry.id).where(TimeEntry.workspace_id == scope.workspace_id,
                                       TimeEntry.project_id == Project.id, TimeEntry.work_date >= scope.period.start,
                                       TimeEntry.work_date <= scope.period.end)
    if scope.member_id is not None:
        entry = entry.where(TimeEntry.member_id == scope.member_id)
    return set(session.scalars(select(Project.id).where(Project.workspace_id == scope.workspace_id,
                                                        Project.id.in_(list(candidates)), exists(entry))))


def build_report(session: Session, actor: Member, request: ReportRequest, today: date) -> Report:
    """The report ``request`` asks for, as ``actor`` may see it (``today``: the actor's own today)."""
    catalog = load_catalog(session, actor.workspace_id)
    scope, money = report_scope(session, actor, request, today, catalog)
    formats = workspace_formats(session, actor.workspace_id)
    grouping = request.grouping
    rows: dict[object, ReportRow] = {}
    total = Figures()
    for key, figures in aggregate(session, scope, _KEYS[grouping], catalog.rule_set):
        if not money:  # a member's own report carries hours only
            figures.value_cents = figures.invoiced_cents = figures.unapproved_cents = 0
        top = week_of(key[0]) if grouping is ReportGrouping.WEEK else key[0]
        row = rows.get(top)
        if row is None:
            label, code = _label(grouping, top, catalog, formats)
            row = rows[top] = ReportRow(top, label, code=code)
        row.figures.add(figures)
        total.add(figures)
        if grouping is ReportGrouping.CLIENT:
            project = catalog.projects.get(key[1])
            child = next((c for c in row.children if c.key == key[1]), None)
            if child is None:
                child = ReportRow(key[1], project.name if project else "?", code=project.code if project else "")
                row.children.append(child)
            child.figures.add(figures)
    for row in rows.values():
        row.children.sort(key=lambda c: _order(ReportGrouping.PROJECT, c))
    ordered = tuple(sorted(rows.values(), key=lambda r: _order(grouping, r)))
    retainers: list[RetainerMonth] = []
    budgets: list[FixedBudget] = []
    if money:
        in_scope = [p for p in catalog.projects.values()
                    if (scope.client_id is None or p.client_id == scope.client_id)
                    and (scope.project_id is None or p.id == scope.project_id)]
        budgeted = [p.id for p in in_scope if p.billing_mode != BillingMode.HOURLY.value]
        worked = _worked_projects(session, scope, budgeted) if grouping is not ReportGrouping.CLIENT else {
            c.key for r in ordered for c in r.children}
        shown = [p for p in in_scope if p.id in worked]  # the budgets of the projects worked on in the period
        retainers = retainer_months(session, actor.workspace_id,
                                    [p for p in shown if p.billing_mode == BillingMode.RETAINER.value],
                                    months_in(scope.period), catalog.rule_set)
        budgets = fixed_budgets(session, actor.workspace_id,
                                [p for p in shown if p.billing_mode == BillingMode.FIXED_BUDGET.value])
    filters = []
    if scope.client_id is not None:
        filters.append(f"Client: {catalog.clients[scope.client_id].name}")
    if scope.project_id is not None:
        filters.append(f"Project: {catalog.projects[scope.project_id].name}")
    if scope.member_id is not None and money:
        filters.append(f"Person: {catalog.members[scope.member_id].name}")
    return Report(request, scope.period, ordered, total, money, tuple(retainers), tuple(budgets), tuple(filters),
                  formats)
