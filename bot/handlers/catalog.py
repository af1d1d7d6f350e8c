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
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import reported
from bot.home import publish_home, read_home_state
from bot.profiles import people_lookup
from bot.slack_errors import update_view
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
from bot.views.text import user_text
from catalog.clients import (
    ClientInput,
    check_can_manage_catalog,
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
from storage.models import Client, Member, Project
from team.formats import workspace_formats

log = logging.getLogger(__name__)

HomeState = tuple[int, bool]


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


def _publish(client: WebClient, context: BoltContext, home: HomeState) -> None:
    publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=home[0],
                 show_archived=home[1])


def _open_modal(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    client.views_open(trigger_id=body["trigger_id"], view=_with_home(view, _home_of(body)))


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
        return project_rates_modal(project.id, project.code, project.name, project.hourly_rate, rows,
                                   workspace_formats(session, actor.workspace_id))
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


# ---- Home buttons -------------------------------------------------------------------------------------------


@reported
def handle_new_client(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        actor = context["actor"](session)
        check_can_manage_catalog(actor)
        view = client_modal(ClientForm(workspace_rounding(session, actor.workspace_id)))
    _open_modal(client, body, view)


@reported
def handle_new_project(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        form = _project_form(session, context["actor"](session), None)
    _open_modal(client, body, project_modal(form) if form.client_count else no_clients_modal())


@reported
def handle_open_default_rates(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        actor = context["actor"](session)
        view = default_rates_modal(default_rates(session, actor), workspace_formats(session, actor.workspace_id))
    _open_modal(client, body, view)


@reported
def handle_open_rounding(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        view = rounding_modal(current_rounding(session, context["actor"](session)))
    _open_modal(client, body, view)


@reported
def handle_row_menu(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    verb, _, item_id = _selected_value(body).partition(":")
    with context["db"].session() as session:
        view = _row_view(session, context["actor"](session), verb, item_id)
    _open_modal(client, body, view)


@reported
def handle_show(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    _publish(client, context, (0, _selected_value(body) == "all"))


@reported
def handle_page(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    _publish(client, context, read_page_value(_selected_value(body)))


# ---- inside the project modal ---------------------------------------------------------------------------------


@reported
def handle_billing_mode_changed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Show the fields of the chosen billing mode; what was typed is kept."""
    ack()
    view = body.get("view") or {}
    metadata = read_metadata(view)
    with context["db"].session() as session:
        base = _project_form(session, context["actor"](session), metadata.get("project"))
    form = project_form_from_state(context["form"], base)
    # A newer change is already on its way (hash_conflict), or the modal was closed: nothing to do.
    update_view(client, view, _with_home(project_modal(form), _home_of(body)), "billing mode reshape")


def handle_client_options(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
    try:
        with context["db"].session() as session:
            found = client_choices(session, context["actor"](session), str(payload.get("value") or ""))
    except UserError:
        ack(options=[])
        return
    ack(options=[option(str(c.id), client_label(ClientChoice(c.id, c.name, c.archived))) for c in found])


# ---- submissions ------------------------------------------------------------------------------------------------


@reported
def handle_save_client(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    form = context["form"]
    rounding = form.text(Field.CLIENT_ROUNDING, ids.ACTION_CLIENT_ROUNDING)
    data = ClientInput(name=form.text(Field.CLIENT_NAME, ids.ACTION_CLIENT_NAME),
                       rounding=None if rounding in (None, "", ids.FOLLOW_WORKSPACE) else rounding)
    client_id = read_metadata(body.get("view")).get("client")
    with context["db"].session() as session:
        actor = context["actor"](session)
        if client_id is None:
            create_client(session, actor, data)
        else:
            current = get_client(session, actor, client_id)
            update_client(session, actor, current.id, replace(data, archived=current.archived))
    ack()
    _publish(client, context, _home_of(body))


@reported
def handle_save_project(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    form = context["form"]
    billable = form.value(Field.BILLABLE, ids.ACTION_BILLABLE) or []
    data = ProjectInput(
        client_id=form.value(Field.PROJECT_CLIENT, ids.ACTION_PROJECT_CLIENT),
        name=form.text(Field.PROJECT_NAME, ids.ACTION_PROJECT_NAME),
        code=form.text(Field.CODE, ids.ACTION_CODE),
        hourly_rate=form.text(Field.RATE, ids.ACTION_RATE),
        billable=ids.BILLABLE_VALUE in billable,
        billing_mode=form.text(Field.MODE, ids.ACTION_MODE),
        retainer_amount=form.text(Field.RETAINER_AMOUNT, ids.ACTION_RETAINER_AMOUNT),
        included_hours=form.text(Field.INCLUDED_HOURS, ids.ACTION_INCLUDED_HOURS),
        overage_rate=form.text(Field.OVERAGE_RATE, ids.ACTION_OVERAGE_RATE),
        budget_amount=form.text(Field.BUDGET, ids.ACTION_BUDGET),
        channel_id=form.text(Field.CHANNEL, ids.ACTION_CHANNEL),
        alerts_in_channel=ids.CHANNEL_ALERTS_VALUE in (form.value(Field.CHANNEL_ALERTS, ids.ACTION_CHANNEL_ALERTS)
                                                       or []),
    )
    project_id = read_metadata(body.get("view")).get("project")
    with context["db"].session() as session:
        actor = context["actor"](session)
        if project_id is None:
            create_project(session, actor, data)
        else:
            current = get_project(session, actor, project_id)  # archiving is the Archive button's job
            update_project(session, actor, current.id, replace(data, archived=current.archived))
    ack()
    _publish(client, context, _home_of(body))


@reported
def handle_save_project_rate(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    form = context["form"]
    project_id = read_metadata(body.get("view")).get("project")
    with people_lookup(client, context["db"], context["workspace_id"]) as load, context["db"].session() as session:
        set_project_member_rate(session, context["actor"](session), project_id,
                                form.text(Field.MEMBER, ids.ACTION_MEMBER),
                                form.text(Field.MEMBER_RATE, ids.ACTION_MEMBER_RATE), load)
    ack()
    _publish(client, context, _home_of(body))


@reported
def handle_save_default_rate(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    form = context["form"]
    with people_lookup(client, context["db"], context["workspace_id"]) as load, context["db"].session() as session:
        set_default_rate(session, context["actor"](session), form.text(Field.MEMBER, ids.ACTION_MEMBER),
                         form.text(Field.MEMBER_RATE, ids.ACTION_MEMBER_RATE), load)
    ack()
    _publish(client, context, _home_of(body))


@reported
def handle_save_rounding(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    key = context["form"].text(Field.ROUNDING, ids.ACTION_ROUNDING_RULE)
    with context["db"].session() as session:
        set_workspace_rounding(session, context["actor"](session), key)
    ack()
    _publish(client, context, _home_of(body))


@reported
def handle_confirm_archive(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    metadata = read_metadata(body.get("view"))
    kind, archive = metadata.get("kind"), metadata.get("archive") is True
    try:
        with context["db"].session() as session:
            actor = context["actor"](session)
            if kind == "client":
                set_client_archived(session, actor, metadata.get("id"), archive)
            elif kind == "project":
                set_project_archived(session, actor, metadata.get("id"), archive)
            else:
                raise NotFound("That client or project no longer exists in this workspace.")
    except UserError as error:  # no field to attach it to: say it in the modal, nothing changed
        ack(response_action="update", view=notice_modal("Nothing changed", user_text(error.message)))
        return
    ack()
    _publish(client, context, _home_of(body))


def register(app: App) -> None:
    app.action(ids.ACTION_NEW_CLIENT)(handle_new_client)
    app.action(ids.ACTION_NEW_PROJECT)(handle_new_project)
    app.action(ids.ACTION_DEFAULT_RATES)(handle_open_default_rates)
    app.action(ids.ACTION_ROUNDING)(handle_open_rounding)
    app.action(ids.ACTION_ROW_MENU)(handle_row_menu)
    app.action(ids.ACTION_SHOW)(handle_show)
    app.action(f"{ids.ACTION_PAGE}_prev")(handle_page)
    app.action(f"{ids.ACTION_PAGE}_next")(handle_page)
    app.action(ids.ACTION_MODE)(handle_billing_mode_changed)
    app.options(ids.ACTION_PROJECT_CLIENT)(handle_client_options)
    app.view(ids.CALLBACK_CLIENT)(handle_save_client)
    app.view(ids.CALLBACK_PROJECT)(handle_save_project)
    app.view(ids.CALLBACK_PROJECT_RATES)(handle_save_project_rate)
    app.view(ids.CALLBACK_DEFAULT_RATES)(handle_save_default_rate)
    app.view(ids.CALLBACK_ROUNDING)(handle_save_rounding)
    app.view(ids.CALLBACK_ARCHIVE)(handle_confirm_archive)
