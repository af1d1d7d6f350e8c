"""What the Create invoice modal's selects offer: linked clients (searched past 100), the
client's active projects by billing mode, the months a retainer can bill, and the workspace's default grouping.
Managers and up only, like the preview itself (``invoicing.preview``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formats import DEFAULT, Formats
from invoicing.grouping import Grouping
from invoicing.retainer import month_start
from storage.models import BillingMode, Client, Member, Project, Workspace
from team.formats import workspace_formats
from team.roles import Permission, require
from xero.invoice_defaults import Choice  # the one (value, label) option type of the use cases' selects

CLIENT_CHOICES_LIMIT = 100  # a static select holds 100 options; past that the client select searches
MONTHS_OFFERED = 13  # the current month and the twelve before it


@dataclass(frozen=True)
class FormChoices:
    """What the modal's selects offer. ``clients`` is empty when there are more than 100 (it then searches)."""

    clients: tuple[Choice, ...]
    client_count: int
    hourly_projects: tuple[Choice, ...] = ()
    retainer_projects: tuple[Choice, ...] = ()
    budget_projects: tuple[Choice, ...] = ()
    months: tuple[Choice, ...] = ()
    default_grouping: Grouping = Grouping.ENTRY

    @property
    def searching(self) -> bool:
        return self.client_count > CLIENT_CHOICES_LIMIT


def _linked_clients(workspace_id: int) -> Any:
    return select(Client).where(Client.workspace_id == workspace_id, Client.xero_contact_id.is_not(None),
                                Client.archived.is_(False))


def linked_client_count(session: Session, workspace_id: int) -> int:
    found = session.scalar(select(func.count()).select_from(_linked_clients(workspace_id).subquery()))
    return int(found or 0)


def client_options(session: Session, actor: Member, query: str = "",
                   limit: int = CLIENT_CHOICES_LIMIT) -> list[Choice]:
    """Linked, active clients whose name contains ``query`` (the client select's type-ahead), by name."""
    require(actor, Permission.CREATE_INVOICES)
    key = " ".join(query.split()).lower()
    stmt = _linked_clients(actor.workspace_id)
    if key:
        stmt = stmt.where(Client.name_key.contains(key, autoescape=True))
    clients = session.scalars(stmt.order_by(Client.name_key, Client.id).limit(limit))
    return [Choice(str(c.id), c.name) for c in clients]


def month_choices(today: date, formats: Formats = DEFAULT) -> tuple[Choice, ...]:
    first = month_start(today)
    months = []
    for _ in range(MONTHS_OFFERED):
        months.append(Choice(first.strftime("%Y-%m"), formats.month_year(first)))
        first = month_start(first - timedelta(days=1))
    return tuple(months)


def form_choices(session: Session, actor: Member, client_id: int | None, today: date) -> FormChoices:
    require(actor, Permission.CREATE_INVOICES)
    count = linked_client_count(session, actor.workspace_id)
    clients = tuple(client_options(session, actor)) if count <= CLIENT_CHOICES_LIMIT else ()
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    grouping = Grouping.of(workspace.invoice_grouping)
    by_mode: dict[str, list[Choice]] = {mode.value: [] for mode in BillingMode}
    if client_id is not None:
        projects = session.scalars(select(Project).where(
            Project.workspace_id == actor.workspace_id, Project.client_id == client_id,
            Project.archived.is_(False)).order_by(Project.name, Project.id))
        for project in projects:
            by_mode.setdefault(project.billing_mode, []).append(Choice(str(project.id), project.name,
                                                                       tag=project.code))
    months = month_choices(today, workspace_formats(session, actor.workspace_id))
    return FormChoices(clients, count, tuple(by_mode[BillingMode.HOURLY.value][:100]),
                       tuple(by_mode[BillingMode.RETAINER.value][:100]),
                       tuple(by_mode[BillingMode.FIXED_BUDGET.value][:100]), months, grouping)
