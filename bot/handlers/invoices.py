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

from bot import errors as funnel
from bot.errors import reported
from bot.home import publish_home
from bot.slack_errors import ChannelNotFound, IsArchived, NotInChannel, RestrictedAction, slack_api, update_view
from bot.views import blocks as b
from bot.views import invoice_modal as v
from bot.views.text import user_text
from errors import FormErrors, UserError
from formats import Formats
from invoicing.create import (
    CreatedInvoice,
    EntriesChanged,
    attach_status_message,
    check_can_create_invoices,
    create_invoice,
)
from invoicing.form_choices import client_options, form_choices
from invoicing.preview import InvoiceRequest, build_preview
from storage.ids import payload_id
from team.formats import workspace_formats
from timesheets.member_calendar import member_today

log = logging.getLogger(__name__)
# Slack answers these when the bot cannot post in the channel the flow started from: the message goes to a DM.
_NOT_POSTABLE = (ChannelNotFound, NotInChannel, IsArchived, RestrictedAction)


def render(context: BoltContext, request: InvoiceRequest, origin_channel: str | None,
           notice: str | None = None) -> dict[str, Any]:
    """The modal for ``request``, with a fresh preview (only the lines shown are built), read in a read-only
    session: on PostgreSQL without BEGIN and COMMIT, two round trips fewer on every change of the form."""
    with context["db"].reading() as session:
        actor = context["actor"](session)
        today = member_today(actor)
        choices = form_choices(session, actor, payload_id(request.client_id), today)
        if request.client_id is None and len(choices.clients) == 1:
            request = replace(request, client_id=choices.clients[0].value)
            choices = form_choices(session, actor, payload_id(request.client_id), today)
        preview = build_preview(session, actor, request, today, detail=False, read_only=True)
        formats = workspace_formats(session, actor.workspace_id)
    view = v.build_invoice_modal(v.InvoiceForm(choices, request, preview, origin_channel, formats))
    if notice:
        view["blocks"].insert(0, b.section(f":warning: *{user_text(notice)}*"))
    return view


def replace_view(client: WebClient, view: dict[str, Any], new_view: dict[str, Any]) -> None:
    update_view(client, view, new_view, "invoice preview update")  # a newer change won, or the modal was closed


def open_invoice_modal(client: WebClient, context: BoltContext, trigger_id: str, origin_channel: str | None) -> None:
    """After the ack: the loading view now (the trigger expires), the real modal once its data is read."""
    with context["db"].session() as session:
        check_can_create_invoices(context["actor"](session))
    opened = client.views_open(trigger_id=trigger_id, view=v.loading_view(origin_channel))
    view = opened.get("view") or {}
    replace_view(client, view, render(context, InvoiceRequest(), origin_channel))


def _errors(error: UserError, view: dict[str, Any]) -> dict[str, str]:
    found = dict(error.errors) if isinstance(error, FormErrors) else {error.field or "": error.message}
    return funnel.field_errors(FormErrors(v.error_blocks(view, found)), view)


def _post_status(client: WebClient, user_id: str, origin_channel: str | None,
                 created: CreatedInvoice, formats: Formats) -> tuple[str, str] | None:
    """Post the status message in the origin channel, else (or if that fails) as a DM: (channel, ts)."""
    text, blocks = v.queued_message(created.reference, created.client_name, created.subtotal, created.total,
                                    created.line_amount_type, created.line_count, created.entry_count, formats)
    for channel in filter(None, (origin_channel, user_id)):
        try:
            with slack_api():
                answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
            return str(answer.get("channel") or channel), str(answer.get("ts"))
        except _NOT_POSTABLE:
            if channel == user_id:
                raise
    return None


@reported
def handle_open_from_home(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    open_invoice_modal(client, context, body["trigger_id"], None)


@reported
def handle_changed(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """A dispatch action in the modal: recompute the preview and replace the view."""
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != v.CALLBACK_CREATE or not view.get("id"):
        return
    origin, _seen = v.read_metadata(view)
    replace_view(client, view, render(context, v.read_request(context["form"]), origin))


def handle_client_suggestions(ack: Ack, payload: dict[str, Any], context: BoltContext) -> None:
    try:
        with context["db"].session() as session:
            found = client_options(session, context["actor"](session), str(payload.get("value") or ""))
    except UserError:
        ack(options=[])
        return
    ack(options=[b.option(c.value, c.label) for c in found])


@reported
def handle_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                     client: WebClient) -> None:
    request = v.read_request(context["form"])
    origin, seen = v.read_metadata(view)
    try:
        with context["db"].session() as session:
            actor = context["actor"](session)
            created = create_invoice(session, actor, request, member_today(actor), seen=seen or "")
            formats = workspace_formats(session, actor.workspace_id)
    except EntriesChanged as error:
        ack(response_action="update", view=render(context, request, origin, notice=error.message))
        return
    except UserError as error:
        errors = _errors(error, view)
        if not errors:
            raise
        ack(response_action="errors", errors=errors)
        return
    ack()
    posted = _post_status(client, context["user_id"], origin, created, formats)
    if posted is not None:
        with context["db"].session() as session:
            attach_status_message(session, context["workspace_id"], created.invoice_id, *posted)
    publish_home(client, context["db"], context["workspace_id"], context["member_id"])


def register(app: App) -> None:
    app.action(v.ACTION_OPEN)(handle_open_from_home)
    for action_id in v.DISPATCH_ACTIONS:
        app.action(action_id)(handle_changed)
    app.options(v.ACTION_CLIENT)(handle_client_suggestions)
    app.view(v.CALLBACK_CREATE)(handle_submitted)
