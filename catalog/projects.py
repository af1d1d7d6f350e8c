"""Projects: client, name, code, rate, billable default, billing mode, linked channel, archived.

Managers, admins and the owner only; ids are looked up in the actor's workspace; nothing changes on a refusal;
every change writes an audit row. Billing modes and what each needs:

* hourly       — nothing more (time × rate);
* retainer     — monthly amount and included hours (stored as minutes); optional overage rate;
* fixed budget — the total fee.

Parameters of the other modes are cleared, so a project never carries stale numbers from a mode it left.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.clients import find_client, lock_catalog, parse_id
from catalog.form_input import (
    MAX_AMOUNT,
    Field,
    clean_text,
    parse_code,
    parse_hours_as_minutes,
    parse_money,
    parse_name,
)
from catalog.rounding import RoundingRule
from errors import FormErrors, InvalidInput, NotFound, Problems
from storage.audit import audit
from storage.models import BillingMode, Client, Member, Project
from team.roles import Permission, require

MODE_LABELS = {
    BillingMode.HOURLY: "Hourly",
    BillingMode.RETAINER: "Retainer",
    BillingMode.FIXED_BUDGET: "Fixed budget",
}


@dataclass(frozen=True)
class ProjectInput:
    """What the project form sends, as typed (text); `parse_project` turns it into checked values."""

    client_id: Any
    name: str | None
    code: str | None
    hourly_rate: str | None = None
    billable: bool = True
    billing_mode: str | None = BillingMode.HOURLY.value
    retainer_amount: str | None = None
    included_hours: str | None = None
    overage_rate: str | None = None
    budget_amount: str | None = None
    channel_id: str | None = None
    archived: bool = False
    alerts_in_channel: bool = False  # a retainer's or fixed budget's alerts are also posted in the linked channel


@dataclass(frozen=True)
class ProjectValues:
    """Checked values, ready to store."""

    client_id: int
    name: str
    code: str
    hourly_rate: Decimal | None
    billable: bool
    billing_mode: BillingMode
    retainer_amount: Decimal | None
    retainer_included_minutes: int | None
    overage_rate: Decimal | None
    budget_amount: Decimal | None
    channel_id: str | None
    archived: bool
    alerts_in_channel: bool = False


STORED_FIELDS = ("client_id", "name", "code", "hourly_rate", "billable_default", "billing_mode", "retainer_amount",
                 "retainer_included_minutes", "overage_rate", "budget_amount", "slack_channel_id", "archived",
                 "budget_alerts_in_channel")


def parse_mode(value: str | None) -> BillingMode:
    try:
        return BillingMode(value or BillingMode.HOURLY.value)
    except ValueError:
        raise InvalidInput("Pick a billing mode: hourly, retainer or fixed budget.", field=Field.MODE) from None


def find_project(session: Session, workspace_id: int, project_id: Any) -> Project:
    project = session.get(Project, parse_id(project_id))
    if project is None or project.workspace_id != workspace_id:
        raise NotFound("That project no longer exists in this workspace.")
    return project


def get_project(session: Session, actor: Member, project_id: Any) -> Project:
    """A project of the actor's workspace, for the edit form."""
    require(actor, Permission.MANAGE_CATALOG)
    return find_project(session, actor.workspace_id, project_id)


def describe(project: Project, client: Client | None = None) -> str:
    """“Acme — Website (acme-web)”, for messages."""
    prefix = f"{client.name} — " if client is not None else ""
    return f"{prefix}{project.name} ({project.code})"


def _check_channel(session: Session, workspace_id: int, channel_id: str, own_id: int | None) -> str | None:
    query = select(Project).where(Project.workspace_id == workspace_id, Project.slack_channel_id == channel_id)
    if own_id is not None:
        query = query.where(Project.id != own_id)
    other = session.scalars(query).first()
    if other is None:
        return None
    client = session.get(Client, other.client_id)
    archived = ", archived" if other.archived else ""
    return (f"That channel is already linked to {describe(other, client)}{archived}. A channel belongs to one "
            "project: unlink it there first.")


