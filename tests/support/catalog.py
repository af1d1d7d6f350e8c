"""Workspaces, members, clients, projects and invoices for tests, created directly through the models.

Everything takes an open session and flushes, so ids are available at once. `seed_world` builds the standard
world most integration tests start from and returns the ids only: tests load fresh rows in each transaction
(`db.session()`), never reuse objects across sessions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import (
    BillingMode,
    Client,
    Invoice,
    Member,
    Project,
    ProjectMemberRate,
    Role,
    TimeEntry,
    Workspace,
)
from tests.support.workspace import TEAM

_numbers = itertools.count(1)


def _money(value: Decimal | str | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def make_workspace(session: Session, team_id: str = "T0HOURCAP", name: str = "Acme Studio") -> Workspace:
    workspace = Workspace(slack_team_id=team_id, name=name)
    session.add(workspace)
    session.flush()
    return workspace


def make_member(session: Session, workspace: Workspace | int, slack_user_id: str, *, timezone: str = "UTC",
                default_rate: Decimal | str | None = None, role: Role = Role.MEMBER,
                display_name: str = "") -> Member:
    member = Member(workspace_id=_id(workspace), slack_user_id=slack_user_id, timezone=timezone, role=role.value,
                    default_rate=_money(default_rate), display_name=display_name or slack_user_id)
    session.add(member)
    session.flush()
    return member


def make_client(session: Session, workspace: Workspace | int, name: str = "Acme", *, archived: bool = False) -> Client:
    client = Client(workspace_id=_id(workspace), name=name, name_key=" ".join(name.split()).lower(),
                    archived=archived)
    session.add(client)
    session.flush()
    return client


def make_project(session: Session, client: Client, code: str, name: str | None = None, *,
                 hourly_rate: Decimal | str | None = None, billable_default: bool = True,
                 billing_mode: BillingMode = BillingMode.HOURLY, included_hours: int | None = None,
                 overage_rate: Decimal | str | None = None, budget: Decimal | str | None = None,
                 archived: bool = False) -> Project:
    project = Project(
        workspace_id=client.workspace_id, client_id=client.id, name=name or code.title(), code=code,
        code_key=code.lower(), hourly_rate=_money(hourly_rate), billable_default=billable_default,
        billing_mode=billing_mode.value,
        retainer_included_minutes=None if included_hours is None else included_hours * 60,
        overage_rate=_money(overage_rate), budget_amount=_money(budget), archived=archived,
    )
    session.add(project)
    session.flush()
    return project


def set_member_rate(session: Session, project: Project | int, member: Member | int,
                    rate: Decimal | str) -> ProjectMemberRate:
    project_row = project if isinstance(project, Project) else session.get(Project, project)
    assert project_row is not None
    row = ProjectMemberRate(workspace_id=project_row.workspace_id, project_id=project_row.id,
                            member_id=_id(member), hourly_rate=_money(rate))
    session.add(row)
    session.flush()
    return row


def make_invoice(session: Session, client: Client | int, *, invoice_date: date = date(2024, 3, 31)) -> Invoice:
    client_row = client if isinstance(client, Client) else session.get(Client, client)
    assert client_row is not None
    number = next(_numbers)
    invoice = Invoice(workspace_id=client_row.workspace_id, client_id=client_row.id, number=number,
                      reference=f"INV-{number:04d}", invoice_date=invoice_date,
                      due_date=invoice_date + timedelta(days=14))
    session.add(invoice)
    session.flush()
    return invoice


def add_entry(session: Session, member: Member, project: Project | int, work_date: date, minutes: int, *,
              billable: bool = True, hourly_rate: Decimal | str | None = None, description: str = "") -> TimeEntry:
    """An entry stored as is, bypassing the use cases (for rows they would refuse to create, e.g. future ones)."""
    entry = TimeEntry(workspace_id=member.workspace_id, member_id=member.id, project_id=_id(project),
                      work_date=work_date, minutes=minutes, billable=billable, hourly_rate=_money(hourly_rate),
                      description=description)
    session.add(entry)
    session.flush()
    return entry


def _id(row: Workspace | Member | Project | int) -> int:
    return row if isinstance(row, int) else row.id


@dataclass(frozen=True)
class World:
    """Ids of the standard test world.

    Workspace "Acme Studio": alice (Europe/London, default rate 80), bob (America/Los_Angeles, no default rate),
    kiri (Pacific/Auckland); client Acme with project `web` (100/h), `ops` (no rate) and `old` (archived);
    client Gone (archived) with project `gone`. Workspace "Other Co": stranger, client Other, project `other`.
    """

    workspace_id: int
    alice_id: int
    bob_id: int
    kiri_id: int
    client_id: int
    web_id: int
    ops_id: int
    old_id: int
    gone_client_id: int
    gone_id: int
    other_workspace_id: int
    stranger_id: int
    other_project_id: int


def seed_world(db: Database) -> World:
    with db.session() as s:
        workspace = make_workspace(s)
        alice = make_member(s, workspace, "UALICE", timezone="Europe/London", default_rate="80.00")
        bob = make_member(s, workspace, "UBOB", timezone="America/Los_Angeles")
        kiri = make_member(s, workspace, "UKIRI", timezone="Pacific/Auckland")
        acme = make_client(s, workspace, "Acme")
        web = make_project(s, acme, "web", "Website", hourly_rate="100.00")
        ops = make_project(s, acme, "ops", "Operations", billable_default=False)
        old = make_project(s, acme, "old", "Old site", hourly_rate="90.00", archived=True)
        gone_client = make_client(s, workspace, "Gone Ltd", archived=True)
        gone = make_project(s, gone_client, "gone", "Gone app", hourly_rate="70.00")
        other_ws = make_workspace(s, "T0OTHER", "Other Co")
        stranger = make_member(s, other_ws, "USTRANGER", default_rate="50.00")
        other_client = make_client(s, other_ws, "Other")
        other = make_project(s, other_client, "other", "Other work", hourly_rate="60.00")
        return World(
            workspace_id=workspace.id, alice_id=alice.id, bob_id=bob.id, kiri_id=kiri.id, client_id=acme.id,
            web_id=web.id, ops_id=ops.id, old_id=old.id, gone_client_id=gone_client.id, gone_id=gone.id,
            other_workspace_id=other_ws.id, stranger_id=stranger.id, other_project_id=other.id,
        )


LINKED_CHANNEL = "C0ACMEWEB"


@dataclass(frozen=True)
class Catalog:
    """Ids of the /hours tests' catalog, in the Slack stand-in's workspace (TEAM)."""

    workspace_id: int
    web: int  # acme-web: hourly 100/h, linked to LINKED_CHANNEL
    app: int  # acme-app: hourly 120/h ("Acme App" — shares the "acme a" prefix with nothing, "app" with nothing)
    retainer: int  # glob-ret: retainer 40 h / month
    old: int  # old-site: archived
    internal: int  # internal: not billable by default, no rate


def make_catalog(db: Database) -> Catalog:
    """Clients Acme, Globex and Acme Studio with their projects, in TEAM's workspace (created if missing)."""
    with db.session() as s:
        workspace = s.scalar(select(Workspace).where(Workspace.slack_team_id == TEAM)) or make_workspace(s, TEAM)
        acme = make_client(s, workspace, "Acme")
        globex = make_client(s, workspace, "Globex")
        us = make_client(s, workspace, "Acme Studio")
        web = make_project(s, acme, "acme-web", "Website", hourly_rate="100")
        web.slack_channel_id = LINKED_CHANNEL
        app = make_project(s, acme, "acme-app", "Mobile app", hourly_rate="120")
        retainer = make_project(s, globex, "glob-ret", "Support retainer", hourly_rate="90",
                                billing_mode=BillingMode.RETAINER, included_hours=40)
        retainer.retainer_amount = Decimal("3000")
        old = make_project(s, acme, "old-site", "Old site", hourly_rate="80", archived=True)
        internal = make_project(s, us, "internal", "Internal", billable_default=False)
        s.flush()
        return Catalog(workspace_id=workspace.id, web=web.id, app=app.id, retainer=retainer.id, old=old.id,
                       internal=internal.id)


def member(session: Session, member_id: int) -> Member:
    row = session.get(Member, member_id)
    assert row is not None
    return row
