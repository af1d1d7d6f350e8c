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
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.errors import reported
from bot.home import publish_home
from bot.views import wizard as v
from bot.views.catalog.builders import esc
from bot.views.state import form_values
from bot.views.xero import ACTION_CONTACT_MAPPING, ACTION_START_SETUP
from errors import UserError
from settings import Settings
from storage.db import Database
from storage.models import Member
from team.members import get_member
from team.roles import Permission, require
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
from xero.mapping import auto_match, contact_options, create_in_xero, link_contact, mapping_page, unlink

log = logging.getLogger(__name__)

NOT_CONNECTED = ("Xero is not connected to Hour Cap yet: an admin connects it from the Home tab, then the setup "
                 "wizard and contact mapping open here.")


def _actor(session: Session, context: BoltContext) -> Member:
    return get_member(session, context["workspace_id"], context["member_id"])


def _require_connection(session: Session, workspace_id: int) -> None:
    if find_connection(session, workspace_id) is None:
        raise UserError(NOT_CONNECTED)


def _value(values: dict[str, dict[str, Any]], block: str, action: str) -> str | None:
    found = (values.get(block) or {}).get(action)
    return found if isinstance(found, str) else None


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _page_view(session: Session, actor: Member, mode: str, page: int, notice: str | None = None) -> dict[str, Any]:
    require(actor, Permission.MANAGE_CATALOG)
    if mode == v.MODE_SETUP:
        require_admin(actor)
    return v.contacts_step(mapping_page(session, actor, page, per_page=v.CLIENTS_PER_PAGE), mode=mode,
                           notice=notice)


def _first_mapping_view(session: Session, actor: Member, mode: str) -> dict[str, Any]:
    """Step 3 as it opens: new clients and contacts are matched automatically first."""
    require(actor, Permission.MANAGE_CATALOG)
    if mode == v.MODE_SETUP:
        require_admin(actor)
    _require_connection(session, actor.workspace_id)
    auto_match(session, actor.workspace_id)
    return _page_view(session, actor, mode, 0)


def _update(client: WebClient, view: dict[str, Any], new_view: dict[str, Any]) -> dict[str, Any] | None:
    """Replace the open modal; a stale hash means another change got there first, so ours (read from the database,
    hence the newest) goes without one. A closed modal needs nothing. Returns the updated view."""
    for view_hash in (view.get("hash"), None):
        try:
            answer = client.views_update(view_id=view.get("id"), hash=view_hash, view=new_view)
            updated = answer.get("view")
            return updated if isinstance(updated, dict) else None
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "hash_conflict" and view_hash is not None:
                continue
            if code == "not_found":
                log.info("wizard modal closed before its update")
                return None
            raise
    return None


