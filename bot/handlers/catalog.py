"""Clients, projects, rates and rounding from App Home: thin listeners over the use cases.

Every button, options request and submission goes through a use case that checks the role (managers, admins,
the owner) and looks every id up inside the caller's workspace, so a crafted payload gets the same refusal as a
hidden button. Submissions parse before they ack: a `UserError` with a field becomes a field error in the modal
(the error funnel), and nothing is stored. On success the modal closes and the actor's Home is published again,
on the page they were looking at.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import reported
from bot.home import publish_home, read_home_state
from bot.profiles import profile_loader
from bot.views.blocks import option
from bot.views.catalog import ids
from bot.views.catalog.archive import archive_modal
from bot.views.catalog.builders import read_metadata
from bot.views.catalog.client import ClientForm, client_modal
from bot.views.catalog.project import (
    STATIC_CLIENTS_LIMIT,
    ClientChoice,
    ProjectForm,
    client_label,
    no_clients_modal,
    notice_modal,
    project_form,
    project_form_from_state,
    project_modal,
)
from bot.views.catalog.rates import default_rates_modal, project_rates_modal
from bot.views.catalog.rounding import rounding_modal
from bot.views.catalog.section import read_page_value
from bot.views.state import form_values
from catalog.clients import (
    ClientInput,
    client_choices,
    count_active_clients,
    create_client,
    get_client,
    set_client_archived,
    update_client,
)
from catalog.form_input import Field
from catalog.projects import (
    ProjectInput,
    create_project,
    describe,
    get_project,
    set_project_archived,
    update_project,
)
from catalog.rates import default_rates, project_member_rates, set_default_rate, set_project_member_rate
from catalog.rounding_settings import (
    client_override,
    current_rounding,
    set_workspace_rounding,
    workspace_rounding,
)
from errors import NotFound, UserError
from storage.db import Database
from storage.models import Client, Member, Project
from team.members import get_member
from team.roles import Permission, require

log = logging.getLogger(__name__)

HomeState = tuple[int, bool]


def _actor(session: Session, context: BoltContext) -> Member:
    return get_member(session, context["workspace_id"], context["member_id"])


def _field(values: dict[str, dict[str, Any]], block: str, action: str) -> Any:
    return (values.get(block) or {}).get(action)


def _text(values: dict[str, dict[str, Any]], block: str, action: str) -> str | None:
    found = _field(values, block, action)
    return found if isinstance(found, str) else None


def _home_of(body: dict[str, Any]) -> HomeState:
    """Which catalog page the person's Home showed (carried in the Home view's or the modal's metadata)."""
    view = body.get("view") or {}
    if view.get("type") == "home":
        return read_home_state(view.get("private_metadata"))
    home = read_metadata(view).get("home")
    if isinstance(home, list) and len(home) == 2:
        return read_home_state({"page": home[0], "all": home[1]})
    return 0, False


def _with_home(view: dict[str, Any], home: HomeState) -> dict[str, Any]:
    """Add the Home page to a modal's metadata, so saving republishes Home where the person was."""
    metadata = read_metadata(view)
    metadata["home"] = [home[0], home[1]]
    return {**view, "private_metadata": json.dumps(metadata, separators=(",", ":"))}


def _publish(client: WebClient, db: Database, context: BoltContext, home: HomeState) -> None:
    publish_home(client, db, context["workspace_id"], context["member_id"], catalog_page=home[0],
                 show_archived=home[1])


def _choices(session: Session, actor: Member, include_id: int | None = None) -> tuple[list[ClientChoice], int]:
    clients = client_choices(session, actor, include_id=include_id, limit=STATIC_CLIENTS_LIMIT)
    return ([ClientChoice(c.id, c.name, c.archived) for c in clients],
            count_active_clients(session, actor.workspace_id))


def _project_form(session: Session, actor: Member, project_id: Any) -> ProjectForm:
    """A blank project form, or one filled from the stored project (`project_id` from a payload: looked up)."""
    if project_id is None:
        clients, count = _choices(session, actor)
        return project_form(clients, count)
    project = get_project(session, actor, project_id)
    clients, count = _choices(session, actor, include_id=project.client_id)
    form = project_form(clients, count, project)
    owner = session.get(Client, project.client_id)
    return replace(form, client_name=owner.name if owner is not None else "")


