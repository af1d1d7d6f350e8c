"""The Xero setup wizard and Contact mapping in Slack: thin listeners over xero.invoice_defaults and xero.mapping.

Opened from the Connected DM's "Start setup" and Home's "Setup wizard" (admins: all three steps) or Home's
"Contact mapping" (managers+: step 3 on its own). Each step's submission validates and saves before it acks: a
field error comes back through the error funnel and nothing is saved; otherwise the answer is
`response_action="update"` with the next step. Inside step 3, picking a contact, "Create in Xero", "Unlink" and
paging update the open modal (`views.update` with its hash). Roles are checked by the use cases on every request,
options requests included, so a crafted payload gets the same refusal as a hidden button.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.errors import reported
from bot.home import publish_home
from bot.slack_errors import HashConflict, ViewNotFound, slack_api
from bot.views import wizard as v
from bot.views.text import user_text
from bot.views.xero import ACTION_CONTACT_MAPPING, ACTION_START_SETUP
from errors import UserError
from storage.models import Member
from xero.connection_summary import find_connection
from xero.invoice_defaults import (
    DefaultsField,
    DefaultsInput,
    complete_setup,
    defaults_form,
    defaults_problems,
    require_admin,
    save_defaults,
    save_tracking,
    tracking_form,
)
from xero.invoice_inputs import load_reference
from xero.mapping import (
    auto_match,
    check_can_open_mapping,
    contact_options,
    create_in_xero,
    link_contact,
    mapping_page,
    unlink,
)

log = logging.getLogger(__name__)

NOT_CONNECTED = ("Xero is not connected to Hour Cap yet: an admin connects it from the Home tab, then the setup "
                 "wizard and contact mapping open here.")


def _require_connection(session: Session, workspace_id: int) -> None:
    if find_connection(session, workspace_id) is None:
        raise UserError(NOT_CONNECTED)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _page_view(session: Session, actor: Member, mode: str, page: int, notice: str | None = None) -> dict[str, Any]:
    check_can_open_mapping(actor, setup=mode == v.MODE_SETUP)
    return v.contacts_step(mapping_page(session, actor, page, per_page=v.CLIENTS_PER_PAGE), mode=mode,
                           notice=notice)


def _first_mapping_view(session: Session, actor: Member, mode: str) -> dict[str, Any]:
    """Step 3 as it opens: new clients and contacts are matched automatically first."""
    check_can_open_mapping(actor, setup=mode == v.MODE_SETUP)
    _require_connection(session, actor.workspace_id)
    auto_match(session, actor.workspace_id)
    return _page_view(session, actor, mode, 0)


def _update(client: WebClient, view: dict[str, Any], new_view: dict[str, Any]) -> dict[str, Any] | None:
    """Replace the open modal; a stale hash means another change got there first, so ours (read from the database,
    hence the newest) goes without one. A closed modal needs nothing. Returns the updated view."""
    for view_hash in (view.get("hash"), None):
        try:
            with slack_api():
                answer = client.views_update(view_id=view.get("id"), hash=view_hash, view=new_view)
            updated = answer.get("view")
            return updated if isinstance(updated, dict) else None
        except HashConflict:
            if view_hash is not None:
                continue
            raise
        except ViewNotFound:
            log.info("wizard modal closed before its update")
            return None
    return None


def _refresh(client: WebClient, body: dict[str, Any], context: BoltContext, *, notice: str | None = None,
             page: int | None = None, view: dict[str, Any] | None = None) -> dict[str, Any] | None:
    current = view or body.get("view") or {}
    meta = v.read_metadata(current)
    with context["db"].session() as session:
        new_view = _page_view(session, context["actor"](session), meta["mode"],
                              meta["page"] if page is None else page, notice)
    return _update(client, current, new_view)


def _row_change(client: WebClient, body: dict[str, Any], context: BoltContext, change: Callable[[], str]) -> None:
    """Run a row's change; a refusal is shown at the top of the modal (nothing changed)."""
    try:
        notice = change()
    except UserError as error:
        notice = f":warning: {user_text(error.message)}"
    _refresh(client, body, context, notice=notice)


def _choices_for(action_id: str, block_id: str, actor: Member, session: Session) -> list[v.Choice]:
    if action_id == v.ACTION_TRACKING:
        category = block_id[len(DefaultsField.TRACKING):]
        found = next((c for c in tracking_form(session, actor) if c.category_id == category), None)
        return v.tracking_choices(found) if found is not None else []
    form = defaults_form(session, actor)
    return {v.ACTION_ACCOUNT: form.accounts, v.ACTION_TAX: form.tax_rates,
            v.ACTION_THEME: form.themes}.get(action_id, [])


# ---- opening ----------------------------------------------------------------------------------------------------


