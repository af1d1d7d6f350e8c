"""Finding projects for /hours: the workspace's projects as parser choices, the channel's linked project, and
one project by an id that arrived in a payload (always within the caller's workspace).

A project counts as archived when it, or its client, is archived: neither can take new time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from errors import InvalidInput, NotFound
from storage.ids import payload_id
from storage.models import Client, Project
from storage.stamps import Stamped
from timesheets.grammar.parse import ProjectChoice

FIELD_PROJECT = "project"
MAX_PICKER_OPTIONS = 100  # a static select holds at most 100 options


@dataclass(frozen=True)
class ProjectInfo:
    """What the /hours surfaces need to know about one project."""

    id: int
    code: str
    name: str
    client_name: str
    archived: bool
    billable_default: bool
    slack_channel_id: str | None
    # Carried so logging an entry needs no second read of the project (rate snapshot, burn line).
    hourly_rate: Decimal | None = None
    billing_mode: str = "hourly"

    @property
    def label(self) -> str:
        """How replies name a project: "Acme — Website"."""
        return f"{self.client_name} — {self.name}" if self.client_name else self.name

    @property
    def choice(self) -> ProjectChoice:
        return ProjectChoice(id=self.id, code=self.code, name=self.name, archived=self.archived)


# Plain columns, not ORM entities: /hours reads every project of the workspace on each command, and building
# Project and Client objects for them cost more than the query.
_COLUMNS = (Project.id, Project.code, Project.name, Client.name, Project.archived, Client.archived,
            Project.billable_default, Project.slack_channel_id, Project.hourly_rate, Project.billing_mode)


def _info(row: Sequence[Any]) -> ProjectInfo:
    (project_id, code, name, client_name, archived, client_archived, billable_default, slack_channel_id,
     hourly_rate, billing_mode) = row
    return ProjectInfo(
        id=project_id,
        code=code,
        name=name,
        client_name=client_name,
        archived=bool(archived or client_archived),
        billable_default=bool(billable_default),
        slack_channel_id=slack_channel_id,
        hourly_rate=None if hourly_rate is None else Decimal(hourly_rate),
        billing_mode=billing_mode,
    )


_WORKSPACE = bindparam("workspace_id", type_=Integer)
# Built once, bound at execution, run on the session's connection: /hours reads them on most commands.
_WORKSPACE_PROJECTS = (
    select(*_COLUMNS)
    .join(Client, Client.id == Project.client_id)
    .where(Project.workspace_id == _WORKSPACE, Client.workspace_id == _WORKSPACE)
    .order_by(Client.name, Project.name, Project.id)
)
_ONE_PROJECT = (
    select(*_COLUMNS)
    .join(Client, Client.id == Project.client_id)
    .where(Project.id == bindparam("project_id", type_=Integer), Project.workspace_id == _WORKSPACE,
           Client.workspace_id == _WORKSPACE)
)


def workspace_projects(session: Session, workspace_id: int, kept: Stamped | None = None) -> tuple[ProjectInfo, ...]:
    """Every project of the workspace (archived ones included, flagged: the parser names them as archived). With
    `kept` (the workspace's stamp, read before this session wrote anything), read once per change of them."""
    def read() -> tuple[ProjectInfo, ...]:
        rows = session.connection().execute(_WORKSPACE_PROJECTS, {"workspace_id": workspace_id}).all()
        return tuple(_info(row) for row in rows)

    return read() if kept is None else kept.get("projects", read)


def project_choices(projects: Sequence[ProjectInfo]) -> list[ProjectChoice]:
    return [p.choice for p in projects]


def channel_project_id(projects: Sequence[ProjectInfo], channel_id: str | None) -> int | None:
    """The project linked to `channel_id`: the active one if exactly one active project is linked, else an
    archived linked project (so the parser can say it is archived), else None."""
    if not channel_id:
        return None
    linked = [p for p in projects if p.slack_channel_id == channel_id]
    active = [p for p in linked if not p.archived]
    if len(active) == 1:
        return active[0].id
    if not active and len(linked) == 1:
        return linked[0].id
    return None


def find_project(session: Session, workspace_id: int, project_id: object) -> ProjectInfo | None:
    """A project by an id from a payload; None for anything not a project of this workspace."""
    wanted = payload_id(project_id)
    if wanted is None:
        return None
    row = session.connection().execute(_ONE_PROJECT, {"project_id": wanted, "workspace_id": workspace_id}).first()
    return None if row is None else _info(row)


def loggable_project(session: Session, workspace_id: int, project_id: object,
                     field: str = FIELD_PROJECT) -> ProjectInfo:
    """The project time may be logged to, or a friendly refusal naming the field."""
    if project_id in (None, ""):
        raise InvalidInput("Pick a project.", field=field)
    project = find_project(session, workspace_id, project_id)
    if project is None:
        raise NotFound("That project doesn't exist in this workspace — pick one from the list.", field=field)
    if project.archived:
        raise InvalidInput(f"Project {project.code or project.name} is archived, so it can't take new time. "
                           "Pick another project, or ask a manager to unarchive it.", field=field)
    return project


def picker_projects(projects: Sequence[ProjectInfo], first: Sequence[int] = ()) -> tuple[list[ProjectInfo], int]:
    """Active projects for the modal's select, `first` ids leading; (shown, how many active projects exist)."""
    active = [p for p in projects if not p.archived]
    leading = [p for pid in dict.fromkeys(first) for p in active if p.id == pid]
    rest = [p for p in active if p.id not in {q.id for q in leading}]
    ordered = leading + rest
    return ordered[:MAX_PICKER_OPTIONS], len(active)
