"""The client an invoice is for and its projects, read in one query and checked (``invoicing.preview``).

The modal previews on every change, so the workspace (with its stamp, storage/stamps.py), the client and every
project of that client come in one statement, built once with its values bound at execution; the project a mode
bills is looked up among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from invoicing.request import PICK_CLIENT, Draft, InvoiceField
from storage.ids import payload_id
from storage.models import BillingMode, Client, Project, Workspace, WorkspaceStamp


@cache
def _statement() -> Select[Workspace, Client, Project, int]:
    """Built once, values bound at execution: building it was a millisecond of every preview."""
    return (select(Workspace, Client, Project, WorkspaceStamp.stamp)
            .outerjoin(WorkspaceStamp, WorkspaceStamp.workspace_id == Workspace.id)
            .outerjoin(Client, and_(Client.id == bindparam("client_id"), Client.workspace_id == Workspace.id))
            .outerjoin(Project, and_(Project.client_id == Client.id, Project.workspace_id == Workspace.id))
            .where(Workspace.id == bindparam("workspace_id")).order_by(Project.id))


def load_client(session: Session, workspace_id: int, raw: object,
                draft: Draft) -> tuple[Workspace, Client | None, dict[int, Project], int | None]:
    """The workspace; the client ``raw`` names, if it is this workspace's and linked to Xero; every project of
    that client (all modes, archived too: their uninvoiced time is still billable); and the workspace's stamp
    (None when no client was named). One query: the modal previews on every change."""
    if raw is None or raw == "":
        draft.problem(InvoiceField.CLIENT, PICK_CLIENT)
    number = payload_id(raw) if raw not in (None, "") else None
    workspace = client = stamp = None
    projects: dict[int, Project] = {}
    if number is None:
        workspace = session.get(Workspace, workspace_id)
    else:
        rows = session.execute(_statement(), {"workspace_id": workspace_id, "client_id": number}).all()
        workspace, client, stamp = rows[0][0], rows[0][1], rows[0][3]
        projects = {project.id: project for _, _, project, _ in rows if project is not None}
    assert workspace is not None  # members always belong to a workspace
    if raw not in (None, "") and client is None:
        draft.problem(InvoiceField.CLIENT, "That client was not found in this workspace.")
    if client is not None and not client.xero_contact_id:
        draft.problem(InvoiceField.CLIENT, f"{client.name} is not linked to a Xero contact yet, so it cannot be "
                                           "invoiced: link it in Home → Xero → Contact mapping.")
        client = None
    return workspace, client, projects if client is not None else {}, stamp


def find_project(projects: Mapping[int, Project], client: Client, raw: object, mode: BillingMode,
                 field_name: str, draft: Draft) -> Project | None:
    number = payload_id(raw)
    project = projects.get(number) if number is not None else None
    if project is None:
        draft.problem(field_name, f"That project was not found among {client.name}'s projects.")
        return None
    if project.billing_mode != mode.value:
        kind = {BillingMode.HOURLY: "an hourly", BillingMode.RETAINER: "a retainer",
                BillingMode.FIXED_BUDGET: "a fixed-budget"}[mode]
        draft.problem(field_name, f"{project.name} is not {kind} project.")
        return None
    return project


def period_project(projects: Mapping[int, Project], client: Client, raw: object, mode: BillingMode,
                   field_name: str, draft: Draft) -> Project | None:
    """The retainer or fixed-budget project picked; a problem under its field when none is (or a wrong one)."""
    if raw in (None, ""):
        what = "retainer" if mode is BillingMode.RETAINER else "fixed-budget"
        draft.problem(field_name, f"Pick the {what} project to bill.")
        return None
    return find_project(projects, client, raw, mode, field_name, draft)
