"""The catalog as Home lists it: one page of clients and projects, found and read in SQL.

Rows are a client's own row then its projects (by code), clients by name; a page holds `ROWS_PER_PAGE` rows, and a
page starting inside a client's projects repeats the client's row ("continued"), which takes a row of its own.
Where each page starts depends only on how many projects each client lists, so Home reads those counts (one small
row per client), finds the page asked for, and reads only that page's clients and projects (at most
`ROWS_PER_PAGE` rows) — a workspace may hold thousands. `page_of` cuts the same page from a whole `Catalog`: the
two agree for any shape (tests/integration/test_catalog_listing.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from catalog.projects import Catalog, ClientSummary, ProjectSummary
from catalog.rounding import RoundingRule
from catalog.rounding_settings import stored_rule
from storage.models import BillingMode, Client, Member, Project, ProjectMemberRate
from team.members import active_members
from team.roles import Permission, require

ROWS_PER_PAGE = 40  # client and project rows per Home page: with the rest of Home, well under 100 blocks

Start = tuple[int, int]  # where a page starts: (client index, project index; -1 for the client's own row)
Span = tuple[int, int, int]  # one client on a page: (client index, first project index, end project index)


class ClientCount(NamedTuple):
    """A client of the workspace (in catalog order) and how many projects it has, active and archived."""

    id: int
    archived: bool
    active_projects: int
    archived_projects: int


class PageClient(NamedTuple):
    """A client on the page shown, with the counts its row states and only the page's projects."""

    id: int
    name: str
    archived: bool
    rounding: RoundingRule | None  # None: follows the workspace
    active_projects: int
    archived_projects: int  # the archived projects listed (0 while archived ones are hidden)
    projects: tuple[ProjectSummary, ...] = ()


@dataclass(frozen=True)
class CatalogPage:
    """What the "Clients & projects" section shows: the workspace's counts and one page of rows."""

    rounding: RoundingRule  # the workspace default
    show_all: bool  # archived clients and projects listed too
    active_clients: int = 0
    active_projects: int = 0  # active projects of active clients
    archived_clients: int = 0
    archived_projects: int = 0  # every other project (archived, or of an archived client)
    page: int = 0  # the page shown, within the pages that exist
    pages: int = 0
    continued: bool = False  # the page starts inside its first client's projects: that client's row repeats
    clients: tuple[PageClient, ...] = ()
    projects_before: int = 0  # projects listed on the pages before this one

    @property
    def listed_clients(self) -> int:
        return self.active_clients + (self.archived_clients if self.show_all else 0)

    @property
    def listed_projects(self) -> int:
        return self.active_projects + (self.archived_projects if self.show_all else 0)


# ---- finding a page from the per-client counts (pure) ------------------------------------------------------


def page_starts(sizes: Sequence[int], per_page: int = ROWS_PER_PAGE) -> list[Start]:
    """Where each page starts when client ``c`` lists ``sizes[c]`` projects (``per_page`` ≥ 2)."""
    starts: list[Start] = []
    filled = per_page  # the first row opens a page
    for c, size in enumerate(sizes):
        if filled >= per_page:
            starts.append((c, -1))
            filled = 0
        filled += 1
        left, at = size, 0
        while left:
            if filled >= per_page:  # the page is full inside this client's projects: the next repeats its row
                starts.append((c, at))
                filled = 1
            taken = min(max(per_page - filled, 1), left)
            filled, at, left = filled + taken, at + taken, left - taken
    return starts


def page_span(sizes: Sequence[int], start: Start, per_page: int = ROWS_PER_PAGE) -> list[Span]:
    """The clients of the page that begins at ``start``, each with the range of its projects the page lists."""
    first, at = start
    spans: list[Span] = []
    filled = 0
    for c in range(first, len(sizes)):
        if filled >= per_page:
            break
        low = max(at, 0) if c == first else 0
        listed = min(sizes[c] - low, per_page - filled - 1)
        spans.append((c, low, low + listed))
        filled += 1 + listed
    return spans


def _page(counts: Sequence[ClientCount], rounding: RoundingRule, page: int, show_all: bool, per_page: int,
          read: Callable[[list[tuple[ClientCount, int, int]]], list[PageClient]]) -> CatalogPage:
    """The page asked for (brought within the pages that exist), its rows read by ``read`` from the spans."""
    listed = [c for c in counts if show_all or not c.archived]
    sizes = [c.active_projects + c.archived_projects if show_all else c.active_projects for c in listed]
    active_clients = sum(1 for c in counts if not c.archived)
    active_projects = sum(c.active_projects for c in counts if not c.archived)
    every_project = sum(c.active_projects + c.archived_projects for c in counts)
    starts = page_starts(sizes, per_page)
    page = min(max(page, 0), max(len(starts) - 1, 0))
    counted = CatalogPage(rounding, show_all, active_clients, active_projects, len(counts) - active_clients,
                          every_project - active_projects)
    if not starts:
        return counted
    first, at = starts[page]
    spans = [(listed[c], low, end) for c, low, end in page_span(sizes, (first, at), per_page)]
    return replace(counted, page=page, pages=len(starts), continued=at >= 0, clients=tuple(read(spans)),
                   projects_before=sum(sizes[:first]) + max(at, 0))


# ---- the same page cut from a whole catalog ---------------------------------------------------------------