def parse_project(session: Session, actor: Member, data: ProjectInput, own: Project | None) -> ProjectValues:
    """Check every field (all problems reported at once); raises FormErrors."""
    problems = Problems()
    workspace_id = actor.workspace_id
    client: Client | None = None
    if data.client_id in (None, ""):
        problems.add(Field.PROJECT_CLIENT, "Pick the client this project is for.")
    else:
        try:
            client = find_client(session, workspace_id, data.client_id)
        except NotFound as error:
            problems.add(Field.PROJECT_CLIENT, error.message)
        else:
            keeps_client = own is not None and own.client_id == client.id
            if client.archived and not keeps_client:
                problems.add(Field.PROJECT_CLIENT, f"{client.name} is archived: unarchive the client first.")
    name = problems.take(Field.PROJECT_NAME, parse_name, data.name, "project")
    code = problems.take(Field.CODE, parse_code, data.code)
    if code is not None:
        query = select(Project).where(Project.workspace_id == workspace_id, Project.code_key == code.lower())
        if own is not None:
            query = query.where(Project.id != own.id)
        other = session.scalars(query).first()
        if other is not None:
            flag = ", archived" if other.archived else ""
            problems.add(Field.CODE, f"The code {other.code} is already used by {describe(other)}{flag}. "
                                     "Codes are unique in the workspace, whatever the case.")
    rate = problems.take(Field.RATE, parse_money, data.hourly_rate, "Rate")
    mode = problems.take(Field.MODE, parse_mode, data.billing_mode)
    retainer_amount = included = overage = budget = None
    if mode is BillingMode.RETAINER:
        retainer_amount = problems.take(Field.RETAINER_AMOUNT, parse_money, data.retainer_amount, "Monthly amount",
                                        maximum=MAX_AMOUNT, required=True, positive=True)
        included = problems.take(Field.INCLUDED_HOURS, parse_hours_as_minutes, data.included_hours,
                                 "Included hours", required=True)
        overage = problems.take(Field.OVERAGE_RATE, parse_money, data.overage_rate, "Overage rate")
    elif mode is BillingMode.FIXED_BUDGET:
        budget = problems.take(Field.BUDGET, parse_money, data.budget_amount, "Total fee",
                               maximum=MAX_AMOUNT, required=True, positive=True)
    channel = clean_text(data.channel_id) or None
    if channel is not None:
        if len(channel) > 32:
            problems.add(Field.CHANNEL, "That is not a Slack channel.")
        else:
            taken = _check_channel(session, workspace_id, channel, own.id if own is not None else None)
            if taken:
                problems.add(Field.CHANNEL, taken)
    alerts_in_channel = bool(data.alerts_in_channel) and mode in (BillingMode.RETAINER, BillingMode.FIXED_BUDGET)
    if alerts_in_channel and channel is None:
        problems.add(Field.CHANNEL, "Pick the channel to post the budget alerts in.")
    archived = bool(data.archived)
    if own is not None and own.archived and not archived and client is not None and client.archived:
        problems.add(Field.ARCHIVED, f"{client.name} is archived: unarchive the client before its projects.")
    problems.check()
    assert client is not None and name is not None and code is not None and mode is not None
    return ProjectValues(client.id, name, code, rate, bool(data.billable), mode, retainer_amount, included,
                         overage, budget, channel, archived, alerts_in_channel)


def _snapshot(project: Project) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    return {name: plain(getattr(project, name)) for name in STORED_FIELDS}


def _store(project: Project, values: ProjectValues) -> None:
    project.client_id = values.client_id
    project.name = values.name
    project.code = values.code
    project.code_key = values.code.lower()
    project.hourly_rate = values.hourly_rate
    project.billable_default = values.billable
    project.billing_mode = values.billing_mode.value
    project.retainer_amount = values.retainer_amount
    project.retainer_included_minutes = values.retainer_included_minutes
    project.overage_rate = values.overage_rate
    project.budget_amount = values.budget_amount
    project.slack_channel_id = values.channel_id
    project.budget_alerts_in_channel = values.alerts_in_channel
    project.archived = values.archived