def register(app: App, db: Database, settings: Settings) -> None:
    # ---- opening ------------------------------------------------------------------------------------------

    @app.action(ACTION_START_SETUP)
    @reported
    def start_setup(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            actor = _actor(session, context)
            require_admin(actor)
            _require_connection(session, actor.workspace_id)
            view = v.defaults_step(defaults_form(session, actor))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ACTION_CONTACT_MAPPING)
    @reported
    def open_mapping(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with db.session() as session:
            view = _first_mapping_view(session, _actor(session, context), v.MODE_MAP)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    # ---- step submissions (saved before the ack; errors become field errors) --------------------------------

    @app.view(v.CALLBACK_DEFAULTS)
    def submit_defaults(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        values = form_values(body)
        data = DefaultsInput(
            account_code=_value(values, DefaultsField.ACCOUNT, v.ACTION_ACCOUNT),
            tax_type=_value(values, DefaultsField.TAX, v.ACTION_TAX),
            branding_theme_id=_value(values, DefaultsField.THEME, v.ACTION_THEME),
            payment_terms=_value(values, DefaultsField.TERMS, v.ACTION_TERMS),
            prefix=_value(values, DefaultsField.PREFIX, v.ACTION_PREFIX),
            grouping=_value(values, DefaultsField.GROUPING, v.ACTION_GROUPING),
            line_amount_type=_value(values, DefaultsField.LINE_AMOUNTS, v.ACTION_LINE_AMOUNTS),
        )
        with db.session() as session:
            actor = _actor(session, context)
            save_defaults(session, actor, data)
            view = v.tracking_step(tracking_form(session, actor))
        ack(response_action="update", view=view)

    @app.view(v.CALLBACK_TRACKING)
    def submit_tracking(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        values = form_values(body)
        chosen: dict[str, str | None] = {}
        for block_id, actions in values.items():
            if block_id.startswith(DefaultsField.TRACKING):
                picked = actions.get(v.ACTION_TRACKING)
                chosen[block_id[len(DefaultsField.TRACKING):]] = (
                    picked if isinstance(picked, str) and picked != v.NOT_INCLUDED else None)
        with db.session() as session:
            actor = _actor(session, context)
            save_tracking(session, actor, chosen)
            view = _first_mapping_view(session, actor, v.MODE_SETUP)
        ack(response_action="update", view=view)

    @app.view(v.CALLBACK_CONTACTS)
    def finish(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        with db.session() as session:
            actor = _actor(session, context)
            workspace = complete_setup(session, actor)
            problems = defaults_problems(workspace, load_reference(session, workspace))
            view = v.done_view(mapping_page(session, actor, 0, per_page=1), problems)
        ack(response_action="update", view=view)
        try:
            publish_home(client, db, context["workspace_id"], context["member_id"])
        except SlackApiError as error:  # the wizard is done either way
            log.warning("home not republished after setup: %s", error.response.get("error"))

    # ---- step 1–2 searching selects (only past 100 choices) -------------------------------------------------

    def _choices_for(action_id: str, block_id: str, actor: Member, session: Session) -> list[v.Choice]:
        if action_id == v.ACTION_TRACKING:
            category = block_id[len(DefaultsField.TRACKING):]
            found = next((c for c in tracking_form(session, actor) if c.category_id == category), None)
            return v.tracking_choices(found) if found is not None else []
        form = defaults_form(session, actor)
        return {v.ACTION_ACCOUNT: form.accounts, v.ACTION_TAX: form.tax_rates,
                v.ACTION_THEME: form.themes}.get(action_id, [])

    @app.options(v.ACTION_ACCOUNT)
    @app.options(v.ACTION_TAX)
    @app.options(v.ACTION_THEME)
    @app.options(v.ACTION_TRACKING)
    def setting_options(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
        try:
            with db.session() as session:
                choices = _choices_for(str(payload.get("action_id")), str(payload.get("block_id") or ""),
                                       _actor(session, context), session)
        except UserError:
            ack(options=[])
            return
        ack(options=v.matching_choices(choices, str(payload.get("value") or "")))

    # ---- step 3: the contact search, row buttons and paging -------------------------------------------------

    @app.options(v.ACTION_CONTACT_PICK)
    def contact_search(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
        try:
            with db.session() as session:
                found = contact_options(session, _actor(session, context), str(payload.get("value") or ""))
                options = [v.contact_option(c.contact_id, c.name) for c in found]
        except UserError:
            ack(options=[])
            return
        ack(options=options)

    def _refresh(client: WebClient, body: dict[str, Any], context: BoltContext, *, notice: str | None = None,
                 page: int | None = None, view: dict[str, Any] | None = None) -> dict[str, Any] | None:
        current = view or body.get("view") or {}
        meta = v.read_metadata(current)
        with db.session() as session:
            new_view = _page_view(session, _actor(session, context), meta["mode"],
                                  meta["page"] if page is None else page, notice)
        return _update(client, current, new_view)

    def _row_change(client: WebClient, body: dict[str, Any], context: BoltContext, change: Any) -> None:
        """Run a row's change; a refusal is shown at the top of the modal (nothing changed)."""
        try:
            notice = change()
        except UserError as error:
            notice = f":warning: {error.message}"
        _refresh(client, body, context, notice=notice)

    @app.action(v.ACTION_CONTACT_PICK)
    @reported
    def contact_picked(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        action = _action(body)
        contact_id = (action.get("selected_option") or {}).get("value")
        client_id = v.client_id_of(action.get("block_id"))

        def change() -> str:
            with db.session() as session:
                linked = link_contact(session, _actor(session, context), client_id, contact_id)
                return f":link: Linked *{esc(linked.name)}* to *{esc(linked.xero_contact_name or '')}*."

        _row_change(client, body, context, change)

    @app.action(v.ACTION_UNLINK)
    @reported
    def unlink_pressed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        client_id = _action(body).get("value")

        def change() -> str:
            with db.session() as session:
                found = unlink(session, _actor(session, context), client_id)
                return (f"Unlinked *{esc(found.name)}*: it stays unlinked (automatic matching leaves it alone) "
                        "until you pick a contact or create one.")

        _row_change(client, body, context, change)

    @app.action(v.ACTION_CREATE)
    @reported
    def create_pressed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        client_id = _action(body).get("value")
        view = body.get("view") or {}
        with db.session() as session:
            actor = _actor(session, context)
            require(actor, Permission.MANAGE_CATALOG)
        # Xero may take a moment: say so in the modal first, then update it with the result.
        shown = _refresh(client, body, context, notice=":hourglass_flowing_sand: Creating the contact in Xero…")

        def change() -> str:
            result = create_in_xero(db, settings, actor, client_id)
            if result.created:
                return f":sparkles: Created *{esc(result.contact_name)}* in Xero and linked it."
            return (f":link: Xero already had an active contact *{esc(result.contact_name)}*: linked to it "
                    "instead of creating a duplicate.")

        try:
            notice = change()
        except UserError as error:
            notice = f":warning: {error.message}"
        _refresh(client, body, context, notice=notice, view=shown or view)

    @app.action(v.ACTION_PAGE_PREV)
    @app.action(v.ACTION_PAGE_NEXT)
    @reported
    def page(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        raw = str(_action(body).get("value") or "0")
        _refresh(client, body, context, page=int(raw) if raw.isdigit() and len(raw) < 6 else 0)