def _row_view(session: Session, actor: Member, verb: str, item_id: str) -> dict[str, Any]:
    """The modal a row's overflow menu opens (role and workspace checked by the use cases)."""
    if verb == ids.EDIT_CLIENT:
        found = get_client(session, actor, item_id)
        return client_modal(ClientForm(workspace_rounding(session, actor.workspace_id), found.id, found.name,
                                       client_override(found),
                                       (found.xero_contact_name or "") if found.xero_contact_id else None))
    if verb in (ids.ARCHIVE_CLIENT, ids.UNARCHIVE_CLIENT):
        found = get_client(session, actor, item_id)
        active = sum(1 for p in _client_projects(session, found) if not p.archived)
        return archive_modal("client", found.id, found.name, verb == ids.ARCHIVE_CLIENT, active)
    if verb == ids.EDIT_PROJECT:
        return project_modal(_project_form(session, actor, item_id))
    if verb == ids.PROJECT_RATES:
        project, rows = project_member_rates(session, actor, item_id)
        return project_rates_modal(project.id, project.code, project.name, project.hourly_rate, rows)
    if verb in (ids.ARCHIVE_PROJECT, ids.UNARCHIVE_PROJECT):
        project = get_project(session, actor, item_id)
        label = describe(project, session.get(Client, project.client_id))
        return archive_modal("project", project.id, label, verb == ids.ARCHIVE_PROJECT)
    raise NotFound("That action is not available any more: open the Home tab again.")


def _client_projects(session: Session, client: Client) -> list[Project]:
    return list(session.scalars(select(Project).where(Project.workspace_id == client.workspace_id,
                                                      Project.client_id == client.id)))