def _flush(session: Session, project: Project) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a racing request took the code between our check and the write
        raise FormErrors({Field.CODE: f"The code {project.code} is already used by another project."}) from None


def create_project(session: Session, actor: Member, data: ProjectInput) -> Project:
    require(actor, Permission.MANAGE_CATALOG)
    lock_catalog(session, actor.workspace_id)
    values = parse_project(session, actor, data, None)
    project = Project(workspace_id=actor.workspace_id)
    _store(project, values)
    project.archived = False
    session.add(project)
    _flush(session, project)
    audit(session, actor, "project.create", f"project:{project.id}", **_snapshot(project))
    return project


def update_project(session: Session, actor: Member, project_id: Any, data: ProjectInput) -> Project:
    """Everything in the form, archived flag included. Existing entries keep the rate they were logged at."""
    require(actor, Permission.MANAGE_CATALOG)
    lock_catalog(session, actor.workspace_id)
    project = find_project(session, actor.workspace_id, project_id)
    values = parse_project(session, actor, data, project)
    before = _snapshot(project)
    _store(project, values)
    _flush(session, project)
    after = _snapshot(project)
    changes: dict[str, Any] = {name: [before[name], after[name]] for name in STORED_FIELDS
                               if before[name] != after[name]}
    archived_change = changes.pop("archived", None)
    if changes:
        audit(session, actor, "project.update", f"project:{project.id}", **changes)
    if archived_change:
        audit(session, actor, "project.archive" if project.archived else "project.unarchive",
              f"project:{project.id}", code=project.code)
    return project


def set_project_archived(session: Session, actor: Member, project_id: Any, archived: bool) -> Project:
    require(actor, Permission.MANAGE_CATALOG)
    lock_catalog(session, actor.workspace_id)
    project = find_project(session, actor.workspace_id, project_id)
    if project.archived == archived:
        return project
    if not archived:
        client = session.get(Client, project.client_id)
        if client is not None and client.archived:
            raise InvalidInput(f"{client.name} is archived: unarchive the client before its projects.")
    project.archived = archived
    audit(session, actor, "project.archive" if archived else "project.unarchive", f"project:{project.id}",
          code=project.code)
    return project


# ---- the catalog as Home and the "Show all" list show it ------------------------------------------------
# The summaries are named tuples, immutable like frozen dataclasses but built at C speed: Home builds one per client
# and project of the workspace on every publish (thousands; a frozen dataclass sets each field through a call).


class ProjectSummary(NamedTuple):
    id: int
    code: str
    name: str
    billing_mode: BillingMode
    hourly_rate: Decimal | None
    retainer_amount: Decimal | None
    retainer_included_minutes: int | None
    overage_rate: Decimal | None
    budget_amount: Decimal | None
    slack_channel_id: str | None
    billable_default: bool
    archived: bool
    member_rates: int = 0


class ClientSummary(NamedTuple):
    id: int
    name: str
    archived: bool
    rounding: RoundingRule | None  # None: follows the workspace
    projects: tuple[ProjectSummary, ...] = ()


@dataclass(frozen=True)
class Catalog:
    clients: tuple[ClientSummary, ...]
    rounding: RoundingRule  # the workspace default

    @property
    def project_count(self) -> int:
        return sum(len(c.projects) for c in self.clients)

    def active(self) -> Catalog:
        """Only active clients and their active projects (what Home shows; built once, Home asks twice)."""
        return self._active

    @cached_property
    def _active(self) -> Catalog:
        return Catalog(tuple(ClientSummary(c.id, c.name, c.archived, c.rounding,
                                           tuple(p for p in c.projects if not p.archived))
                             for c in self.clients if not c.archived), self.rounding)
