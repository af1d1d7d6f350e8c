"""Retry and Cancel on a failed invoice (the alert, the creator's DM): managers and up, checked server-side.

The button's value is only a claim: the use cases look the invoice up inside the clicker's own workspace (a
foreign id is "not found") and check the clicker's role, whatever the payload says. Cancel asks for confirmation
in Slack (the button's `confirm` dialog) before the request is even sent.

After the action the clicked message is edited at once (so nobody presses twice), and the use case has recorded
`invoice.notify`, which brings the status message and the alert in line with the invoice's new state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.errors import reported, tell_user
from bot.home import publish_home, read_home_state
from bot.invoice_messages import invoice_view
from bot.views.invoice_status import ACTION_CANCEL, ACTION_RETRY, resolved_alert
from errors import NotFound
from invoicing.push_status import cancel_invoice, retry_invoice
from storage.ids import payload_id
from storage.models import Invoice, Member

log = logging.getLogger(__name__)


def _edit_clicked(client: WebClient, body: dict[str, Any], text: str, blocks: list[dict[str, Any]]) -> None:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if container.get("type") != "message" or not channel or not ts:
        return
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.info("could not edit the clicked invoice message: %s", exc.response.get("error"))


def _refresh_home(client: WebClient, body: dict[str, Any], context: BoltContext) -> None:
    """Pressed on the Home tab: show the invoice's new state there."""
    if (body.get("view") or {}).get("type") == "home":
        page, show_all = read_home_state(body["view"].get("private_metadata"))
        publish_home(client, context["db"], context["workspace_id"], context["member_id"], catalog_page=page,
                     show_archived=show_all)


def _act(use_case: Callable[[Session, Member, int], Invoice], confirmation: str | None, body: dict[str, Any],
         action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    """Run Retry or Cancel, then bring the clicked message (or Home) in line at once."""
    invoice_id = payload_id(action.get("value"))
    if invoice_id is None:
        raise NotFound("That invoice was not found in this workspace.")
    with context["db"].session() as session:
        view = invoice_view(session, use_case(session, context["actor"](session), invoice_id))
    text, blocks = resolved_alert(view)
    _edit_clicked(client, body, text, blocks)
    _refresh_home(client, body, context)
    if confirmation:
        tell_user(client, body, confirmation.format(reference=view.reference), respond)


@reported
def handle_retry(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                 respond: Respond) -> None:
    ack()
    _act(retry_invoice, "Invoice {reference} is queued for Xero again.", body, action, context, client, respond)


@reported
def handle_cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient,
                  respond: Respond) -> None:
    ack()
    _act(cancel_invoice, None, body, action, context, client, respond)


def register(app: App) -> None:
    app.action(ACTION_RETRY)(handle_retry)
    app.action(ACTION_CANCEL)(handle_cancel)
