"""Clients: create, rename, rounding override, archive — managers, admins and the owner only.

Every function takes the acting member, checks the role first, and looks ids up inside the actor's workspace
(a foreign id is "not found"). Nothing is changed when a check fails. Each change writes an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.form_input import Field, name_key, parse_name
from catalog.rounding import RoundingRule
from catalog.rounding_settings import client_override, parse_rule_key
from errors import FormErrors, InvalidInput, NotFound, Problems
from storage.audit import audit
from storage.ids import payload_id
from storage.models import Client, Member, Project, Workspace
from team.roles import Permission, require

CHOICES_LIMIT = 100  # a Slack select holds at most 100 options


@dataclass(frozen=True)
class ClientInput:
    """What the client form sends. `rounding`: empty = follow the workspace, else a rule key (`up:15`)."""

    name: str | None
    rounding: str | None = None
    archived: bool = False


def lock_catalog(session: Session, workspace_id: int) -> None:
    """Serialise catalog writes per workspace (PostgreSQL row lock; SQLite already writes one at a time),
    so the uniqueness checks that have no database constraint (one project per channel) cannot race."""
    session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())


def parse_id(value: Any) -> int:
    """An id from a payload (button value, private_metadata); anything odd (or too large for an id column) is
    simply "not found"."""
    number = payload_id(value)
    if number is None:
        raise NotFound("That client or project no longer exists in this workspace.")
    return number


def find_client(session: Session, workspace_id: int, client_id: Any) -> Client:
    client = session.get(Client, parse_id(client_id))
    if client is None or client.workspace_id != workspace_id:
        raise NotFound("That client no longer exists in this workspace.")
    return client


def check_can_manage_catalog(actor: Member) -> None:
    """Opening a catalog form: refused unless the actor may manage clients and projects."""
    require(actor, Permission.MANAGE_CATALOG)


def get_client(session: Session, actor: Member, client_id: Any) -> Client:
    """A client of the actor's workspace, for the edit form."""
    require(actor, Permission.MANAGE_CATALOG)
    return find_client(session, actor.workspace_id, client_id)


def _duplicate(session: Session, workspace_id: int, key: str, own_id: int | None) -> Client | None:
    query = select(Client).where(Client.workspace_id == workspace_id, Client.name_key == key)
    if own_id is not None:
        query = query.where(Client.id != own_id)
    return session.scalars(query).first()


def _duplicate_message(other: Client) -> str:
    where = " (archived: unarchive it from “Show all”)" if other.archived else ""
    return f"There is already a client called “{other.name}”{where}."


def _read(session: Session, actor: Member, data: ClientInput, own_id: int | None) -> tuple[str, RoundingRule | None]:
    problems = Problems()
    name = problems.take(Field.CLIENT_NAME, parse_name, data.name, "client")
    if name is not None:
        other = _duplicate(session, actor.workspace_id, name_key(name), own_id)
        if other is not None:
            problems.add(Field.CLIENT_NAME, _duplicate_message(other))
    rounding: RoundingRule | None = None
    if data.rounding:
        rounding = problems.take(Field.CLIENT_ROUNDING, parse_rule_key, data.rounding, Field.CLIENT_ROUNDING)
    problems.check()
    assert name is not None
    return name, rounding


def _flush(session: Session, client: Client) -> None:
    """Flush so the unique (workspace, name_key) constraint speaks now, as a field error, if a racing
    request took the name between our check and the insert."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise FormErrors({Field.CLIENT_NAME: f"There is already a client called “{client.name}”."}) from None


def create_client(session: Session, actor: Member, data: ClientInput) -> Client:
    require(actor, Permission.MANAGE_CATALOG)
    lock_catalog(session, actor.workspace_id)
    name, rounding = _read(session, actor, data, None)
    client = Client(workspace_id=actor.workspace_id, name=name, name_key=name_key(name), archived=False,
                    rounding_mode=rounding.mode.value if rounding else None,
                    rounding_minutes=rounding.minutes if rounding else None)
    session.add(client)
    _flush(session, client)
    audit(session, actor, "client.create", f"client:{client.id}", name=name,
          rounding=rounding.key if rounding else None)
    return client


def update_client(session: Session, actor: Member, client_id: Any, data: ClientInput) -> Client:
    """Rename, change the rounding override, and archive or unarchive (see `set_client_archived`)."""
    require(actor, Permission.MANAGE_CATALOG)
    lock_catalog(session, actor.workspace_id)
    client = find_client(session, actor.workspace_id, client_id)
    name, rounding = _read(session, actor, data, client.id)
    changes: dict[str, Any] = {}
    if client.name != name:
        changes["name"] = [client.name, name]
        client.name, client.name_key = name, name_key(name)
    old_rounding = client_override(client)
    if old_rounding != rounding:
        changes["rounding"] = [old_rounding.key if old_rounding else None, rounding.key if rounding else None]
        client.rounding_mode = rounding.mode.value if rounding else None
        client.rounding_minutes = rounding.minutes if rounding else None
    _flush(session, client)
    if changes:
        audit(session, actor, "client.update", f"client:{client.id}", **changes)
    if data.archived != client.archived:
        _archive(session, actor, client, data.archived)
    return client


def _archive(session: Session, actor: Member, client: Client, archived: bool) -> list[Project]:
    """Archiving a client archives its active projects too (an active project always has an active client);
    unarchiving brings back only the client — its projects come back one by one."""
    client.archived = archived
    touched: list[Project] = []
    if archived:
        touched = list(session.scalars(select(Project).where(
            Project.workspace_id == client.workspace_id, Project.client_id == client.id, Project.archived.is_(False))))
        for project in touched:
            project.archived = True
    audit(session, actor, "client.archive" if archived else "client.unarchive", f"client:{client.id}",
          projects=[p.code for p in touched])
    return touched


def set_client_archived(session: Session, actor: Member, client_id: Any, archived: bool) -> Client:
    require(actor, Permission.MANAGE_CATALOG)
    lock_catalog(session, actor.workspace_id)
    client = find_client(session, actor.workspace_id, client_id)
    if client.archived != archived:
        _archive(session, actor, client, archived)
    return client


def client_choices(session: Session, actor: Member, query: str = "", *, include_id: int | None = None,
                   limit: int = CHOICES_LIMIT) -> list[Client]:
    """Active clients whose name contains `query` (case-insensitive), by name, for the project form's select.

    `include_id` keeps a project's current client in the list even when it is archived.
    """
    require(actor, Permission.MANAGE_CATALOG)
    if limit <= 0:
        raise InvalidInput("Nothing to list.")
    clients = session.scalars(select(Client).where(Client.workspace_id == actor.workspace_id)
                              .order_by(Client.name_key, Client.id)).all()
    key = name_key(query)
    chosen = [c for c in clients if (not c.archived or c.id == include_id) and key in c.name_key]
    return chosen[:limit]


def count_active_clients(session: Session, workspace_id: int) -> int:
    return len(session.scalars(select(Client.id).where(Client.workspace_id == workspace_id,
                                                       Client.archived.is_(False))).all())