@reported
def handle_start_setup(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        actor = context["actor"](session)
        require_admin(actor)
        _require_connection(session, actor.workspace_id)
        view = v.defaults_step(defaults_form(session, actor))
    client.views_open(trigger_id=body["trigger_id"], view=view)


@reported
def handle_open_mapping(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with context["db"].session() as session:
        view = _first_mapping_view(session, context["actor"](session), v.MODE_MAP)
    client.views_open(trigger_id=body["trigger_id"], view=view)


# ---- step submissions (saved before the ack; errors become field errors) ------------------------------------------


def handle_submit_defaults(ack: Ack, context: BoltContext) -> None:
    form = context["form"]
    data = DefaultsInput(
        account_code=form.text(DefaultsField.ACCOUNT, v.ACTION_ACCOUNT),
        tax_type=form.text(DefaultsField.TAX, v.ACTION_TAX),
        branding_theme_id=form.text(DefaultsField.THEME, v.ACTION_THEME),
        payment_terms=form.text(DefaultsField.TERMS, v.ACTION_TERMS),
        prefix=form.text(DefaultsField.PREFIX, v.ACTION_PREFIX),
        grouping=form.text(DefaultsField.GROUPING, v.ACTION_GROUPING),
        line_amount_type=form.text(DefaultsField.LINE_AMOUNTS, v.ACTION_LINE_AMOUNTS),
    )
    with context["db"].session() as session:
        actor = context["actor"](session)
        save_defaults(session, actor, data)
        view = v.tracking_step(tracking_form(session, actor))
    ack(response_action="update", view=view)


def handle_submit_tracking(ack: Ack, context: BoltContext) -> None:
    chosen: dict[str, str | None] = {}
    for block_id, actions in context["form"].items():
        if block_id.startswith(DefaultsField.TRACKING):
            picked = actions.get(v.ACTION_TRACKING)
            chosen[block_id[len(DefaultsField.TRACKING):]] = (
                picked if isinstance(picked, str) and picked != v.NOT_INCLUDED else None)
    with context["db"].session() as session:
        actor = context["actor"](session)
        save_tracking(session, actor, chosen)
        view = _first_mapping_view(session, actor, v.MODE_SETUP)
    ack(response_action="update", view=view)


def handle_finish(ack: Ack, context: BoltContext, client: WebClient) -> None:
    with context["db"].session() as session:
        actor = context["actor"](session)
        workspace = complete_setup(session, actor)
        problems = defaults_problems(workspace, load_reference(session, workspace))
        view = v.done_view(mapping_page(session, actor, 0, per_page=1), problems)
    ack(response_action="update", view=view)
    try:
        publish_home(client, context["db"], context["workspace_id"], context["member_id"])
    except SlackApiError as error:  # the wizard is done either way
        log.warning("home not republished after setup: %s", error.response.get("error"))


# ---- step 1–2 searching selects (only past 100 choices) -----------------------------------------------------------


def handle_setting_options(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
    try:
        with context["db"].session() as session:
            choices = _choices_for(str(payload.get("action_id")), str(payload.get("block_id") or ""),
                                   context["actor"](session), session)
    except UserError:
        ack(options=[])
        return
    ack(options=v.matching_choices(choices, str(payload.get("value") or "")))


# ---- step 3: the contact search, row buttons and paging -----------------------------------------------------------


def handle_contact_search(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
    try:
        with context["db"].session() as session:
            found = contact_options(session, context["actor"](session), str(payload.get("value") or ""))
            options = [v.contact_option(c.contact_id, c.name) for c in found]
    except UserError:
        ack(options=[])
        return
    ack(options=options)


@reported
def handle_contact_picked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    action = _action(body)
    contact_id = (action.get("selected_option") or {}).get("value")
    client_id = v.client_id_of(action.get("block_id"))

    def change() -> str:
        with context["db"].session() as session:
            linked = link_contact(session, context["actor"](session), client_id, contact_id)
            return f":link: Linked *{user_text(linked.name)}* to *{user_text(linked.xero_contact_name or '')}*."

    _row_change(client, body, context, change)


@reported
def handle_unlink(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    client_id = _action(body).get("value")

    def change() -> str:
        with context["db"].session() as session:
            found = unlink(session, context["actor"](session), client_id)
            return (f"Unlinked *{user_text(found.name)}*: it stays unlinked (automatic matching leaves it alone) "
                    "until you pick a contact or create one.")

    _row_change(client, body, context, change)


@reported
def handle_create(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    client_id = _action(body).get("value")
    view = body.get("view") or {}
    with context["db"].session() as session:
        actor = context["actor"](session)
        check_can_open_mapping(actor)
    # Xero may take a moment: say so in the modal first, then update it with the result.
    shown = _refresh(client, body, context, notice=":hourglass_flowing_sand: Creating the contact in Xero…")

    def change() -> str:
        result = create_in_xero(context["db"], context["settings"], actor, client_id,
                                limits=context.get("xero_limits"))
        if result.created and result.difference:
            return (f":warning: Created the contact in Xero and linked it, but check it in Xero: "
                    f"{user_text(result.difference)}. Open the contact in Xero and correct its name there "
                    "if it is wrong.")
        if result.created:
            return f":sparkles: Created *{user_text(result.contact_name)}* in Xero and linked it."
        return (f":link: Xero already had an active contact *{user_text(result.contact_name)}*: linked to it "
                "instead of creating a duplicate.")

    try:
        notice = change()
    except UserError as error:
        notice = f":warning: {user_text(error.message)}"
    _refresh(client, body, context, notice=notice, view=shown or view)


@reported
def handle_page(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    raw = str(_action(body).get("value") or "0")
    _refresh(client, body, context, page=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 0)


def register(app: App) -> None:
    app.action(ACTION_START_SETUP)(handle_start_setup)
    app.action(ACTION_CONTACT_MAPPING)(handle_open_mapping)
    app.view(v.CALLBACK_DEFAULTS)(handle_submit_defaults)
    app.view(v.CALLBACK_TRACKING)(handle_submit_tracking)
    app.view(v.CALLBACK_CONTACTS)(handle_finish)
    for action_id in (v.ACTION_ACCOUNT, v.ACTION_TAX, v.ACTION_THEME, v.ACTION_TRACKING):
        app.options(action_id)(handle_setting_options)
    app.options(v.ACTION_CONTACT_PICK)(handle_contact_search)
    app.action(v.ACTION_CONTACT_PICK)(handle_contact_picked)
    app.action(v.ACTION_UNLINK)(handle_unlink)
    app.action(v.ACTION_CREATE)(handle_create)
    app.action(v.ACTION_PAGE_PREV)(handle_page)
    app.action(v.ACTION_PAGE_NEXT)(handle_page)
