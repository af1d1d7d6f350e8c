"""The Create invoice modal: thin listeners over ``invoicing.preview`` and ``invoicing.create``.

Opening (Home's "Create invoice", ``/hours invoice``): acknowledge, open a small loading view with the trigger at
once (it is valid for 3 s, and reading a large client's time may take longer), then replace it with the modal.
Every change in the modal recomputes the preview and replaces the view with ``views.update`` and the view's
hash; a ``hash_conflict`` means a newer change already replaced it, so ours is dropped.

Submitting creates the invoice before acknowledging, so refusals become field errors in the still-open modal.
If the entries changed since the preview, the modal is replaced by a fresh preview saying so. On success the
modal closes at once; then the status message is posted where the flow started (the command's channel; from
Home, a DM), its channel and ts are stored on the invoice for the push worker to edit, and Home is published.
Roles and workspace scoping are checked by the use cases on every request, options requests included.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import errors as funnel
from bot.errors import reported
from bot.home import publish_home
from bot.views import blocks as b
from bot.views import invoice_modal as v
from bot.views.state import form_values
from errors import FormErrors, UserError
from invoicing.create import CreatedInvoice, EntriesChanged, attach_status_message, create_invoice
from invoicing.form_choices import client_options, form_choices
from invoicing.preview import InvoiceRequest, build_preview
from storage.db import Database
from storage.ids import payload_id
from storage.models import Member
from team.members import get_member
from team.roles import Permission, require
from timesheets.member_calendar import member_today

log = logging.getLogger(__name__)
# Slack answers these when the bot cannot post in the channel the flow started from: the message goes to a DM.
_NOT_POSTABLE = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}


def _actor(session: Session, context: BoltContext) -> Member:
    return get_member(session, context["workspace_id"], context["member_id"])


def render(db: Database, context: BoltContext, request: InvoiceRequest, origin_channel: str | None,
           notice: str | None = None) -> dict[str, Any]:
    """The modal for ``request``, with a fresh preview (only the lines shown are built)."""
    with db.session() as session:
        actor = _actor(session, context)
        today = member_today(actor)
        choices = form_choices(session, actor, payload_id(request.client_id), today)
        if request.client_id is None and len(choices.clients) == 1:
            request = replace(request, client_id=choices.clients[0].value)
            choices = form_choices(session, actor, payload_id(request.client_id), today)
        preview = build_preview(session, actor, request, today, detail=False)
    view = v.build_invoice_modal(v.InvoiceForm(choices, request, preview, origin_channel))
    if notice:
        view["blocks"].insert(0, b.section(f":warning: *{notice}*"))
    return view


def replace_view(client: WebClient, view: dict[str, Any], new_view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new_view)
    except SlackApiError as error:
        if error.response.get("error") not in ("hash_conflict", "not_found"):
            raise
        log.info("invoice preview update skipped: %s", error.response.get("error"))  # newer change won, or closed


def open_invoice_modal(db: Database, client: WebClient, context: BoltContext, trigger_id: str,
                       origin_channel: str | None) -> None:
    """After the ack: the loading view now (the trigger expires), the real modal once its data is read."""
    with db.session() as session:
        require(_actor(session, context), Permission.CREATE_INVOICES)
    opened = client.views_open(trigger_id=trigger_id, view=v.loading_view(origin_channel))
    view = opened.get("view") or {}
    replace_view(client, view, render(db, context, InvoiceRequest(), origin_channel))


def _errors(error: UserError, view: dict[str, Any]) -> dict[str, str]:
    found = dict(error.errors) if isinstance(error, FormErrors) else {error.field or "": error.message}
    return funnel.field_errors(FormErrors(v.error_blocks(view, found)), view)


def _post_status(client: WebClient, user_id: str, origin_channel: str | None,
                 created: CreatedInvoice) -> tuple[str, str] | None:
    """Post the status message in the origin channel, else (or if that fails) as a DM: (channel, ts)."""
    text, blocks = v.queued_message(created.reference, created.client_name, created.subtotal, created.total,
                                    created.line_amount_type, created.line_count, created.entry_count)
    for channel in filter(None, (origin_channel, user_id)):
        try:
            answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
            return str(answer.get("channel") or channel), str(answer.get("ts"))
        except SlackApiError as error:
            if channel == user_id or error.response.get("error") not in _NOT_POSTABLE:
                raise
    return None


def register(app: App, db: Database) -> None:
    @app.action(v.ACTION_OPEN)
    @reported
    def open_from_home(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        open_invoice_modal(db, client, context, body["trigger_id"], None)

    @reported
    def changed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        """A dispatch action in the modal: recompute the preview and replace the view."""
        ack()
        view = body.get("view") or {}
        if view.get("callback_id") != v.CALLBACK_CREATE or not view.get("id"):
            return
        origin, _seen = v.read_metadata(view)
        replace_view(client, view, render(db, context, v.read_request(form_values(body)), origin))

    for action_id in v.DISPATCH_ACTIONS:
        app.action(action_id)(changed)

    @app.options(v.ACTION_CLIENT)
    def client_suggestions(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
        try:
            with db.session() as session:
                found = client_options(session, _actor(session, context), str(payload.get("value") or ""))
        except UserError:
            ack(options=[])
            return
        ack(options=[b.option(c.value, c.label) for c in found])

    @app.view(v.CALLBACK_CREATE)
    @reported
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                  client: WebClient) -> None:
        request = v.read_request(form_values(body))
        origin, seen = v.read_metadata(view)
        try:
            with db.session() as session:
                actor = _actor(session, context)
                created = create_invoice(session, actor, request, member_today(actor), seen=seen or "")
        except EntriesChanged as error:
            ack(response_action="update", view=render(db, context, request, origin, notice=error.message))
            return
        except UserError as error:
            errors = _errors(error, view)
            if not errors:
                raise
            ack(response_action="errors", errors=errors)
            return
        ack()
        posted = _post_status(client, context["user_id"], origin, created)
        if posted is not None:
            with db.session() as session:
                attach_status_message(session, context["workspace_id"], created.invoice_id, *posted)
        publish_home(client, db, context["workspace_id"], context["member_id"])