def page_of(catalog: Catalog, page: int = 0, show_all: bool = False, per_page: int = ROWS_PER_PAGE) -> CatalogPage:
    """The page ``read_catalog_page`` reads, cut from a catalog held whole."""
    by_id = {c.id: c for c in catalog.clients}
    counts = [ClientCount(c.id, c.archived, sum(1 for p in c.projects if not p.archived),
                          sum(1 for p in c.projects if p.archived)) for c in catalog.clients]

    def cut(spans: list[tuple[ClientCount, int, int]]) -> list[PageClient]:
        rows = []
        for count, low, end in spans:
            client: ClientSummary = by_id[count.id]
            projects = client.projects if show_all else tuple(p for p in client.projects if not p.archived)
            rows.append(PageClient(client.id, client.name, client.archived, client.rounding, count.active_projects,
                                   count.archived_projects if show_all else 0, projects[low:end]))
        return rows

    return _page(counts, catalog.rounding, page, show_all, per_page, cut)


# ---- reading it ------------------------------------------------------------------------------------------


@cache
def _counts_statement() -> Select[int, bool, int, int]:
    """Every client of the workspace in catalog order with its active and archived project counts."""
    workspace_id: BindParameter[int] = bindparam("workspace_id")
    return (select(Client.id, Client.archived, func.count(Project.id).filter(Project.archived.is_(False)),
                   func.count(Project.id).filter(Project.archived.is_(True)))
            .outerjoin(Project, and_(Project.client_id == Client.id, Project.workspace_id == workspace_id))
            .where(Client.workspace_id == workspace_id)
            .group_by(Client.id).order_by(Client.name_key, Client.id))


@cache
def _rows_statement(show_all: bool) -> Select[*tuple[Any, ...]]:
    """The page's clients (`ids`) with the projects the page lists: the first client's after its `low` first,
    the last client's up to its `end`; member-rate counts for those projects only. Built once per
    `show_all`, everything else bound at execution."""
    workspace_id: BindParameter[int] = bindparam("workspace_id")
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    where = [Project.workspace_id == workspace_id, Project.client_id.in_(ids)]
    if not show_all:
        where.append(Project.archived.is_(False))
    ranked = (select(Project.client_id, Project.id, Project.code, Project.name, Project.billing_mode,
                     Project.hourly_rate, Project.retainer_amount, Project.retainer_included_minutes,
                     Project.overage_rate, Project.budget_amount, Project.slack_channel_id, Project.billable_default,
                     Project.archived,
                     func.row_number().over(partition_by=Project.client_id,
                                            order_by=(Project.code_key, Project.id)).label("at"))
              .where(*where).subquery())
    rates = (select(func.count()).select_from(ProjectMemberRate)
             .join(Member, Member.id == ProjectMemberRate.member_id)
             .where(ProjectMemberRate.project_id == ranked.c.id, ProjectMemberRate.workspace_id == workspace_id,
                    Member.workspace_id == workspace_id, active_members())  # as the rates modal lists them
             .scalar_subquery())
    listed = and_(ranked.c.client_id == Client.id,
                  or_(Client.id != bindparam("first"), ranked.c.at > bindparam("low")),
                  or_(Client.id != bindparam("last"), ranked.c.at <= bindparam("end")))
    project_columns = [column for column in ranked.c if column.key not in ("client_id", "at")]
    return (select(Client.id, Client.name, Client.archived, Client.rounding_mode, Client.rounding_minutes,
                   *project_columns, rates)
            .outerjoin(ranked, listed)
            .where(Client.workspace_id == workspace_id, Client.id.in_(ids))
            .order_by(Client.name_key, Client.id, ranked.c.at))


def read_catalog_page(session: Session, actor: Member, rounding: RoundingRule, page: int = 0,
                 show_all: bool = False) -> CatalogPage:
    """Page `page` of the actor's workspace's catalog (a page past the end shows the last one); `rounding`: the
    workspace default. Two statements: the per-client counts, then the page's rows."""
    require(actor, Permission.MANAGE_CATALOG)
    workspace_id = actor.workspace_id
    counts = [ClientCount._make(row) for row in session.execute(_counts_statement(), {"workspace_id": workspace_id})]

    def read(spans: list[tuple[ClientCount, int, int]]) -> list[PageClient]:
        (first, low, _), (last, _, end) = spans[0], spans[-1]
        params = {"workspace_id": workspace_id, "ids": [count.id for count, _, _ in spans], "first": first.id,
                  "low": low, "last": last.id, "end": end}
        projects: dict[int, list[ProjectSummary]] = {}
        clients: dict[int, tuple[str, bool, RoundingRule | None]] = {}
        for client_id, name, archived, mode, minutes, project_id, *values in session.execute(
                _rows_statement(show_all), params):
            if client_id not in clients:
                clients[client_id] = (name, archived, None if mode is None else stored_rule(mode, minutes))
                projects[client_id] = []
            if project_id is not None:
                values[2] = BillingMode(values[2])
                projects[client_id].append(ProjectSummary(project_id, *values))
        return [PageClient(count.id, *clients[count.id], count.active_projects,
                           count.archived_projects if show_all else 0, tuple(projects[count.id]))
                for count, _, _ in spans]

    return _page(counts, rounding, page, show_all, ROWS_PER_PAGE, read)
