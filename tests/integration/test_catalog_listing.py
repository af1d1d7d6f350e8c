"""Home's catalog page read in SQL (catalog/listing.py) on the real database: for every page, archived clients and
projects hidden or listed, it is the page ``page_of`` cuts from the whole catalog — the same clients in name order,
the same projects in code order, the same counts, member rates counted for active people of the workspace only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.listing import ROWS_PER_PAGE, page_of, read_catalog_page
from catalog.projects import Catalog, ClientSummary, ProjectSummary
from catalog.rounding import RoundingMode, RoundingRule
from errors import PermissionDenied
from storage.db import Database
from storage.models import BillingMode, Member, ProjectMemberRate, Role
from storage.types import utcnow
from tests.support.catalog import make_client, make_member, make_project, make_workspace

# Projects per client, in the order the clients are created (their names sort otherwise): pages end inside a
# client's projects, at a client's own row, and on a client with none.
SIZES = (3, 0, 45, 1, 80, 2, 39, 38, 0, 5, 1, 117, 4)
WORKSPACE_RULE = RoundingRule(RoundingMode.UP, 15)


def _seed(db: Database) -> tuple[int, Catalog]:
    """The workspace's owner id and its catalog as Home lists it whole (a second workspace's rows beside it)."""
    clients: list[ClientSummary] = []
    with db.session() as s:
        workspace = make_workspace(s)
        workspace.rounding_mode, workspace.rounding_minutes = WORKSPACE_RULE.mode.value, WORKSPACE_RULE.minutes
        owner = make_member(s, workspace, "UOWNER", role=Role.OWNER)
        gone = make_member(s, workspace, "UGONE")
        gone.deactivated_at = utcnow()
        other = make_workspace(s, "T0OTHER", "Other")
        make_project(s, make_client(s, other, "Aaa other"), "zz-other")
        for c, size in enumerate(SIZES):
            archived = c % 5 == 4
            client = make_client(s, workspace, f"Client {(c * 7) % len(SIZES):02d}", archived=archived)
            if c % 3 == 1:
                client.rounding_mode, client.rounding_minutes = "nearest", 6
            projects = []
            for j in range(size):
                mode = (BillingMode.HOURLY, BillingMode.RETAINER, BillingMode.FIXED_BUDGET)[j % 3]
                project = make_project(s, client, f"c{c}-{(j * 7919) % 1009:04d}", hourly_rate="120.00",
                                       billing_mode=mode, included_hours=40 if mode is BillingMode.RETAINER else None,
                                       budget="5000.00" if mode is BillingMode.FIXED_BUDGET else None,
                                       billable_default=j % 4 != 0, archived=j % 6 == 5)
                if mode is BillingMode.RETAINER:
                    project.retainer_amount = Decimal("4000.00")
                rates = 0
                if j % 5 == 0:
                    s.add(ProjectMemberRate(workspace_id=workspace.id, project_id=project.id, member_id=owner.id,
                                            hourly_rate=Decimal("150.00")))
                    rates = 1
                if j % 10 == 0:  # a deactivated person's rate is not counted
                    s.add(ProjectMemberRate(workspace_id=workspace.id, project_id=project.id, member_id=gone.id,
                                            hourly_rate=Decimal("90.00")))
                projects.append(ProjectSummary(
                    project.id, project.code, project.name, mode, Decimal("120.00"), project.retainer_amount,
                    project.retainer_included_minutes, None, project.budget_amount, None, project.billable_default,
                    project.archived, rates))
            projects.sort(key=lambda p: (p.code.lower(), p.id))
            clients.append(ClientSummary(client.id, client.name, archived,
                                         RoundingRule(RoundingMode.NEAREST, 6) if c % 3 == 1 else None,
                                         tuple(projects)))
        clients.sort(key=lambda client: (client.name.lower(), client.id))
        return owner.id, Catalog(tuple(clients), WORKSPACE_RULE)


@pytest.mark.parametrize("show_all", [False, True])
def test_each_page_read_in_sql_is_the_page_cut_from_the_whole_catalog(db: Database, show_all: bool) -> None:
    owner_id, whole = _seed(db)
    pages = page_of(whole, 0, show_all).pages
    assert pages > 4
    with db.session() as s:
        owner = s.get(Member, owner_id)
        assert owner is not None
        for number in [*range(pages), pages + 5]:
            read = read_catalog_page(s, owner, WORKSPACE_RULE, number, show_all)
            assert read == page_of(whole, number, show_all)
            assert sum(1 + len(client.projects) for client in read.clients) <= ROWS_PER_PAGE + 1


def test_an_empty_catalog_has_no_pages_and_members_may_not_read_it(db: Database) -> None:
    with db.session() as s:
        workspace = make_workspace(s)
        owner = make_member(s, workspace, "UOWNER", role=Role.OWNER)
        member = make_member(s, workspace, "UMEMBER")
        assert read_catalog_page(s, owner, WORKSPACE_RULE) == page_of(Catalog((), WORKSPACE_RULE))
        with pytest.raises(PermissionDenied):
            read_catalog_page(s, member, WORKSPACE_RULE)