def _selected_value(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    selected = action.get("selected_option") or {}
    return str(selected.get("value") or action.get("value") or "")


def register(app: App, db: Database) -> None:
    # ---- Home buttons -------------------------------------------------------------------------------------

    def open_modal(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=_with_home(view, _home_of(body)))

    @app.action(ids.ACTION_NEW_CLIENT)
    @reported
    def new_client(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            actor = _actor(session, context)
            require(actor, Permission.MANAGE_CATALOG)
            view = client_modal(ClientForm(workspace_rounding(session, actor.workspace_id)))
        open_modal(client, body, view)

    @app.action(ids.ACTION_NEW_PROJECT)
    @reported
    def new_project(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            form = _project_form(session, _actor(session, context), None)
        open_modal(client, body, project_modal(form) if form.client_count else no_clients_modal())

    @app.action(ids.ACTION_DEFAULT_RATES)
    @reported
    def open_default_rates(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            view = default_rates_modal(default_rates(session, _actor(session, context)))
        open_modal(client, body, view)

    @app.action(ids.ACTION_ROUNDING)
    @reported
    def open_rounding(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            view = rounding_modal(current_rounding(session, _actor(session, context)))
        open_modal(client, body, view)

    @app.action(ids.ACTION_ROW_MENU)
    @reported
    def row_menu(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        verb, _, item_id = _selected_value(body).partition(":")
        with db.session() as session:
            view = _row_view(session, _actor(session, context), verb, item_id)
        open_modal(client, body, view)

    @app.action(ids.ACTION_SHOW)
    @reported
    def show(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        _publish(client, db, context, (0, _selected_value(body) == "all"))

    @app.action(f"{ids.ACTION_PAGE}_prev")
    @app.action(f"{ids.ACTION_PAGE}_next")
    @reported
    def page(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        _publish(client, db, context, read_page_value(_selected_value(body)))

    # ---- inside the project modal -------------------------------------------------------------------------

    @app.action(ids.ACTION_MODE)
    @reported
    def billing_mode_changed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        """Show the fields of the chosen billing mode; what was typed is kept."""
        ack()
        view = body.get("view") or {}
        metadata = read_metadata(view)
        with db.session() as session:
            base = _project_form(session, _actor(session, context), metadata.get("project"))
        form = project_form_from_state(form_values(body), base)
        new_view = _with_home(project_modal(form), _home_of(body))
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new_view)
        except SlackApiError as error:
            if error.response.get("error") not in ("hash_conflict", "not_found"):
                raise
            # A newer change is already on its way (hash_conflict), or the modal was closed: nothing to do.
            log.info("billing mode reshape skipped: %s", error.response.get("error"))

    @app.options(ids.ACTION_PROJECT_CLIENT)
    def client_options(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
        try:
            with db.session() as session:
                found = client_choices(session, _actor(session, context), str(payload.get("value") or ""))
        except UserError:
            ack(options=[])
            return
        ack(options=[option(str(c.id), client_label(ClientChoice(c.id, c.name, c.archived))) for c in found])

    # ---- submissions --------------------------------------------------------------------------------------

    @app.view(ids.CALLBACK_CLIENT)
    @reported
    def save_client(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        values = form_values(body)
        rounding = _text(values, Field.CLIENT_ROUNDING, ids.ACTION_CLIENT_ROUNDING)
        data = ClientInput(name=_text(values, Field.CLIENT_NAME, ids.ACTION_CLIENT_NAME),
                           rounding=None if rounding in (None, "", ids.FOLLOW_WORKSPACE) else rounding)
        client_id = read_metadata(body.get("view")).get("client")
        with db.session() as session:
            actor = _actor(session, context)
            if client_id is None:
                create_client(session, actor, data)
            else:
                current = get_client(session, actor, client_id)
                update_client(session, actor, current.id, replace(data, archived=current.archived))
        ack()
        _publish(client, db, context, _home_of(body))

    @app.view(ids.CALLBACK_PROJECT)
    @reported
    def save_project(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        values = form_values(body)
        billable = _field(values, Field.BILLABLE, ids.ACTION_BILLABLE) or []
        data = ProjectInput(
            client_id=_field(values, Field.PROJECT_CLIENT, ids.ACTION_PROJECT_CLIENT),
            name=_text(values, Field.PROJECT_NAME, ids.ACTION_PROJECT_NAME),
            code=_text(values, Field.CODE, ids.ACTION_CODE),
            hourly_rate=_text(values, Field.RATE, ids.ACTION_RATE),
            billable=ids.BILLABLE_VALUE in billable,
            billing_mode=_text(values, Field.MODE, ids.ACTION_MODE),
            retainer_amount=_text(values, Field.RETAINER_AMOUNT, ids.ACTION_RETAINER_AMOUNT),
            included_hours=_text(values, Field.INCLUDED_HOURS, ids.ACTION_INCLUDED_HOURS),
            overage_rate=_text(values, Field.OVERAGE_RATE, ids.ACTION_OVERAGE_RATE),
            budget_amount=_text(values, Field.BUDGET, ids.ACTION_BUDGET),
            channel_id=_text(values, Field.CHANNEL, ids.ACTION_CHANNEL),
        )
        project_id = read_metadata(body.get("view")).get("project")
        with db.session() as session:
            actor = _actor(session, context)
            if project_id is None:
                create_project(session, actor, data)
            else:
                current = get_project(session, actor, project_id)  # archiving is the Archive button's job
                update_project(session, actor, current.id, replace(data, archived=current.archived))
        ack()
        _publish(client, db, context, _home_of(body))

    @app.view(ids.CALLBACK_PROJECT_RATES)
    @reported
    def save_project_rate(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        values = form_values(body)
        project_id = read_metadata(body.get("view")).get("project")
        with db.session() as session:
            set_project_member_rate(session, _actor(session, context), project_id,
                                    _text(values, Field.MEMBER, ids.ACTION_MEMBER),
                                    _text(values, Field.MEMBER_RATE, ids.ACTION_MEMBER_RATE), profile_loader(client))
        ack()
        _publish(client, db, context, _home_of(body))

    @app.view(ids.CALLBACK_DEFAULT_RATES)
    @reported
    def save_default_rate(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        values = form_values(body)
        with db.session() as session:
            set_default_rate(session, _actor(session, context), _text(values, Field.MEMBER, ids.ACTION_MEMBER),
                             _text(values, Field.MEMBER_RATE, ids.ACTION_MEMBER_RATE), profile_loader(client))
        ack()
        _publish(client, db, context, _home_of(body))

    @app.view(ids.CALLBACK_ROUNDING)
    @reported
    def save_rounding(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        key = _text(form_values(body), Field.ROUNDING, ids.ACTION_ROUNDING_RULE)
        with db.session() as session:
            set_workspace_rounding(session, _actor(session, context), key)
        ack()
        _publish(client, db, context, _home_of(body))

    @app.view(ids.CALLBACK_ARCHIVE)
    @reported
    def confirm_archive(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        metadata = read_metadata(body.get("view"))
        kind, archive = metadata.get("kind"), metadata.get("archive") is True
        try:
            with db.session() as session:
                actor = _actor(session, context)
                if kind == "client":
                    set_client_archived(session, actor, metadata.get("id"), archive)
                elif kind == "project":
                    set_project_archived(session, actor, metadata.get("id"), archive)
                else:
                    raise NotFound("That client or project no longer exists in this workspace.")
        except UserError as error:  # no field to attach it to: say it in the modal, nothing changed
            ack(response_action="update", view=notice_modal("Nothing changed", error.message))
            return
        ack()
        _publish(client, db, context, _home_of(body))
